"""What the pages use of the service: its parts, as composed in the app's lifespan
(`request.app.state.services`). A protocol, so the pages sit below `api/` and
the API registers them (api/app.py) without a cycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from fastapi import Request
from sqlalchemy import Engine

from auth.tokens import TokenVerifier
from broker.broker import DataBroker
from decisions import AuditedDecisions
from decisions.correspondence import Correspondence
from decisions.registry import RegistryServices
from engine.base import PolicyEngine
from pages.oidc import OidcClient
from pages.people import DevSignIn
from policy.facts import FactsProvider
from policy.legal import LegalCatalogue


class PageServices(RegistryServices, Protocol):
    @property
    def verifier(self) -> TokenVerifier: ...
    @property
    def broker(self) -> DataBroker: ...
    @property
    def decisions(self) -> AuditedDecisions: ...
    @property
    def correspondence(self) -> Correspondence: ...
    @property
    def db(self) -> Engine: ...
    @property
    def facts(self) -> FactsProvider: ...
    @property
    def sign_in(self) -> DevSignIn | None: ...
    @property
    def oidc(self) -> OidcClient | None: ...
    @property
    def engine(self) -> PolicyEngine: ...
    @property
    def legal(self) -> LegalCatalogue: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...

    def organisation_name(self, organisation_id: str) -> str | None: ...


def services_of(request: Request) -> PageServices:
    services: PageServices = request.app.state.services
    return services
