"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import ServicesDep
from api.errors import problem_responses

router = APIRouter(tags=["health"], responses=problem_responses(500))


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]
    engine: str
    policy_revision: str


@router.get("/healthz", operation_id="healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="readyz",
    response_model=Readiness,
    responses={503: {"description": "Not ready", "model": Readiness}},
)
async def readyz(services: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    checks["engine"] = "ok" if await services.engine.ready() else "not ready"
    checks["token_keys"] = "ok" if await services.verifier.keys.ready() else "unavailable"
    try:
        with services.db.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # any database failure means not ready
        checks["database"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "engine": services.engine.name,
        "policy_revision": services.engine.revision,
    }
    return JSONResponse(body, status_code=200 if ready else 503)
