"""The handbook: its matrix is what the decision API answers for the same
facts, it is written by `hoi policy handbook`, and the service serves it."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from handbook.matrix import FACT_SETS, REPRESENTATIVES, Matrix, compute_matrix, world
from policy.legal import legal_catalogue
from policy.paths import REGO_DIR
from sandbox.worlds import scenario_population
from tests.conftest import ENGINES, AppFactory
from tests.test_scenarios import ask, record

DAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    async def compute() -> Matrix:
        engine = EmbeddedEngine(PolicyBundle(REGO_DIR))
        try:
            return await compute_matrix(engine, legal_catalogue(), DAY)
        finally:
            await engine.aclose()

    return asyncio.run(compute())


def _essence(outcome: dict[str, Any]) -> dict[str, Any]:
    return {
        "decision": outcome["decision"],
        "rule_id": outcome["rule_id"],
        "legal_basis": outcome["legal_basis"],
        "reasons": [r["code"] for r in outcome["reasons"]],
        "fields": outcome["fields"],
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_matrix_matches_the_decision_api(
    make_client: AppFactory, matrix: Matrix, engine: str
) -> None:
    checked = 0
    for fact_set in FACT_SETS:
        facts = world(fact_set.key, "gp", DAY)
        client = make_client(engine, population=scenario_population(facts), day=DAY)
        record(client, facts)
        for role in REPRESENTATIVES:
            decision = ask(client, world(fact_set.key, role, DAY), engine)
            for category, outcome in decision["categories"].items():
                cell = matrix.cells[fact_set.key][role][category]
                shown = {
                    "decision": cell.decision,
                    "rule_id": cell.rule_id,
                    "legal_basis": cell.legal_basis,
                    "reasons": cell.reasons,
                    "fields": cell.fields,
                }
                assert shown == _essence(outcome), (fact_set.key, role, category)
                checked += 1
    assert checked == len(FACT_SETS) * len(REPRESENTATIVES) * len(matrix.categories)


def test_matrix_shows_the_distinctions_the_pilot_found_hard(matrix: Matrix) -> None:
    valid = matrix.cells["valid_consent"]
    # With every consent given, municipal staff see psychiatry data on the § 43 route only.
    assert valid["municipal_caseworker"]["psychiatry_appointments"].rule_id == "SUL-43-1-CONSENT"
    assert valid["ppr_psychologist"]["psychiatry_appointments"].rule_id == "SUL-43-1-CONSENT"
    # Without consent: the caseworker is pointed to Rsl § 11 c, PPR is told it has no such route.
    none = matrix.cells["no_consent"]
    assert "request_from_holder" in none["municipal_caseworker"]["psychiatry_appointments"].reasons
    assert "request_from_holder" not in none["ppr_psychologist"]["psychiatry_appointments"].reasons
    assert "consent_only_route" in none["ppr_psychologist"]["psychiatry_appointments"].reasons
    # The child's GP clinic: municipal staff on a § 28 consent, psychiatry on its course.
    assert valid["municipal_caseworker"]["gp_clinic"].rule_id == "FVL-28-GP-CLINIC-CONSENT"
    assert none["municipal_caseworker"]["gp_clinic"].reasons == ["missing_consent"]
    assert none["bup_psychiatrist"]["gp_clinic"].rule_id == "SUL-41-2-GP-CLINIC"
    assert matrix.cells["objection"]["bup_psychiatrist"]["gp_clinic"].decision == "deny"
    # § 42 a lookups serve health professionals only.
    assert none["gp"]["psychiatry_appointments"].rule_id == "SUL-42A-1-GP-LOOKUP"
    assert none["bup_social_worker"]["psychiatry_appointments"].decision == "deny"
    # The § 43 consent lapses after a year, whatever end date it names.
    expired = matrix.cells["expired_consent"]["municipal_caseworker"]["psychiatry_appointments"]
    assert expired.reasons[0] == "consent_expired"
    # A permitting cell names its legal basis and how sure we are of it.
    cell = valid["gp"]["municipal_case_status"]
    assert [c.id for c in cell.citations] == ["fvl-28-2-1", "sul-42a-1"]
    assert cell.basis_review == "draft"


def test_cli_writes_the_handbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "handbook"
    assert main(["policy", "handbook", "--out", str(out)]) == 0
    revision = PolicyBundle(REGO_DIR).revision()
    assert revision in capsys.readouterr().out
    for name in ["index.html", "index.md", "matrix.html", "matrix.md", "rules.html"]:
        assert revision in (out / name).read_text(encoding="utf-8"), name
    provision = (out / "provision-sul-42a-2.html").read_text(encoding="utf-8")
    assert "Sundhedsloven § 42 a, stk. 2, LBK nr. 275 af 12/03/2025" in provision
    assert "review-unconfirmed" in provision
    assert "SUL-42A-OVERRIDE" in provision
    assert "override_by_psychiatrist" in provision
    # The rules of sending a message show, with their review status and why no
    # scenario exercises them yet.
    weighty = (out / "provision-sul-43-2-2.md").read_text(encoding="utf-8")
    assert "SEND-SUL-43-2-WEIGHTY-CONCERN" in weighty
    assert "unconfirmed" in weighty
    rules = (out / "rules.md").read_text(encoding="utf-8")
    assert "## SEND-OWN-STANDARD-CHANNEL" in rules
    assert "none (Every topic and recipient the send API accepts has a route" in rules
    # Every provision has a page in both formats.
    for pid in legal_catalogue().entries:
        assert (out / f"provision-{pid}.html").is_file()
        assert (out / f"provision-{pid}.md").is_file()


def test_rule_links_point_at_the_rule_head(tmp_path: Path) -> None:
    out = tmp_path / "handbook"
    assert main(["policy", "handbook", "--out", str(out)]) == 0
    rules = (out / "rules.html").read_text(encoding="utf-8")
    link = re.search(r'id="SUL-43-1-CONSENT".*?href="(source-[^"#]+)#L(\d+)"', rules, re.S)
    assert link is not None
    source = (out / link.group(1)).read_text(encoding="utf-8")
    line = re.search(rf'<span id="L{link.group(2)}" data-n="\d+">([^<]*)</span>', source)
    assert line is not None and line.group(1).startswith("route contains")


def test_the_service_serves_the_handbook_and_the_catalogue(make_client: AppFactory) -> None:
    client = make_client(day=DAY)
    index = client.get("/policy")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    revision = PolicyBundle(REGO_DIR).revision()
    assert revision in index.text
    assert '<base href="/policy/">' in index.text
    matrix_page = client.get("/policy/matrix.html")
    assert matrix_page.status_code == 200
    assert "SUL-43-1-CONSENT" in matrix_page.text
    missing = client.get("/policy/nothing-here.html")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"

    catalogue = client.get("/v1/policy/catalogue")
    assert catalogue.status_code == 200
    body = catalogue.json()
    assert body["policy_revision"] == revision
    provisions = {p["id"]: p for p in body["provisions"]}
    assert provisions["sul-43-1"]["citation"] == (
        "Sundhedsloven § 43, stk. 1, LBK nr. 275 af 12/03/2025"
    )
    assert provisions["sul-43-1"]["rules"] == [
        "MUN-CASE-IN-CHILDS-MUNICIPALITY",
        "SEND-SUL-43-1-CONSENT",
        "SUL-43-1-CONSENT",
    ]
    assert provisions["rsl-11c"]["review"]["status"] == "unconfirmed"
    assert body["acts"]["gdpr"]["url"].startswith("https://eur-lex.europa.eu/")
