"""The lawyers' what-if bench (issue 14): set a situation in a form and see the
decision per category, with reasons, rule ids and citations linking into the
handbook; save it as a scenario file the scenario runner accepts.

Public, beside the handbook (/policy): it decides synthetic situations only. The
form has no CPR number; the bench makes the child and the parents itself
(`handbook.scenarios.Scenario`: CPR numbers derived from the scenario's words),
builds the scenario's world in memory (`handbook.worlds.World`: an in-memory
registry, the local facts of that world, the scenario organisation register) and
asks the service's own policy engine through a `DecisionPoint` over that world,
exactly as `hoi scenario run` and the handbook do. It never reads the service's
facts sources, registry or audit log, and it writes nothing: a decided situation
is not audited because no person's data is read.

"Save as scenario" answers the YAML as a download (nothing is written on the
server); `load_scenario` reads it back, and `hoi scenario run` gives the same
decision (its `expect` is the decision the bench showed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from handbook.scenarios import PROFESSIONS, Scenario, scenario_organisations
from handbook.worlds import World
from pages.frame import checked_form, guarded, one, render
from pages.ports import services_of
from pages.security import PREFIX
from policy.catalogue import catalogue
from policy.decision import Decision
from policy.errors import HoiError, InvalidRequest, NotFound
from policy.paths import PROJECT_ROOT

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PEOPLE = ("mother", "father", "child")
PARENTS = ("mother", "father")
RELATION_KINDS = ("open_case", "treatment_course", "consultation")
BLOCK_KINDS = ("organisation", "source_organisation", "professional")
ROWS = 2
"""Consent and relation rows the form offers (no script adds rows)."""

IMPACT_REPORTS = ("var/impact/index.html", "docs/impact/index.html")
"""Where a policy impact report is looked for: a local run (`hoi policy impact
--out var/impact`) and the one committed in docs/impact; the newer file is linked."""


def impact_report() -> Path | None:
    """The latest impact report's page (None: there is none)."""
    found = [PROJECT_ROOT / p for p in IMPACT_REPORTS if (PROJECT_ROOT / p).is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


@dataclass(frozen=True)
class Choices:
    """What the form offers: the catalogue's words and the scenario world's
    organisations, never anything from the service's own sources."""

    roles: list[str]
    purposes: list[str]
    categories: list[str]
    regimes: list[str]
    organisations: list[tuple[str, str]]
    gps: list[str]
    municipalities: list[str]


def choices() -> Choices:
    c = catalogue()
    orgs = scenario_organisations()
    return Choices(
        roles=list(c.roles),
        purposes=list(c.purposes),
        categories=list(c.categories),
        regimes=list(c.regimes),
        organisations=[(i, o.type) for i, o in orgs.items()],
        gps=[i for i, o in orgs.items() if o.type == "gp_clinic"],
        municipalities=[i for i, o in orgs.items() if o.type == "municipality" and "-" not in i],
    )


def _date(value: str, field: str, default: dt.date | None = None) -> dt.date | None:
    if not value.strip():
        return default
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidRequest("give a date as YYYY-MM-DD", field=field) from exc


def _pick(value: str, allowed: list[str] | tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidRequest("choose one of the values offered", field=field)
    return value


def situation(form: dict[str, list[str]], today: dt.date) -> dict[str, Any]:
    """The scenario (as its YAML's mapping) the form describes. Only the form's
    named fields are read; a CPR number or anything else posted is ignored."""
    offered = choices()
    orgs = dict(offered.organisations)
    date = _date(one(form, "date"), "date", today) or today
    role = _pick(one(form, "role"), offered.roles, "role")
    organisation = _pick(one(form, "organisation"), list(orgs), "organisation")
    purpose = _pick(one(form, "purpose"), offered.purposes, "purpose")
    born = _date(one(form, "born"), "born")
    if born is None:
        raise InvalidRequest("give the child's birth date", field="born")
    if born > date:
        raise InvalidRequest("the child is born after the day of the question", field="born")
    holders = [p for p in PARENTS if p in form.get("custody", [])]
    child: dict[str, Any] = {"born": born, "custody_holders": holders}
    gp = one(form, "registered_gp")
    if gp:
        child["registered_gp"] = _pick(gp, offered.gps, "registered_gp")
    child["municipality"] = _pick(
        one(form, "municipality", "851"), offered.municipalities, "municipality"
    )
    ask = [c for c in offered.categories if c in form.get("ask", [])]
    if not ask:
        raise InvalidRequest("ask for at least one category", field="ask")
    people = ["child", *holders]
    relations = []
    for n in range(ROWS):
        kind = one(form, f"relation_kind_{n}")
        if kind:
            relations.append(
                {
                    "kind": _pick(kind, RELATION_KINDS, f"relation_kind_{n}"),
                    "organisation": _pick(
                        one(form, f"relation_org_{n}"), list(orgs), f"relation_org_{n}"
                    ),
                }
            )
    consents = []
    for n in range(ROWS):
        by = one(form, f"consent_by_{n}")
        if not by:
            continue
        category = one(form, f"consent_category_{n}")
        consent: dict[str, Any] = {
            "given_by": _pick(by, people, f"consent_by_{n}"),
            "regime": _pick(one(form, f"consent_regime_{n}"), offered.regimes, "regime"),
            "categories": [_pick(category, offered.categories, f"consent_category_{n}")]
            if category
            else list(ask),
            "recipient": {
                "organisation_id": _pick(
                    one(form, f"consent_to_{n}"), list(orgs), f"consent_to_{n}"
                )
            },
            "valid_from": _date(one(form, f"consent_from_{n}"), "consent_from", date),
        }
        until = _date(one(form, f"consent_until_{n}"), "consent_until")
        if until is not None:
            consent["valid_until"] = until
        consents.append(consent)
    objections = []
    by = one(form, "objection_by")
    if by:
        category = one(form, "objection_category")
        objections.append(
            {
                "given_by": _pick(by, people, "objection_by"),
                "categories": [_pick(category, offered.categories, "objection_category")]
                if category
                else [],
            }
        )
    blocks = []
    kind = one(form, "block_kind")
    if kind:
        category = one(form, "block_category")
        block: dict[str, Any] = {
            "target_kind": _pick(kind, BLOCK_KINDS, "block_kind"),
            "target_id": (
                one(form, "block_target")
                if kind == "professional"
                else _pick(one(form, "block_target"), list(orgs), "block_target")
            )
            or "requester-1",
            "categories": [_pick(category, offered.categories, "block_category")]
            if category
            else [],
            "valid_from": date - dt.timedelta(days=1),
        }
        block_by = one(form, "block_by")
        if block_by:
            block["given_by"] = _pick(block_by, people, "block_by")
        blocks.append(block)
    return {
        "title": (one(form, "title") or "A situation from the what-if bench")[:200],
        "legal_references": [],
        "facts": "Set on the what-if bench (synthetic).",
        "date": date,
        "child": child,
        "requester": {
            "role": role,
            "organisation": organisation,
            "organisation_type": orgs[organisation],
            "health_professional": role in PROFESSIONS,
        },
        "purpose": purpose,
        "relations": relations,
        "consents": consents,
        "objections": objections,
        "blocks": blocks,
        "ask": ask,
    }


def expectation(decision: Decision) -> dict[str, dict[str, Any]]:
    """The decision as a scenario's `expect`: what the runner checks again."""
    found: dict[str, dict[str, Any]] = {}
    for name, got in decision.categories.items():
        wanted: dict[str, Any] = {"decision": got.decision}
        if got.rule_id:
            wanted["rule_id"] = got.rule_id
        wanted["reasons"] = [r.code for r in got.reasons]
        found[name] = wanted
    return found


async def decide(request: Request, spec: dict[str, Any]) -> Decision:
    """The situation decided by the service's engine, over the scenario's world only."""
    try:
        scenario = Scenario.model_validate(spec)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidRequest(str(first["msg"]), field="situation") from exc
    services = services_of(request)
    world = World(scenario)
    try:
        return await world.decide(services.engine, services.legal)
    finally:
        world.close()


def scenario_yaml(spec: dict[str, Any], decision: Decision) -> str:
    body = {**spec, "expect": expectation(decision)}
    text: str = yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
    return f"# A scenario saved from the what-if bench (synthetic); hoi scenario run FILE\n{text}"


def _page(request: Request, *, error: str | None = None, **extra: Any) -> Response:
    return render(
        request,
        "whatif.html",
        error=error,
        choices=choices(),
        rows=range(ROWS),
        impact=impact_report() is not None,
        **extra,
    )


def _blank(today: dt.date) -> dict[str, list[str]]:
    """The form's starting values: a caseworker, one custody holder, no consent."""
    return {
        "date": [today.isoformat()],
        "role": ["municipal_caseworker"],
        "organisation": ["851-family"],
        "purpose": ["social_case_work"],
        "born": [(today - dt.timedelta(days=9 * 365)).isoformat()],
        "custody": ["mother"],
        "municipality": ["851"],
        "relation_kind_0": ["open_case"],
        "relation_org_0": ["851-family"],
        "ask": list(catalogue().categories),
    }


def _today(request: Request) -> dt.date:
    return services_of(request).clock().date()


@router.get("/whatif")
async def bench(request: Request) -> Response:
    async def page() -> Response:
        return _page(request, form=_blank(_today(request)), decision=None)

    return await guarded(request, page)


@router.post("/whatif")
async def bench_decide(request: Request) -> Response:
    async def page() -> Response:
        form = await checked_form(request)
        try:
            decision = await decide(request, situation(form, _today(request)))
        except HoiError as exc:  # the situation cannot be decided: say why, keep the form
            return _page(request, form=form, decision=None, error=str(exc), status=422)
        return _page(request, form=form, decision=decision)

    return await guarded(request, page)


@router.post("/whatif/scenario.yaml")
async def bench_save(request: Request) -> Response:
    async def page() -> Response:
        form = await checked_form(request)
        spec = situation(form, _today(request))
        decision = await decide(request, spec)
        return Response(
            scenario_yaml(spec, decision),
            media_type="application/yaml; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="whatif-scenario.yaml"'},
        )

    return await guarded(request, page)


@router.get("/whatif/impact")
async def impact(request: Request) -> Response:
    """The latest policy impact report, as `hoi policy impact` wrote it (a fixed
    file, never a path from the request; its inline style is held back by the
    pages' CSP, the tables still read)."""

    async def page() -> Response:
        found = impact_report()
        if found is None:
            raise NotFound("no policy impact report has been made here", field="impact")
        return HTMLResponse(found.read_text(encoding="utf-8"))

    return await guarded(request, page)
