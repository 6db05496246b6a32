"""Load from wrk (the Debian package), one wrk process per measurement.

The Lua script (bench/lua/request.lua) sets method, body and bearer token,
checks every answer and prints one `BENCH {json}` line at the end, so nothing
here depends on wrk's human-readable report.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import tool

SCRIPT = Path(__file__).with_name("lua") / "request.lua"


class WrkMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    bad_status: int
    partial: int
    timeouts: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        """Answers that were not a complete, timely 2xx."""
        return self.bad_status + self.partial + self.timeouts + self.socket_errors


def available() -> bool:
    return tool("wrk") is not None


def run(
    url: str,
    *,
    connections: int,
    seconds: float,
    method: str = "GET",
    body: Any = None,
    token: str | None = None,
    timeout_s: float = 10.0,
    threads: int = 1,
) -> WrkResult:
    """`connections` closed-loop clients for `seconds` against `url`."""
    wrk = tool("wrk")
    if wrk is None:
        raise WrkMissing("wrk not found (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="hoi-wrk-") as tmp:
        env = {**os.environ, "BENCH_METHOD": method, "BENCH_TOKEN": token or ""}
        if body is not None:
            body_file = Path(tmp) / "body.json"
            body_file.write_text(json.dumps(body))
            env["BENCH_BODY"] = str(body_file)
        else:
            env["BENCH_BODY"] = ""
        done = subprocess.run(
            [
                wrk,
                f"-t{min(threads, connections)}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                f"--timeout={timeout_s:g}s",
                "-s",
                str(SCRIPT),
                url,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + timeout_s + 60,
        )
    return parse(done.stdout, done.stderr, done.returncode)


def parse(stdout: str, stderr: str = "", returncode: int = 0) -> WrkResult:
    line = next((s for s in stdout.splitlines() if s.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(
            f"wrk gave no result (exit {returncode}): {(stderr or stdout).strip()[-500:]}"
        )
    data = json.loads(line.removeprefix("BENCH "))
    return WrkResult(
        requests=int(data["requests"]),
        seconds=int(data["duration_us"]) / 1e6,
        bad_status=int(data["bad_status"]),
        partial=int(data["partial"]),
        timeouts=int(data["timeouts"]),
        socket_errors=sum(int(data[k]) for k in ("connect_errors", "read_errors", "write_errors")),
        p50_ms=int(data["p50_us"]) / 1e3,
        p90_ms=int(data["p90_us"]) / 1e3,
        p99_ms=int(data["p99_us"]) / 1e3,
        max_ms=int(data["max_us"]) / 1e3,
    )
