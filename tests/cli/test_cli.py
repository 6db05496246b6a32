"""`hoi sandbox decide` (production's `hoi decide` in the synthetic world): prints the
decision; exit 0 permit, 1 deny, 2 error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from tests.conftest import DEFAULT_SUBJECT

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "caseworker-psychiatry.json"


def with_subject(tmp_path: Path, body: dict[str, object]) -> Path:
    """The request naming its subject in the file (the CLI's other way is --token)."""
    request = tmp_path / "request.json"
    request.write_text(json.dumps({**body, "subject": DEFAULT_SUBJECT}))
    return request


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.settings import get_settings

    monkeypatch.setenv("HOI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()


def test_permit_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = json.loads(EXAMPLE.read_text())
    body["resource"]["categories"] = ["psychiatry_appointments"]
    assert main(["sandbox", "decide", str(with_subject(tmp_path, body))]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert decision["categories"]["psychiatry_appointments"]["decision"] == "permit"


def test_any_deny_exits_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["sandbox", "decide", str(with_subject(tmp_path, json.loads(EXAMPLE.read_text())))])
        == 1
    )
    decision = json.loads(capsys.readouterr().out)
    assert decision["categories"]["school_daycare"]["decision"] == "deny"


def test_bad_request_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = tmp_path / "bad.json"
    request.write_text('{"subject": {}}')
    assert main(["sandbox", "decide", str(request)]) == 2
    assert "hoi decide" in capsys.readouterr().err


def test_missing_file_exits_two(tmp_path: Path) -> None:
    assert main(["sandbox", "decide", str(tmp_path / "nope.json")]) == 2
