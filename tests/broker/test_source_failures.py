"""One source down or slow gives a partial overview with that source marked: never
an error page, never a wider permit. Retries only for idempotent reads; a
circuit breaker stops calls to a failing source."""

from __future__ import annotations

import socket
from typing import Any

from sandbox.server import SandboxServer
from tests.broker.conftest import (
    ALMA,
    CASEWORKER,
    GP,
    GP_CHILD,
    OverviewApp,
    default_registry_text,
    headers_of,
    overview,
    services_of,
    with_source_settings,
)

FAST_RETRY = "retry: {attempts: 3, wait_initial_s: 0.001, wait_max_s: 0.002}"


def _status(body: dict[str, Any], source: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in body["sources"] if s["source"] == source)
    return found


def _outcomes(body: dict[str, Any]) -> dict[str, str]:
    return {
        **{c: "permit" for c in body["data"]},
        **{c: "deny" for c in body["withheld"]},
    }


def test_slow_source_times_out_and_the_rest_is_shown(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    registry = with_source_settings(
        default_registry_text(), "bup-rn-appointments", "timeout_s: 0.2"
    )
    client = service(registry)
    healthy = overview(client, ALMA, CASEWORKER)
    sandbox.control("fhir").control.delay_s = 1.0

    body = overview(client, ALMA, CASEWORKER)

    assert _status(body, "bup-rn-appointments")["status"] == "timeout"
    assert _status(body, "bup-rn-contact-points")["status"] == "ok"
    appointments = body["data"]["psychiatry_appointments"]
    assert appointments["records"] == [] and appointments["complete"] is False
    assert body["data"]["psychiatry_contacts"]["records"]
    assert body["data"]["psychiatry_contacts"]["complete"] is True
    # the same categories are permitted and withheld as when every source answers
    assert _outcomes(body) == _outcomes(healthy)
    assert body["withheld"] == healthy["withheld"]


def test_source_answering_503_is_retried_then_marked_error(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    registry = with_source_settings(default_registry_text(), "bup-rn-contact-points", FAST_RETRY)
    client = service(registry)
    sandbox.control("sor").control.fail_status = 503

    body = overview(client, ALMA, CASEWORKER)

    assert _status(body, "bup-rn-contact-points") | {"records": 0, "duration_ms": 0} == {
        "source": "bup-rn-contact-points",
        "category": "psychiatry_contacts",
        "status": "error",
        "detail": "http_503",
        "records": 0,
        "duration_ms": 0,
    }
    assert sandbox.calls()["sor"] == 3  # three attempts of an idempotent GET
    assert body["data"]["psychiatry_appointments"]["records"]
    assert set(body["withheld"]) == {
        "municipal_case_status",
        "municipal_contacts",
        "school_daycare",
        "gp_clinic",
    }


def test_one_failure_then_success_is_recovered_by_a_retry(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    registry = with_source_settings(default_registry_text(), "bup-rn-appointments", FAST_RETRY)
    client = service(registry)
    sandbox.control("fhir").control.fail_next = 1

    body = overview(client, ALMA, CASEWORKER)

    assert _status(body, "bup-rn-appointments")["status"] == "ok"
    assert body["data"]["psychiatry_appointments"]["records"]
    assert sandbox.calls()["fhir"] == 2


def test_unreachable_source_is_an_error_not_an_error_page(service: OverviewApp) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/sor"
    registry = default_registry_text().replace('"{sandbox}/sor"', f'"{dead}"')
    registry = with_source_settings(registry, "bup-rn-contact-points", FAST_RETRY)
    client = service(registry)

    body = overview(client, ALMA, CASEWORKER)

    status = _status(body, "bup-rn-contact-points")
    assert status["status"] == "error" and status["detail"].startswith("transport_")
    assert body["data"]["psychiatry_contacts"]["records"] == []
    assert body["data"]["psychiatry_appointments"]["records"]


def test_circuit_breaker_stops_calling_a_failing_source_and_tries_again_later(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    registry = with_source_settings(
        default_registry_text(),
        "bup-rn-appointments",
        f"{FAST_RETRY}\nbreaker: {{failure_threshold: 2, reset_after_s: 60}}",
    )
    client = service(registry)
    now = [1000.0]
    services_of(client).broker.breakers["bup-rn-appointments"].clock = lambda: now[0]
    fhir = sandbox.control("fhir").control
    fhir.fail_status = 500  # not a transient status: one call per overview

    for _ in range(2):
        assert (
            _status(overview(client, ALMA, CASEWORKER), "bup-rn-appointments")["status"] == "error"
        )
    assert sandbox.calls()["fhir"] == 2

    for _ in range(3):  # open: the source is left alone
        body = overview(client, ALMA, CASEWORKER)
        assert _status(body, "bup-rn-appointments")["detail"] == "circuit_open"
        assert body["data"]["psychiatry_contacts"]["records"]
    assert sandbox.calls()["fhir"] == 2

    now[0] += 61  # after the reset period one trial call goes out; the source is back
    fhir.fail_status = None
    body = overview(client, ALMA, CASEWORKER)
    assert _status(body, "bup-rn-appointments")["status"] == "ok"
    assert sandbox.calls()["fhir"] == 3
    overview(client, ALMA, CASEWORKER)
    assert sandbox.calls()["fhir"] == 4


def test_unknown_child_is_withheld_not_an_error(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    body = overview(service(), "6101204000", CASEWORKER)

    assert body["data"] == {}
    codes = {r["code"] for w in body["withheld"].values() for r in w["reasons"]}
    assert codes == {"missing_fact"}
    # The fact sources are asked at once (the relation service beside the CPR
    # register); no data source is asked about a child the register does not know.
    assert (
        sum(v for k, v in sandbox.calls().items() if k not in ("cpr", "brs", "staff", "network"))
        == 0
    )


def test_cpr_register_down_denies_everything_and_calls_no_data_source(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    client = service(with_source_settings(default_registry_text(), "cpr", FAST_RETRY))
    sandbox.control("cpr").control.fail_status = 503

    body = overview(client, ALMA, CASEWORKER)

    assert body["data"] == {}
    reasons = [r for w in body["withheld"].values() for r in w["reasons"]]
    assert {r["code"] for r in reasons} == {"missing_fact"}
    assert "CPR register did not answer" in reasons[0]["message"]
    assert {
        k: v for k, v in sandbox.calls().items() if k not in ("cpr", "brs", "staff", "network")
    } == dict.fromkeys(["fhir", "sor", "fk-sag", "fk-org", "stil", "laegevalg"], 0)


def test_registry_routes_answer_503_when_the_cpr_register_is_down(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    client = service(with_source_settings(default_registry_text(), "cpr", FAST_RETRY))
    sandbox.control("cpr").control.fail_status = 503

    response = client.get(f"/v1/children/{ALMA}/consents", headers=headers_of(CASEWORKER))

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "cpr"


def test_relation_service_down_denies_what_needs_a_relation(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    client = service(
        with_source_settings(default_registry_text(), "treatment-relations", FAST_RETRY)
    )
    sandbox.control("brs").control.fail_status = 503

    body = overview(client, GP_CHILD, GP)

    assert body["data"] == {}
    assert {r["code"] for w in body["withheld"].values() for r in w["reasons"]} == {"missing_fact"}
    assert sandbox.calls()["fk-sag"] == sandbox.calls()["fk-org"] == sandbox.calls()["stil"] == 0
