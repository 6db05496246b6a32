"""Adapters speak each source's real shape and map it to catalogue fields."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from broker.adapters import FetchQuery
from broker.adapters.fhir_appointment import appointments_from_bundle, fhir_r4_appointment
from broker.adapters.gp_registration import gp_registration
from broker.adapters.municipal import fk_case_index, fk_organisation_contacts, kle_allowed
from broker.adapters.staff import read_staff_member
from broker.client import SourceClient, SourceError
from broker.sources import SourceSpec
from policy.catalogue import catalogue
from policy.paths import PROJECT_ROOT
from sandbox.population import population
from sandbox.server import SandboxServer
from tests.broker.conftest import ALMA, DAY, GP_CHILD

pytestmark = pytest.mark.anyio


def _conformance(*parts: str) -> Path:
    """shared/conformance beside the checkout (CI) or beside the worktrees' parent."""
    for base in (PROJECT_ROOT.parent, PROJECT_ROOT.parent.parent):
        candidate = base.joinpath("shared", "conformance", *parts)
        if candidate.is_file():
            return candidate
    pytest.fail(f"shared/conformance/{'/'.join(parts)} is missing")


def test_hl7_example_appointment_maps_to_catalogue_fields() -> None:
    example = json.loads(
        _conformance("fhir-r4-appointment", "Appointment-example.json").read_text("utf-8")
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 1,
        "entry": [{"fullUrl": "http://example.org/Appointment/example", "resource": example}],
    }
    [record] = appointments_from_bundle(bundle)
    assert record.origin == "1"  # Location/1, the place of the appointment
    assert record.data == {
        "date": "2013-12-10",
        "time": "09:00",
        "department": "South Wing, second floor",
        "status": "booked",
    }
    assert set(record.data) == set(catalogue().categories["psychiatry_appointments"].fields)


def test_a_bundle_that_is_not_a_search_result_is_refused() -> None:
    with pytest.raises(SourceError, match="not a search result"):
        appointments_from_bundle({"resourceType": "Bundle", "type": "collection"})


def test_something_that_is_not_fhir_is_refused() -> None:
    with pytest.raises(SourceError, match="bad_response"):
        appointments_from_bundle({"resourceType": "Patient", "id": "x"})


def test_kle_groups_cover_their_subjects() -> None:
    assert kle_allowed("27.24", ("27.24",))
    assert kle_allowed("27.24.03", ("27.24",))
    assert not kle_allowed("27.241", ("27.24",))
    assert not kle_allowed("27.24", ())


def _spec(url: str, category: str, adapter: str) -> SourceSpec:
    return SourceSpec(id="s", label="s", category=category, adapter=adapter, base_url=url)


def _query(cpr: str, role: str) -> FetchQuery:
    groups = catalogue().kle_groups_for(role)
    return FetchQuery(child_cpr=cpr, role=role, organisation_id="x", today=DAY, kle_groups=groups)


async def test_sandbox_appointments_parse_as_fhir(sandbox: SandboxServer) -> None:
    client = SourceClient(
        _spec(sandbox.base_url("fhir"), "psychiatry_appointments", "fhir_r4_appointment")
    )
    try:
        records = await fhir_r4_appointment(client, _query(ALMA, "municipal_caseworker"))
    finally:
        await client.aclose()
    assert records and all(r.origin == "bup-rn-aalborg-amb" for r in records)
    assert all(date.fromisoformat(r.data["date"]) for r in records)


def _case_answer(codes: list[str]) -> dict[str, Any]:
    return {
        "cases": [
            {
                "id": f"case-{n}",
                "kle": {"code": code},
                "status": "open",
                "responsible_unit": {"id": "851-family", "name": "Family unit"},
                "caseworker_id": "cw-1",
            }
            for n, code in enumerate(codes)
        ]
    }


async def test_case_index_keeps_only_the_kle_groups_of_the_role() -> None:
    answer = _case_answer(["27.24.01", "17.13", "99.99"])
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    client = SourceClient(
        _spec("http://cases.invalid", "municipal_case_status", "fk_case_index"), transport=transport
    )
    try:
        gp = await fk_case_index(client, _query(GP_CHILD, "gp"))
        psychiatrist = await fk_case_index(client, _query(GP_CHILD, "bup_psychiatrist"))
        secretary = await fk_case_index(client, _query(GP_CHILD, "bup_medical_secretary"))
        unknown = await fk_case_index(client, _query(GP_CHILD, "janitor"))
    finally:
        await client.aclose()
    assert len(gp) == 1  # 27.24 only
    assert len(psychiatrist) == 2  # 27.24 and 17.13
    assert secretary == [] and unknown == []  # no groups: no case is even hinted at
    assert gp[0].data == {"has_active_case": True, "responsible_unit": "Family unit"}


