"""Every reason in a decision carries resolved citations and the review status
of the law it rests on."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import AppFactory
from tests.test_scenarios import SCENARIOS, run_scenario

EXAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "caseworker-psychiatry.json").read_text()
)


def test_a_permit_cites_the_act_paragraph_and_consolidation(make_client: AppFactory) -> None:
    decision = make_client().post("/v1/decisions", json=EXAMPLE).json()
    reason = decision["categories"]["psychiatry_appointments"]["reasons"][0]
    assert reason["code"] == "permitted"
    assert reason["citations"] == [
        {
            "id": "sul-43-1",
            "text": "Sundhedsloven § 43, stk. 1, LBK nr. 275 af 12/03/2025",
            "review": "draft",
            "url": "https://www.retsinformation.dk/eli/lta/2025/275",
        },
        {
            "id": "sul-44",
            "text": "Sundhedsloven § 44, LBK nr. 275 af 12/03/2025",
            "review": "draft",
            "url": "https://www.retsinformation.dk/eli/lta/2025/275",
        },
    ]
    assert reason["basis_review"] == "draft"


def test_a_reason_on_unconfirmed_law_is_flagged(make_client: AppFactory) -> None:
    scenario = next(s for s in SCENARIOS if s.id == "caseworker_child_welfare_investigation")
    decision = run_scenario(make_client, scenario, "embedded")[0]
    reasons = {r["code"]: r for r in decision["categories"]["psychiatry_appointments"]["reasons"]}
    hint = reasons["request_from_holder"]
    assert hint["basis_review"] == "unconfirmed"
    assert {c["id"]: c["review"] for c in hint["citations"]}["rsl-11c"] == "unconfirmed"
    assert hint["citations"][0]["text"] == "Retssikkerhedsloven § 11 c, LBK nr. 265 af 25/02/2022"
    assert reasons["missing_consent"]["basis_review"] == "draft"
