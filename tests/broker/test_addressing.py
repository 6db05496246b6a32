"""Addressing from the overview: every contact point carries its organisation's
`recipient` (SOR id, GLN, KLE task areas, `write_to` handle) from the organisation
register; never for a denied category, never for a blocked organisation, never
from the source, never a unit of another municipality than the child's case. A
school is written to through its municipality's unit for school support."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from broker.broker import DataBroker
from broker.sources import load_sources
from facts.addressing import recipient_of, resolve, responsible_unit
from handbook.scenarios import scenario_organisations
from policy.decision import CategoryDecision, Decision, DecisionRequest, ReliedOn
from sandbox.population import population
from tests.broker.conftest import (
    ALMA,
    CASEWORKER,
    DAY,
    GP,
    GP_CHILD,
    OverviewApp,
    overview,
)

REGISTER = scenario_organisations()
CHILDREN = population(DAY).children


def _handles(body: Any) -> list[str]:
    """Every `write_to` anywhere in an answer."""
    if isinstance(body, dict):
        found = [body["write_to"]] if isinstance(body.get("write_to"), str) else []
        return found + [h for v in body.values() for h in _handles(v)]
    if isinstance(body, list):
        return [h for v in body for h in _handles(v)]
    return []


def test_a_gp_is_pointed_at_the_unit_of_the_childs_open_case(service: OverviewApp) -> None:
    body = overview(service(), GP_CHILD, {**GP, "purpose": "coordination"})

    case = next(c for c in CHILDREN[GP_CHILD].cases if c.open)
    unit = REGISTER[case.unit]
    municipality = unit.part_of[0]
    expected = {
        "write_to": f"org/{municipality}/unit/{case.unit}",
        "name": unit.name,
        "sor_id": unit.sor_id,
        "gln": unit.gln,
        "kle": list(unit.kle),
    }
    for category in ("municipal_contacts", "municipal_case_status"):
        records = body["data"][category]["records"]
        assert records and all(r["recipient"] == expected for r in records), category
        assert "recipient" in body["data"][category]["fields"]
    # the case's unit, not the municipality's main mailbox, and no other municipality
    municipal = {c: body["data"][c] for c in ("municipal_contacts", "municipal_case_status")}
    handles = _handles(municipal)
    assert f"org/{municipality}" not in handles
    assert all(h.startswith(f"org/{municipality}/") for h in handles)
    assert all(resolve(REGISTER, h).organisation.id == case.unit for h in handles)
    # beside them, the child's own GP clinic (here the requester's own clinic)
    assert _handles(body["data"]["gp_clinic"]) == [f"org/{GP['organisation_id']}"]


def test_psychiatry_contact_points_carry_the_departments_address(service: OverviewApp) -> None:
    body = overview(service(), ALMA, CASEWORKER)

    records = body["data"]["psychiatry_contacts"]["records"]
    assert records
    for record in records:
        recipient = resolve(REGISTER, record["recipient"]["write_to"])
        assert recipient.as_record() == record["recipient"]
        assert recipient.organisation.part_of == ("bup-rn",)
    # psychiatry appointments are not contact points: no address there
    assert all("recipient" not in r for r in body["data"]["psychiatry_appointments"]["records"])


def test_a_denied_category_offers_no_write_to(service: OverviewApp) -> None:
    # the caseworker has no route to the municipal categories of this child here
    body = overview(service(), ALMA, CASEWORKER)

    assert {"municipal_case_status", "municipal_contacts"} <= set(body["withheld"])
    assert _handles(body["withheld"]) == []
    handles = _handles(body)
    assert handles and all(h.startswith("org/bup-rn/") for h in handles)


def _permit(category: str, fields: list[str], exclude: list[str] | None = None) -> CategoryDecision:
    return CategoryDecision(
        category=category,
        decision="permit",
        fields=fields,
        rule_id="FVL-28-2-1-CONSENT",
        legal_basis=["fvl-28-2-1"],
        reasons=[],
        relied_on=ReliedOn(),
        override=False,
        obligations=[],
        exclude_organisations=exclude or [],
    )


def _contacts_answer(unit_id: str, *, forged: bool = False) -> dict[str, Any]:
    unit: dict[str, Any] = {"id": unit_id, "name": "Enhed", "phone": "+45 11 11 11 11"}
    contact: dict[str, Any] = {"kle": {"code": "27.24"}, "unit": unit, "caseworker": None}
    if forged:
        contact["recipient"] = {"write_to": "org/849/unit/849-family"}
        unit["recipient"] = {"write_to": "org/849/unit/849-family"}
    return {"contacts": [contact]}


async def _contacts_overview(
    answer: dict[str, Any],
    fields: list[str],
    category: str = "municipal_contacts",
    exclude: list[str] | None = None,
) -> list[dict[str, Any]]:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    def address(organisation_id: str, kle: str | None) -> dict[str, Any] | None:
        if kle is not None:
            found = responsible_unit(REGISTER, organisation_id, kle)
        else:
            found = recipient_of(REGISTER, organisation_id)
        return found.as_record() if found else None

    broker = DataBroker.build(
        load_sources(sandbox_url="http://sandbox.invalid"),
        transport=httpx.MockTransport(reply),
        recipient_of=address,
    )
    request = DecisionRequest.model_validate(
        {
            "subject": {
                "id": "gp-1",
                "role": "gp",
                "organisation": {"type": "gp_clinic", "id": "gp-laegerne-i-nibe"},
            },
            "resource": {"child_cpr": ALMA, "categories": [category]},
            "context": {"purpose": "coordination"},
        }
    )
    decision = Decision(
        decision_id="d",
        decided_at=datetime(2026, 11, 26, 10, tzinfo=UTC),
        engine="test",
        policy_revision="test",
        categories={category: _permit(category, fields, exclude)},
        relied_on=ReliedOn(),
    )
    try:
        answer_body = await broker.overview(request, decision)
    finally:
        await broker.aclose()
    records: list[dict[str, Any]] = answer_body.data[category].records
    return records


@pytest.mark.anyio
async def test_a_unit_the_register_does_not_hold_gets_no_address() -> None:
    records = await _contacts_overview(_contacts_answer("851-unknown"), ["unit", "recipient"])
    assert records == [{"unit": "Enhed"}]  # no fallback to the municipality's main mailbox


@pytest.mark.anyio
async def test_a_recipient_the_source_sends_is_never_passed_on() -> None:
    records = await _contacts_overview(
        _contacts_answer("851-family", forged=True), ["unit", "recipient"]
    )
    assert [r["recipient"]["write_to"] for r in records] == ["org/851/unit/851-family"]


@pytest.mark.anyio
async def test_the_recipient_leaves_only_when_the_field_list_names_it() -> None:
    records = await _contacts_overview(_contacts_answer("851-family"), ["unit", "phone"])
    assert records == [{"unit": "Enhed", "phone": "+45 11 11 11 11"}]


@pytest.mark.anyio
async def test_a_blocked_department_is_not_offered_as_a_recipient() -> None:
    def unit(ident: str) -> dict[str, Any]:
        return {"sor_id": "900000000000999", "name": ident, "organisation_id": ident}

    answer = {"units": [unit("bup-rn-thisted"), unit("bup-rn-hjoerring")]}
    records = await _contacts_overview(
        answer, ["section", "recipient"], "psychiatry_contacts", exclude=["bup-rn-thisted"]
    )
    assert [r["recipient"]["write_to"] for r in records] == ["org/bup-rn/unit/bup-rn-hjoerring"]


@pytest.mark.anyio
async def test_a_closed_case_does_not_point_at_its_former_unit() -> None:
    def case(ident: str, status: str, unit: str) -> dict[str, Any]:
        return {
            "id": ident,
            "kle": {"code": "27.24"},
            "status": status,
            "responsible_unit": {"id": unit, "name": unit},
        }

    answer = {"cases": [case("c1", "closed", "851-ppr"), case("c2", "open", "851-family")]}
    records = await _contacts_overview(
        answer, ["has_active_case", "recipient"], "municipal_case_status"
    )
    family = recipient_of(REGISTER, "851-family")
    assert family is not None
    assert records == [
        {"has_active_case": False},
        {"has_active_case": True, "recipient": family.as_record()},
    ]


def _enrolment(municipality: str | None) -> dict[str, Any]:
    institution: dict[str, Any] = {"number": "851123", "name": "Skole", "type": "school"}
    if municipality is not None:
        institution["municipality_code"] = municipality
    return {"enrolments": [{"institution": institution, "class_or_group": "5.b"}]}


@pytest.mark.anyio
async def test_a_school_is_written_to_through_its_municipalitys_school_support_unit() -> None:
    fields = ["institution_name", "recipient"]
    records = await _contacts_overview(_enrolment("851"), fields, "school_daycare")

    ppr = recipient_of(REGISTER, "851-ppr")
    assert ppr is not None and "17.13" in ppr.kle
    assert records == [{"institution_name": "Skole", "recipient": ppr.as_record()}]
    # the school itself is not a recipient: its handle resolves to the unit
    assert resolve(REGISTER, records[0]["recipient"]["write_to"]).organisation.id == "851-ppr"


@pytest.mark.anyio
async def test_a_school_of_an_unknown_or_unnamed_municipality_gets_no_address() -> None:
    fields = ["institution_name", "recipient"]
    for answer in (_enrolment("999"), _enrolment(None)):
        records = await _contacts_overview(answer, fields, "school_daycare")
        assert records == [{"institution_name": "Skole"}]  # no main mailbox, no guess
