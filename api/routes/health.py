"""Liveness and readiness, for a load balancer.

Both answers are public, so they say no more than a load balancer needs: ready
or not, and on not ready the kinds of check that fail. No policy revision, no
versions, no source names."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import ServicesDep
from api.errors import problem_responses
from api.services import Services

router = APIRouter(tags=["health"], responses=problem_responses(500))

CheckKind = Literal["engine", "token_keys", "database", "facts"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    failing: list[CheckKind] | None = None
    """On not ready: the kinds of check that fail (`facts`: a source the decisions
    need, the CPR register or the relation evidence, does not answer)."""


@router.get("/healthz", operation_id="healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _database_answers(services: Services) -> bool:
    try:
        with services.db.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # any database failure means not ready
        return False
    return True


async def _facts_answer(services: Services) -> bool:
    answers = await asyncio.gather(*(s.reachable() for s in services.fact_sources))
    return all(answers)


@router.get(
    "/readyz",
    operation_id="readyz",
    response_model=Readiness,
    response_model_exclude_none=True,
    responses={503: {"description": "Not ready", "model": Readiness}},
)
async def readyz(services: ServicesDep) -> JSONResponse:
    engine, keys, facts = await asyncio.gather(
        services.engine.ready(), services.verifier.keys.ready(), _facts_answer(services)
    )
    checks: dict[CheckKind, bool] = {
        "engine": engine,
        "token_keys": keys,
        "database": await asyncio.to_thread(_database_answers, services),
        "facts": facts,
    }
    failing = [kind for kind, ok in checks.items() if not ok]
    if not failing:
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "not ready", "failing": failing}, status_code=503)
