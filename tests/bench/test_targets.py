"""The bench's own plumbing (the measurements themselves run in `make bench`)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import common, targets


class Fake:
    """A process that starts (or fails to) and records being stopped."""

    def __init__(self, fails: bool = False) -> None:
        self.fails = fails
        self.stopped = False

    def __enter__(self) -> Fake:
        if self.fails:
            raise RuntimeError("did not become ready")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped = True


def test_processes_started_together_are_all_stopped_when_one_fails() -> None:
    processes = [Fake(), Fake(fails=True), Fake()]
    with pytest.raises(RuntimeError), contextlib.ExitStack() as stack:
        targets.start_together(stack, processes)
    assert all(p.stopped for p in processes)


def test_the_service_is_started_with_its_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[list[str]] = []

    def popen(args: list[str], **_: Any) -> object:
        started.append(args)
        return object()

    monkeypatch.setattr("bench.common.subprocess.Popen", popen)
    monkeypatch.setattr(common.ServiceProcess, "_await_ready", lambda self, url: None)
    common.ServiceProcess(tmp_path, workers=2).__enter__()
    [args] = started
    assert args[1:3] == ["sandbox", "serve"]
    assert args[args.index("--workers") + 1] == "2"


def test_workers_below_one_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["bench.targets", "--workers", "0"])
    with pytest.raises(SystemExit) as exit_:
        targets.main()
    assert exit_.value.code == 2
