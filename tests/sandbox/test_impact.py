"""`hoi policy impact`: a loosened route shows as newly permitted under its rule;
the same policy shows no change; the corpus is reproducible."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from handbook.scenarios import load_scenarios
from policy.paths import REGO_DIR
from sandbox.corpus import corpus
from sandbox.impact import impact, markdown, policy_at, write

SIZE = 600
"""A small corpus keeps the test quick (the command's default is 4,200 inputs)."""


def loosened(tmp_path: Path) -> Path:
    """A copy of the policy where the GP's § 42 a lookup no longer needs a consultation."""
    copy = tmp_path / "rego"
    shutil.copytree(REGO_DIR, copy)
    routes = copy / "hoi" / "routes" / "routes.rego"
    text = routes.read_text(encoding="utf-8")
    route = re.compile(r'("rule_id": "SUL-42A-1-GP-LOOKUP",.*?)"relation": "gp_consultation"', re.S)
    changed, found = route.subn(r'\1"relation": null', text, count=1)
    assert found == 1, "the test's route changed: loosen another one"
    routes.write_text(changed, encoding="utf-8")
    return copy


def test_a_loosened_route_is_newly_permitted_under_its_rule(tmp_path: Path) -> None:
    report = impact(REGO_DIR, loosened(tmp_path), base_ref="main", size=SIZE, workers=1)
    permitted = [g for g in report.groups if g.direction == "newly_permitted"]
    assert [g.rule for g in permitted] == ["SUL-42A-1-GP-LOOKUP"]
    assert report.groups[0] is permitted[0], "newly permitted comes first"
    assert report.count("newly_permitted") > 0
    example = permitted[0].changes[0]
    assert example.situation.role == "gp"
    assert example.after["decision"] == "permit"
    written = write(report, tmp_path / "out")
    text = markdown(report)
    assert "## 🟥 Newly permitted" in text
    assert "Before: deny (" in text and "Now: permit by SUL-42A-1-GP-LOOKUP" in text
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "class='permitted'" in page
    assert {p.name for p in written} == {"README.md", "index.html"}


def test_the_same_policy_changes_nothing() -> None:
    scenarios = load_scenarios()[:5]
    report = impact(
        REGO_DIR, REGO_DIR, base_ref="HEAD~0", scenarios=scenarios, size=SIZE, workers=1
    )
    assert report.changed == 0
    assert report.groups == []
    assert report.scenarios == 5
    assert "No decision changed." in markdown(report)


def test_the_corpus_is_reproducible_and_large_enough_by_default() -> None:
    first, again, other = corpus(seed=3, size=SIZE), corpus(seed=3, size=SIZE), corpus(4, SIZE)
    assert first.digest() == again.digest()
    assert first.digest() != other.digest()
    assert first.size == SIZE * first.categories
    assert 4200 * first.categories >= 20_000


def test_the_base_policy_comes_from_git(tmp_path: Path) -> None:
    root = REGO_DIR.parent
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    base = policy_at("HEAD", root, tmp_path)
    assert (base / "hoi" / "routes" / "routes.rego").is_file()
    with pytest.raises(subprocess.CalledProcessError):
        policy_at("no-such-ref-anywhere", root, tmp_path / "x")


def test_the_command_writes_both_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.settings import get_settings
    from cli.main import main

    if not (REGO_DIR.parent / ".git").exists():
        pytest.skip("not a git checkout")
    monkeypatch.setenv("HOI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    out = tmp_path / "impact"
    args = ["policy", "impact", "--base", "HEAD", "--out", str(out), "--size", "50"]
    assert main([*args, "--workers", "1"]) == 0
    per_input = corpus(seed=11, size=1).categories  # one situation per data category
    assert f"{50 * per_input} situations" in capsys.readouterr().out
    assert (out / "README.md").is_file() and (out / "index.html").is_file()
    assert main(["policy", "impact", "--base", "no-such-ref-anywhere", "--out", str(out)]) == 2
    assert "git archive no-such-ref-anywhere" in capsys.readouterr().err


def test_a_base_policy_before_relation_evidence_reads_the_evidence_graded_as_then() -> None:
    """Comparing across the change to evidence, the base policy gets the graded
    kinds the service gave it then, so the report shows the policy's change."""
    from sandbox.impact import with_graded_kinds

    document = {
        "subject": {"organisation": {"id": "bup-a"}},
        "context": {"date": "2026-11-26"},
        "child": {"registered_gp": None},
        "facts": {
            "relations": [
                {"type": "appointment", "organisation_id": "bup-a", "date": "2026-01-30"},
                {"type": "appointment", "organisation_id": "bup-a", "date": "2025-01-30"},
                {"type": "case", "organisation_id": "851-family", "active": True},
            ]
        },
    }
    kinds = [r["kind"] for r in with_graded_kinds(document)["facts"]["relations"]]
    assert kinds == ["treatment_course", "historical", "open_case"]


def test_a_reworded_message_is_told_apart_from_a_changed_decision(tmp_path: Path) -> None:
    copy = tmp_path / "rego"
    shutil.copytree(REGO_DIR, copy)
    decision = copy / "hoi" / "decision" / "decision.rego"
    text = decision.read_text(encoding="utf-8")
    assert "No legal basis lets the role" in text, "the test's message changed: reword another"
    decision.write_text(text.replace("No legal basis lets the role", "No law lets the role"))
    report = impact(REGO_DIR, copy, base_ref="main", size=SIZE, workers=1)
    assert report.changed == 0
    assert report.count("wording_changed") > 0
    assert {g.direction for g in report.groups} == {"wording_changed"}
    text = markdown(report)
    assert "No decision changed." in text
    assert "Now: deny (no_legal_basis [DENY-NO-LEGAL-BASIS]: No law lets the role" in text
