"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI

from api import errors
from api.limits import BodySizeLimit
from api.routes import audit, decisions, health, overview, policy, registry
from api.services import Services, build_services
from api.settings import Settings, get_settings
from engine.base import PolicyEngine
from sandbox.population import Population


def create_app(
    settings: Settings | None = None,
    *,
    population: Population | None = None,
    clock: Callable[[], datetime] | None = None,
    engine: PolicyEngine | None = None,
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services: Services = build_services(
            settings, population_override=population, clock=clock, engine=engine
        )
        app.state.services = services
        try:
            yield
        finally:
            await services.aclose()

    app = FastAPI(
        title="HOI Policy",
        version="0.1.0",
        description="Who may see which fields about which child, under which law and consent.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    app.include_router(decisions.router)
    app.include_router(registry.router)
    app.include_router(policy.router)
    app.include_router(audit.citizen_router)
    app.include_router(audit.auditor_router)
    app.include_router(overview.router)
    return app
