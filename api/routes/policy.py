"""The policy as lawyers and integrators read it: the handbook and the catalogue."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from api.deps import ServicesDep, get_caller
from api.errors import AUTHENTICATED, problem_responses
from policy.errors import NotFound
from policy.legal import Act, ProvisionEntry
from policy.paths import REGO_DIR
from policy.rules import annotations_from_source

router = APIRouter(tags=["policy"])


class CatalogueProvision(ProvisionEntry):
    rules: list[str]
    """The rule ids that rest on this provision."""


class CatalogueDocument(BaseModel):
    policy_revision: str
    acts: dict[str, Act]
    provisions: list[CatalogueProvision]


@router.get(
    "/v1/policy/catalogue",
    operation_id="getLegalCatalogue",
    response_model=CatalogueDocument,
    # The handbook pages of this router are public; this API route needs a token.
    dependencies=[Depends(get_caller)],
    responses=problem_responses(*AUTHENTICATED),
)
async def catalogue(services: ServicesDep) -> CatalogueDocument:
    """Every provision of the legal-basis catalogue, with its citation, review status
    and the rules that rest on it."""
    revision = services.engine.revision
    # The policy files are parsed once per revision, in a worker thread.
    rules = await asyncio.to_thread(rules_by_provision, revision)
    return CatalogueDocument(
        policy_revision=services.engine.revision,
        acts=services.legal.acts,
        provisions=[
            CatalogueProvision(**entry.model_dump(), rules=sorted(rules.get(entry.id, [])))
            for entry in services.legal.entries.values()
        ],
    )


@lru_cache(maxsize=4)
def rules_by_provision(revision: str) -> dict[str, tuple[str, ...]]:
    """The rule ids resting on each provision, read from the policy's annotations.
    Keyed by the policy revision the engine runs: the same revision is the same
    files, so they are parsed once, not on every request."""
    del revision  # the cache key: the files of this revision
    rules: dict[str, list[str]] = {}
    for annotation in annotations_from_source(REGO_DIR):
        for pid in annotation.legal_basis or ():
            if annotation.rule_id:
                rules.setdefault(pid, []).append(annotation.rule_id)
    return {pid: tuple(ids) for pid, ids in rules.items()}


@router.get("/policy", operation_id="getPolicyHandbook", response_class=HTMLResponse)
async def handbook_index(services: ServicesDep) -> HTMLResponse:
    """The lawyers' handbook, generated from the running policy."""
    handbook = await services.handbook.get()
    return HTMLResponse(handbook.files["index.html"])


@router.get(
    "/policy/{page}",
    operation_id="getPolicyHandbookPage",
    response_class=HTMLResponse,
    responses=problem_responses(404),
)
async def handbook_page(page: str, services: ServicesDep) -> HTMLResponse:
    """One page of the handbook (a provision, the matrix, the rules, a source file)."""
    # Page names are ASCII file names; anything else is no page (and is not echoed).
    if not (page.isascii() and page.isprintable()):
        raise NotFound("the handbook has no such page", field="page")
    handbook = await services.handbook.get()
    text = handbook.page(page or "index.html")
    if text is None:
        raise NotFound(f"the handbook has no page {page!r}", field="page")
    return HTMLResponse(text)
