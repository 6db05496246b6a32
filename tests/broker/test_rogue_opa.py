"""Abuse: an OPA that is not ours answers permit for everything. The service must
not believe it: every category is withheld with engine_error and no data source
of a category is called."""

from __future__ import annotations

from sandbox.server import SandboxServer
from tests.broker.conftest import ALMA, CASEWORKER, OverviewApp, overview
from tests.rogue_opa import RogueOpa

TOKEN = "t" * 43


def test_a_rogue_opa_that_repeats_the_revision_and_permits_everything_releases_nothing(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    with RogueOpa() as rogue:
        client = service(engine="opa", opa_url=rogue.url, opa_token=TOKEN)
        body = overview(client, ALMA, CASEWORKER)

    assert rogue.requests, "the service never asked the rogue OPA"
    assert body["data"] == {}
    assert set(body["withheld"]) == {
        "psychiatry_appointments",
        "psychiatry_contacts",
        "municipal_case_status",
        "municipal_contacts",
        "school_daycare",
        "gp_clinic",
        "child_identity",
    }
    for withheld in body["withheld"].values():
        assert [r["code"] for r in withheld["reasons"]] == ["engine_error"]
    calls = sandbox.calls()
    assert calls["fhir"] == calls["sor"] == calls["fk-sag"] == calls["fk-org"] == 0
    assert calls["stil"] == calls["laegevalg"] == 0
