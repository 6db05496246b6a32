"""Nothing fetched is persisted: after overviews over sandbox data carrying
sentinel values, no database file, log or temporary file contains them."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from sandbox.app import create_app
from sandbox.population import Population, generate
from sandbox.server import SandboxServer
from tests.broker.conftest import (
    ALMA,
    CASEWORKER,
    DAY,
    GP,
    GP_CHILD,
    default_registry_text,
    overview,
)
from tests.conftest import fixed_clock, signing_key_file

SENTINELS = {
    "child": "Zqxv-Sentinel-Childname",
    "parent": "Zqxv-Sentinel-Parentname",
    "school": "Zqxv-Sentinel-School",
    "caseworker": "Zqxv-Sentinel-Caseworker",
}


def _sentinel_population() -> Population:
    """The default population (same CPR numbers, so the same consents apply) with
    sentinel values in what the sources serve."""
    pop = generate(DAY)
    for cpr in (ALMA, GP_CHILD):
        child = pop.children[cpr]
        record = child.record.model_copy(update={"name": SENTINELS["child"]})
        pop.children[cpr] = replace(
            child, record=record, school={**child.school, "institution_name": SENTINELS["school"]}
        )
        pop.persons[cpr] = record
        for holder in record.custody_holders:
            pop.persons[holder] = pop.persons[holder].model_copy(
                update={"name": SENTINELS["parent"]}
            )
        for case in child.cases:
            worker = pop.caseworkers[case.caseworker_id]
            pop.caseworkers[worker.id] = replace(worker, name=SENTINELS["caseworker"])
    return pop


def _files_containing(root: Path, needles: list[bytes]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            hits = [n.decode() for n in needles if n in content]
            if hits:
                found[str(path.relative_to(root))] = hits
    return found


class _EverythingFormatter(logging.Formatter):
    """The message and every attribute of the record, extras included."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{super().format(record)} {record.__dict__!r}"


@pytest.fixture
def captured_logs(tmp_path: Path) -> Iterator[Path]:
    """Every log record of every logger, at DEBUG, into a file under tmp_path."""
    log_file = tmp_path / "logs" / "service.log"
    log_file.parent.mkdir()
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(_EverythingFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield log_file
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def test_nothing_fetched_is_written_anywhere(
    tmp_path: Path, captured_logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    needles = [v.encode() for v in SENTINELS.values()]
    # Every source gets 20 s (default_registry_text): this test is about what is
    # written, and its first overview once timed out on a slow CI machine.
    sources = tmp_path / "sources.yaml"
    sources.write_text(default_registry_text())

    with SandboxServer(_sentinel_population()) as sandbox:
        settings = Settings(
            environment="test",
            source_registry=sources,
            var_dir=tmp_path / "var",
            demo_reference_date=DAY,
            sandbox_url=sandbox.url,
            dev_key_file=signing_key_file(),
        )
        with TestClient(create_app(settings, clock=fixed_clock(DAY))) as client:
            shown = [
                overview(client, GP_CHILD, GP),
                overview(client, ALMA, CASEWORKER),
                overview(client, ALMA, GP),
            ]
            # one more with a source failing, so the retry and error paths log too
            sandbox.control("stil").control.fail_status = 503
            shown.append(overview(client, GP_CHILD, GP))

    # the sentinels did flow: the GP was shown the caseworker and the school
    text = str(shown[0])
    assert SENTINELS["caseworker"] in text and SENTINELS["school"] in text
    assert sandbox.calls()["cpr"] >= 4  # the child's (sentinel) name was fetched each time

    assert (tmp_path / "var" / "hoi.db").is_file()
    assert captured_logs.stat().st_size > 0
    assert _files_containing(tmp_path, needles) == {}
    assert ALMA not in captured_logs.read_text(encoding="utf-8")
    assert GP_CHILD not in captured_logs.read_text(encoding="utf-8")


def test_the_scan_finds_a_sentinel_where_one_is_written(tmp_path: Path) -> None:
    """The scan above is not blind: a sentinel written to a database or log is found."""
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "hoi.db").write_bytes(b"\x00\x01" + SENTINELS["school"].encode() + b"\x00")
    assert _files_containing(tmp_path, [SENTINELS["school"].encode()]) == {
        str(Path("var") / "hoi.db"): [SENTINELS["school"]]
    }
