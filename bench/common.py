"""Shared helpers for the benchmarks: percentiles, free ports, a server process."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def summary_ms(samples_ns: Sequence[int]) -> dict[str, float]:
    ms = [s / 1e6 for s in samples_ns]
    return {
        "p50": percentile(ms, 50),
        "p99": percentile(ms, 99),
        "mean": statistics.fmean(ms),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """`hoi sandbox serve` (the development service) in a subprocess on a loopback
    port, with its own var folder."""

    def __init__(self, var_dir: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.var_dir = var_dir
        self.env = {**os.environ, "HOI_VAR_DIR": str(var_dir), **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServiceProcess:
        hoi = Path(sys.executable).with_name("hoi")
        self.process = subprocess.Popen(
            [str(hoi), "sandbox", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("the service did not become ready")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def bearer_for(key_file: Path, subject: Mapping[str, Any]) -> dict[str, str]:
    """The Authorization header of a development token (the service's key in
    `key_file`) for a decision subject: every API call but /healthz needs one."""
    from api.settings import DEV_ISSUER
    from auth.keys import dev_signing_key
    from auth.tokens import mint

    organisation = subject.get("organisation")
    token = mint(
        dev_signing_key(key_file),
        issuer=DEV_ISSUER,
        audience="hoi-policy",
        subject=str(subject["id"]),
        role=str(subject["role"]),
        organisation=dict(organisation) if organisation else None,
        health_professional=bool(subject.get("health_professional", False)),
    )
    return {"Authorization": f"Bearer {token}"}
