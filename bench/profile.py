"""A py-spy flame graph of a running service (issue 12, target 7).

py-spy attaches to the server's process (and its worker processes) through
ptrace. Where attaching is refused (no CAP_SYS_PTRACE, a container's
seccomp, Yama's ptrace_scope), `ServiceProcess(command=spy_prefix(...))` runs
the server under py-spy instead, which needs no attach permission.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.common import tool


@dataclass
class Profile:
    svg: Path | None
    how: str
    note: str = ""


def available() -> bool:
    return tool("py-spy") is not None


def attach(pid: int, svg: Path, seconds: float, *, rate: int = 100) -> Profile:
    """Record `seconds` of the running process `pid` and its children."""
    spy = tool("py-spy")
    if spy is None:
        return Profile(None, "skipped", "py-spy not found (it is in the dev extra: make install)")
    svg.parent.mkdir(parents=True, exist_ok=True)
    svg.unlink(missing_ok=True)
    done = subprocess.run(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            str(rate),
            "--format",
            "flamegraph",
            "--output",
            str(svg),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    if done.returncode == 0 and svg.exists():
        scrub(svg)
        return Profile(svg, "py-spy record --pid (attached)", _samples(done.stdout + done.stderr))
    return Profile(None, "attach refused", (done.stderr or done.stdout).strip()[-300:])


def spy_prefix(svg: Path, *, rate: int = 100) -> list[str]:
    """A command prefix that runs a server under py-spy; the flame graph is written
    when py-spy is interrupted (see `finish`)."""
    spy = tool("py-spy")
    if spy is None:
        raise RuntimeError("py-spy not found")
    svg.parent.mkdir(parents=True, exist_ok=True)
    svg.unlink(missing_ok=True)
    return [
        spy,
        "record",
        "--subprocesses",
        "--rate",
        str(rate),
        "--format",
        "flamegraph",
        "--output",
        str(svg),
        "--",
    ]


def finish(process: subprocess.Popen[bytes], svg: Path) -> Profile:
    """Stop a server run under py-spy: the server is terminated, and py-spy writes
    the flame graph when its target exits (SIGINT to py-spy if it does not)."""
    for child in _children(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if svg.exists():
        scrub(svg)
        return Profile(svg, "py-spy record -- hoi serve (server run under py-spy)")
    return Profile(None, "failed", "py-spy wrote no flame graph")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def scrub(svg: Path) -> None:
    """Leave no machine path in a flame graph that is committed: py-spy writes its
    command line and the server's into the title."""
    text = svg.read_text()
    for prefix in sorted(
        {f"{Path(sys.executable).parent}/", f"{Path.cwd().resolve()}/", f"{Path.home()}/"},
        key=len,
        reverse=True,
    ):
        text = text.replace(prefix, "")
    svg.write_text(text)


def _samples(output: str) -> str:
    for line in output.splitlines():
        if "Samples:" in line:
            return line.split("Samples:", 1)[1].strip().join(("samples: ", ""))
    return ""
