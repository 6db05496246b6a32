"""The family's access log and the auditor's queries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.audit.helpers import AUDITOR, DAY, decide, pilot, request_body, story
from tests.conftest import AppFactory, auth_headers, citizen_headers

ALMA = story(0)  # 12, both custody holders consented
SIXTEEN = story(2)  # 16, objects to disclosure


def _log(client: TestClient, cpr: str, viewer: str, **params: Any) -> Any:
    return client.get(
        f"/v1/citizens/{cpr}/access-log", headers=citizen_headers(viewer), params=params
    )


def test_a_custody_holder_sees_the_lookups_made_about_their_child(
    make_client: AppFactory,
) -> None:
    """The demo run: a caseworker, a PPR psychologist and a GP look up Alma;
    her mother's log lists all three, newest first."""
    client = make_client(day=DAY)
    caseworker = decide(client, ALMA)
    ppr = decide(
        client,
        ALMA,
        id="ppr-851-1",
        role="ppr_psychologist",
        organisation={"type": "municipality", "id": "851-ppr"},
    )
    gp_clinic = pilot().children[ALMA].record.registered_gp
    gp = decide(
        client,
        ALMA,
        id="gp-1",
        role="gp",
        organisation={"type": "gp_clinic", "id": gp_clinic},
        health_professional=True,
    )
    decide(client, story(1))  # another child: not in Alma's log
    mother = pilot().children[ALMA].record.custody_holders[0]
    response = _log(client, ALMA, mother)
    assert response.status_code == 200, response.text
    entries = response.json()["entries"]
    assert [e["decision_id"] for e in entries] == [
        gp["decision_id"],
        ppr["decision_id"],
        caseworker["decision_id"],
    ]
    first = entries[-1]
    assert first["role"] == "municipal_caseworker"
    assert first["role_label"] == "Municipal caseworker (family department)"
    assert first["organisation_name"] == "Aalborg Kommune, Børne- og familieafdelingen"
    assert first["purpose"] == "social_case_work"
    assert first["override"] is False
    assert first["employee_id"] is None  # not shown unless configured
    assert {(c["category"], c["outcome"]) for c in first["categories"]} == {
        ("psychiatry_appointments", "permit"),
        ("psychiatry_contacts", "permit"),
        ("school_daycare", "deny"),
    }
    father = pilot().children[ALMA].record.custody_holders[1]
    assert len(_log(client, ALMA, father).json()["entries"]) == 3


def test_the_employee_is_named_only_where_configured(make_client: AppFactory) -> None:
    client = make_client(day=DAY, audit_log_shows_employee=True)
    decide(client, ALMA)
    mother = pilot().children[ALMA].record.custody_holders[0]
    [entry] = _log(client, ALMA, mother).json()["entries"]
    assert entry["employee_id"] == "cw-851-family-1"


def test_who_may_read_a_log(make_client: AppFactory) -> None:
    client = make_client(day=DAY)
    decide(client, ALMA)
    decide(client, SIXTEEN)
    alma_parent = pilot().children[ALMA].record.custody_holders[0]
    sixteen_parent = pilot().children[SIXTEEN].record.custody_holders[0]
    assert _log(client, ALMA, ALMA).status_code == 403  # 12: not yet her own
    assert _log(client, ALMA, sixteen_parent).status_code == 403  # a stranger
    assert _log(client, SIXTEEN, SIXTEEN).status_code == 200  # 16: her own
    assert _log(client, SIXTEEN, sixteen_parent).status_code == 403  # she decides alone now
    assert _log(client, SIXTEEN, alma_parent).status_code == 403
    unknown = _log(client, "7101014000", alma_parent)
    assert unknown.status_code == 403  # no oracle for which numbers exist
    missing = client.get(f"/v1/citizens/{ALMA}/access-log", headers={"Authorization": ""})
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"


def test_the_access_log_pages(make_client: AppFactory) -> None:
    client = make_client(day=DAY)
    made = [decide(client, ALMA)["decision_id"] for _ in range(5)]
    mother = pilot().children[ALMA].record.custody_holders[0]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = _log(client, ALMA, mother, **params).json()
        seen += [e["decision_id"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


def _search(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", headers=AUDITOR, params=params)
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = [r["record"] for r in response.json()["records"]]
    return records


def test_only_an_auditor_may_query(make_client: AppFactory) -> None:
    client = make_client(day=DAY)
    assert client.get("/v1/audit", headers={"Authorization": ""}).status_code == 401
    caseworker = auth_headers()  # a caseworker's token
    assert client.get("/v1/audit", headers=caseworker).status_code == 403
    assert client.get("/v1/audit/verify", headers=caseworker).status_code == 403
    assert client.get("/v1/audit/x/fhir", headers=caseworker).status_code == 403


def _partial(decision: dict[str, Any]) -> bool:
    return len({c["decision"] for c in decision["categories"].values()}) == 2


def test_auditor_filters(make_client: AppFactory) -> None:
    moments = iter(datetime.combine(DAY, time(9, m), tzinfo=UTC) for m in range(60))
    client = make_client(day=DAY)
    services = client.app.state.services  # type: ignore[attr-defined]
    services.audit.clock = lambda: next(moments)
    alma = decide(client, ALMA)  # 09:00 partial
    ppr = decide(
        client,
        ALMA,
        id="ppr-851-1",
        role="ppr_psychologist",
        organisation={"type": "municipality", "id": "851-ppr"},
    )  # 09:01
    other = decide(client, story(1), id="cw-851-family-2")  # 09:02
    janitor = request_body(story(3), role="janitor")
    unknown_role = client.post(
        "/v1/decisions", json=janitor, headers=auth_headers(janitor["subject"])
    ).json()  # 09:03 deny
    assert {r["decision_id"] for r in _search(client, child_cpr=ALMA)} == {
        alma["decision_id"],
        ppr["decision_id"],
    }
    assert [r["decision_id"] for r in _search(client, requester_id="cw-851-family-2")] == [
        other["decision_id"]
    ]
    assert [r["decision_id"] for r in _search(client, organisation_id="851-ppr")] == [
        ppr["decision_id"]
    ]
    # The father's objection denies every category for the divorced family's child.
    all_denied = {c["decision"] for c in ppr["categories"].values()} == {"deny"}
    assert {r["decision_id"] for r in _search(client, outcome="deny")} == {
        unknown_role["decision_id"],
        other["decision_id"],
    } | ({ppr["decision_id"]} if all_denied else set())
    assert {r["decision_id"] for r in _search(client, outcome="partial")} == {
        alma["decision_id"]
    } | ({ppr["decision_id"]} if _partial(ppr) else set())
    start = datetime.combine(DAY, time(9, 1), tzinfo=UTC)
    window = _search(
        client, since=start.isoformat(), until=(start + timedelta(minutes=2)).isoformat()
    )
    assert [r["decision_id"] for r in window] == [other["decision_id"], ppr["decision_id"]]
    naive = client.get("/v1/audit", headers=AUDITOR, params={"since": "2026-11-26T09:00:00"})
    assert naive.status_code == 422
    assert naive.json()["field"] == "since"


def test_auditor_paging_visits_every_record_once(make_client: AppFactory) -> None:
    client = make_client(day=DAY)  # a fixed clock: every record has the same time
    made = {decide(client, story(n % 4))["decision_id"] for n in range(7)}
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/audit", headers=AUDITOR, params=params).json()
        seen += [r["record"]["decision_id"] for r in page["records"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    bad = client.get("/v1/audit", headers=AUDITOR, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
