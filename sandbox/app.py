"""The development service, composed by the sandbox from production's parts.

Production (api/services.py, api/app.py) knows nothing of what is here: this
module plugs in the synthetic population (its facts held in memory, its
consents seeded into the registry), the synthetic source systems on a loopback
port, and the pilot's organisation register. `hoi sandbox serve` (and `make
run`) serves it; the tests build their apps with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import partial

from fastapi import FastAPI
from sqlalchemy import Engine

from api.app import create_app as create_production_app
from api.services import Plug, Services, build_services, organisation_register, utc_now
from api.settings import Settings, get_settings
from broker.disclosure import DisclosureRecorder
from db.engine import make_engine
from db.schema import create_schema
from engine.base import PolicyEngine
from facts.organisations import Organisation
from pages.oidc import OidcConfig
from policy.errors import ConfigError
from sandbox.idp import CLIENT_ID, SandboxIdp
from sandbox.pilot import organisations
from sandbox.population import Population, population
from sandbox.seed import seed_registry
from sandbox.server import SandboxServer
from sandbox.signin import SandboxSignIn
from sandbox.template import start_from_template

NETWORK_DB = "sandbox-network.db"
"""The sandbox message network's inboxes, under var_dir: they outlive the service."""


@dataclass(kw_only=True)
class DevServices(Services):
    """The service's parts, and the sandbox's: its population and its source server."""

    population: Population
    sandbox: SandboxServer | None = field(default=None, repr=False)

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            if self.sandbox is not None:
                self.sandbox.stop()


def dev_organisations(settings: Settings) -> dict[str, Organisation]:
    """The register HOI_ORGANISATION_REGISTER names, else the pilot's."""
    if settings.organisation_register is not None:
        return organisation_register(settings)
    return organisations()


def build_dev_services(
    settings: Settings,
    *,
    population_override: Population | None = None,
    clock: Callable[[], datetime] | None = None,
    engine: PolicyEngine | None = None,
    disclosures: DisclosureRecorder | None = None,
) -> DevServices:
    """Production's services with the sandbox plugged in. Tests pass their own
    population (the compliance scenarios: its facts are then held in memory and
    nothing is seeded), clock or engine."""
    reference: date = settings.demo_reference_date or (clock or utc_now)().date()
    pop = population_override or population(reference)
    orgs = dev_organisations(settings)
    people = (
        SandboxSignIn(pop, orgs, settings)
        if settings.uses_dev_key
        and settings.environment != "production"
        and population_override is None
        else None
    )
    idp = sandbox_idp(settings, people)
    sandbox: SandboxServer | None = None
    if settings.resolved_sources == "sandbox" and settings.sandbox_url is None:
        sandbox = SandboxServer(
            pop, port=settings.sandbox_port, network_db=settings.var_dir / NETWORK_DB, idp=idp
        ).start()

    seeding = settings.seed_demo_data and population_override is None
    # A new SQLite database starts as a copy of a migrated (and seeded) template.
    copied = start_from_template(settings.resolved_database_url, pop if seeding else None)

    def seed(db: Engine) -> None:
        if seeding and not copied:
            seed_registry(db, pop)

    local = settings.facts == "local" or population_override is not None
    # The correspondence goes to the sandbox's message network unless the settings
    # name another (HOI_MESSAGE_NETWORK_URL).
    sandbox_base = sandbox.url if sandbox is not None else settings.sandbox_url
    network = (
        f"{sandbox_base}/network"
        if settings.resolved_sources == "sandbox" and sandbox_base is not None
        else None
    )
    # The picker, unless the pages sign in through an identity provider (the
    # sandbox's, or the one HOI_OIDC_ISSUER names).
    sign_in = people if idp is None and settings.oidc_issuer is None else None
    oidc = (
        OidcConfig(
            issuer=f"{sandbox_base}/idp",
            client_id=CLIENT_ID,
            redirect_uri=settings.oidc_redirect_uri,
            algorithms=tuple(settings.auth_algorithms),
            allow_dev_keys=True,
        )
        if idp is not None and sandbox_base is not None
        else None
    )
    plug = Plug(
        organisations=orgs,
        sign_in=sign_in,
        oidc=oidc,
        in_memory=pop if local else None,
        sandbox_url=sandbox.url if sandbox is not None else None,
        prepare_db=seed,
        message_network_url=network,
    )
    try:
        services = build_services(
            settings, clock=clock, engine=engine, disclosures=disclosures, plug=plug
        )
    except BaseException:
        if sandbox is not None:
            sandbox.stop()
        raise
    parts = {f.name: getattr(services, f.name) for f in fields(Services)}
    return DevServices(**parts, population=pop, sandbox=sandbox)


def sandbox_idp(settings: Settings, people: SandboxSignIn | None) -> SandboxIdp | None:
    """The sandbox identity provider, when HOI_SANDBOX_IDP asks for it."""
    if not settings.sandbox_idp:
        return None
    if people is None or settings.resolved_sources != "sandbox":
        raise ConfigError(
            "HOI_SANDBOX_IDP needs the sandbox (HOI_SOURCES=sandbox), its population and "
            "the development key the service trusts",
            field="sandbox_idp",
        )
    redirect = settings.oidc_redirect_uri
    return SandboxIdp(people, settings, redirect_uris=[redirect] if redirect else [])


def prepare_workers(settings: Settings, shared: contextlib.ExitStack) -> dict[str, str]:
    """What the worker processes of `hoi sandbox serve --workers N` share, made
    once in the parent: the database (a copy of the seeded template, seeded here
    when it is not new) and the sandbox sources, served from this process apart
    from the workers. Returns the variables that point the workers at them."""
    reference: date = settings.demo_reference_date or utc_now().date()
    pop = population(reference)
    env = {"HOI_DEMO_REFERENCE_DATE": reference.isoformat()}  # one population for all
    url = settings.resolved_database_url
    if not start_from_template(url, pop if settings.seed_demo_data else None):
        db = make_engine(url)
        try:
            create_schema(db)
            if settings.seed_demo_data:
                seed_registry(db, pop)
        finally:
            db.dispose()
    if settings.resolved_sources == "sandbox" and settings.sandbox_url is None:
        people = SandboxSignIn(pop, dev_organisations(settings), settings)
        sandbox = SandboxServer(
            pop,
            port=settings.sandbox_port,
            network_db=settings.var_dir / NETWORK_DB,
            idp=sandbox_idp(settings, people),
        ).start()
        shared.callback(sandbox.stop)
        env["HOI_SANDBOX_URL"] = sandbox.url
    return env


def create_app(
    settings: Settings | None = None,
    *,
    population: Population | None = None,
    clock: Callable[[], datetime] | None = None,
    engine: PolicyEngine | None = None,
) -> FastAPI:
    """The development app: production's app, composed with the sandbox."""
    return create_production_app(
        settings or get_settings(),
        clock=clock,
        engine=engine,
        compose=partial(build_dev_services, population_override=population),
    )