async def test_contacts_follow_the_same_kle_filter() -> None:
    answer = {
        "contacts": [
            {
                "kle": {"code": code},
                "unit": {"id": "851-ppr", "name": "PPR", "phone": "1", "secure_mail": "u@x"},
                "caseworker": {"id": "cw", "name": "Synthetic Worker", "phone": "2"},
            }
            for code in ("27.24", "17.13")
        ]
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    client = SourceClient(
        _spec("http://org.invalid", "municipal_contacts", "fk_organisation_contacts"),
        transport=transport,
    )
    try:
        records = await fk_organisation_contacts(client, _query(GP_CHILD, "gp"))
    finally:
        await client.aclose()
    assert [r.data for r in records] == [
        {"caseworker_name": "Synthetic Worker", "unit": "PPR", "phone": "2", "secure_mail": "u@x"}
    ]


async def test_answers_of_the_wrong_shape_are_source_errors() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"cases": "none"}))
    client = SourceClient(
        _spec("http://cases.invalid", "municipal_case_status", "fk_case_index"), transport=transport
    )
    try:
        with pytest.raises(SourceError, match="bad_response"):
            await fk_case_index(client, _query(GP_CHILD, "gp"))
    finally:
        await client.aclose()


async def test_sandbox_staff_register_confirms_an_authorised_psychiatrist(
    sandbox: SandboxServer,
) -> None:
    url = sandbox.base_url("staff")
    client = SourceClient(
        SourceSpec(id="staff", label="s", category=None, adapter="staff_register", base_url=url)
    )
    try:
        found = await read_staff_member(client, "bup-rn-aalborg-amb", "psychiatrist-1")
        secretary = await read_staff_member(client, "bup-rn-aalborg-amb", "secretary-1")
        elsewhere = await read_staff_member(client, "bup-rn-aalborg-amb", "psychiatrist-5")
        invented = await read_staff_member(client, "bup-rn-aalborg-amb", "psychiatrist-99")
    finally:
        await client.aclose()
    assert found is not None and found.role == "bup_psychiatrist"
    assert found.authorisation is not None and found.authorisation.status == "valid"
    assert secretary is not None and secretary.authorisation is None
    assert elsewhere is None  # psychiatrist-5 works in Hjørring
    assert invented is None


@pytest.mark.parametrize(
    "answer",
    [
        {"organisation": "bup-rn-hjoerring", "members": []},
        {"organisation": "bup-rn-aalborg-amb", "members": "none"},
        {
            "organisation": "bup-rn-aalborg-amb",
            "members": [
                {"id": "p1", "role": "bup_psychiatrist", "organisation_id": "bup-rn-aalborg-amb"}
            ]
            * 2,
        },
    ],
    ids=["another-organisation", "not-a-list", "two-with-one-id"],
)
async def test_a_staff_register_answer_we_do_not_understand_is_an_error(
    answer: dict[str, Any],
) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    spec = SourceSpec(
        id="staff", label="s", category=None, adapter="staff_register", base_url="http://s.invalid"
    )
    client = SourceClient(spec, transport=transport)
    try:
        with pytest.raises(SourceError, match="bad_response"):
            await read_staff_member(client, "bup-rn-aalborg-amb", "p1")
    finally:
        await client.aclose()


async def test_sandbox_gp_registration_gives_the_childs_clinic_in_catalogue_fields(
    sandbox: SandboxServer,
) -> None:
    spec = _spec(sandbox.base_url("laegevalg"), "gp_clinic", "gp_registration")
    client = SourceClient(spec)
    try:
        [record] = await gp_registration(client, _query(GP_CHILD, "bup_psychiatrist"))
    finally:
        await client.aclose()
    registered = population(DAY).children[GP_CHILD].record.registered_gp
    assert record.origin == registered  # the broker addresses it from the register
    assert set(record.data) | {"recipient"} == set(catalogue().categories["gp_clinic"].fields)
    assert record.data["sor_id"] and record.data["clinic_name"]


async def test_a_gp_registration_about_another_person_is_not_believed() -> None:
    answer = {"patient": "0101010101", "registration": {"organisation_id": "gp-x", "name": "X"}}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    client = SourceClient(
        _spec("http://laegevalg.invalid", "gp_clinic", "gp_registration"), transport=transport
    )
    try:
        with pytest.raises(SourceError, match="another person"):
            await gp_registration(client, _query(GP_CHILD, "bup_psychiatrist"))
    finally:
        await client.aclose()


async def test_a_child_without_a_gp_registration_gives_no_record() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, json={"patient": request.url.params["patient"], "registration": None}
        )
    )
    client = SourceClient(
        _spec("http://laegevalg.invalid", "gp_clinic", "gp_registration"), transport=transport
    )
    try:
        assert await gp_registration(client, _query(GP_CHILD, "bup_psychiatrist")) == []
    finally:
        await client.aclose()
