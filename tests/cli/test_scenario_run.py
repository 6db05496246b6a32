"""`hoi scenario run`: scenarios from any folder, a readable pass/fail, exit 1 on failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from handbook.scenarios import SCENARIO_DIR
from tests.conftest import require_opa

OBJECTION = SCENARIO_DIR / "young_person_objects_on_fifteenth_birthday.yaml"
WRONG = """\
title: A lawyer expects a permit the law does not give
legal_references: [sul-43-1]
facts: The caseworker has no consent.
date: 2026-11-26
child: {born: 2016-03-01, custody_holders: [mother]}
requester: {role: municipal_caseworker, organisation: 851-family, organisation_type: municipality}
purpose: social_case_work
ask: [psychiatry_appointments]
expect:
  psychiatry_appointments: {decision: permit}
"""


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.settings import get_settings

    monkeypatch.setenv("HOI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()


def test_a_passing_scenario_prints_the_decision_and_exits_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scenario", "run", str(OBJECTION)]) == 0
    out = capsys.readouterr().out
    assert f"PASS  {OBJECTION.stem}" in out
    assert "psychiatry_appointments: DENY" in out
    assert "objection [SUL-OBJECTION]: A person entitled to decide" in out
    assert "not checked here: the citizen's access log" in out
    assert "1 passed, 0 failed" in out


def test_a_folder_with_a_failing_scenario_exits_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "expects_too_much.yaml").write_text(WRONG, encoding="utf-8")
    (folder / "objection.yaml").write_text(OBJECTION.read_text(encoding="utf-8"))
    assert main(["scenario", "run", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  expects_too_much" in out
    assert "psychiatry_appointments: expected permit, got deny" in out
    assert "PASS  objection" in out
    assert "1 passed, 1 failed" in out


def test_a_file_that_does_not_load_is_reported_and_exits_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(WRONG.replace("purpose:", "porpose:"), encoding="utf-8")
    assert main(["scenario", "run", str(broken)]) == 2
    out = capsys.readouterr().out
    assert f"ERROR {broken}" in out
    assert "0 passed, 0 failed, 1 could not be run" in out


def test_steps_and_registry_attempts_are_played(capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = [
        SCENARIO_DIR / "registry_revocation_reported_by_the_caseworker.yaml",
        SCENARIO_DIR / "registry_divorced_parents_objection_withdrawn.yaml",
    ]
    assert main(["scenario", "run", *map(str, scenarios)]) == 0
    out = capsys.readouterr().out
    assert "registry: " in out
    assert "then: " in out


def test_runs_on_opa(capsys: pytest.CaptureFixture[str]) -> None:
    require_opa()
    assert main(["scenario", "run", str(OBJECTION), "--engine", "opa"]) == 0
    assert "engine opa" in capsys.readouterr().out
