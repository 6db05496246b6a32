"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from api import errors
from api.authn import RequireBearer
from api.deps import get_caller
from api.limits import BodySizeLimit, JsonBodiesOnly
from api.links import add_links
from api.queries import reject_unknown_query
from api.routes import (
    audit,
    authzen,
    correspondence,
    decisions,
    health,
    metrics,
    overview,
    policy,
    registry,
)
from api.services import Services, build_services, reload_policy
from api.settings import Settings, get_settings
from engine.base import PolicyEngine
from metrics.exposition import worker_stopped
from pages import install as install_pages
from pages.security import is_page
from tracing.setup import FASTAPI_TELEMETRY
from tracing.setup import start as start_tracing

Composer = Callable[..., Services]
"""Builds the services from settings (keywords: clock, engine); production's is
build_services, the sandbox's plugs its synthetic parts in (sandbox/app.py)."""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    engine: PolicyEngine | None = None,
    compose: Composer = build_services,
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Migrations, seeding, `opa build` and OPA's start block: run them in a
        # worker thread so the event loop stays free.
        services: Services = await asyncio.to_thread(compose, settings, clock=clock, engine=engine)
        app.state.services = services
        # What start-up built lives as long as the process: out of the collector's
        # generations, a full collection does not walk it in the middle of a request
        # (50-150 ms stalls at p99 in bench.audit_scale before).
        gc.collect()
        gc.freeze()
        services.start_background()  # the outbox relay, when a message network is set
        if settings.resolved_handbook_at_start:
            services.handbook.start()
        hangup = _reload_on_hangup(services)
        try:
            yield
        finally:
            if hangup:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            await services.aclose()
            worker_stopped(os.getpid())
            if app.state.tracing is not None:
                app.state.tracing.shutdown()

    app = FastAPI(
        title="HOI Policy",
        version="0.1.0",
        description="Who may see which fields about which child, under which law and consent.",
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query)],
        telemetry=FASTAPI_TELEMETRY,
    )
    errors.install(app)
    # The last added runs first: the token is checked before the body is looked at.
    app.add_middleware(JsonBodiesOnly, exempt=is_page)  # the pages post forms
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequireBearer)
    # Public: no token (see api.authn.PUBLIC_PATHS). The policy router's handbook
    # pages are public; its catalogue route declares the token itself.
    app.include_router(health.router)
    app.include_router(authzen.well_known)
    app.include_router(policy.router)
    # Everything else needs a bearer token; declared here so OpenAPI says so too.
    for router in (
        decisions.router,
        registry.router,
        authzen.router,
        audit.citizen_router,
        audit.auditor_router,
        overview.router,
        correspondence.router,
        metrics.router,
    ):
        app.include_router(
            router,
            dependencies=[Depends(get_caller)],
            responses=errors.problem_responses(*errors.AUTHENTICATED),
        )
    # The web pages (HTML): their own session cookie, CSRF tokens and security headers.
    install_pages(
        app,
        secure_cookies=settings.environment == "production",
        show_employee=settings.audit_log_shows_employee,
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.state.tracing = start_tracing(app)  # off unless the OTEL_* variables ask for it
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, plus the problem+json schema every error refers to."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = errors.Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        add_links(schema)
        app.openapi_schema = schema
    return app.openapi_schema


def _reload_on_hangup(services: Services) -> bool:
    """SIGHUP reloads the embedded engine's policy (api.services.reload_policy), on
    the event loop's thread, which is the one that evaluates. Only where the loop
    may take signals (the main thread: a served worker, not a test client)."""
    if services.engine.name != "embedded":
        return False
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload_policy, services.engine)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    return True
