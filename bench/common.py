"""Shared helpers for the benchmarks: percentiles, free ports, server processes.

This is the one module of the bench that knows the service's internals (and the
commands it is started with). `make bench` drives the service from outside, as a
user would: `hoi serve` and `hoi token` in subprocesses, the sandbox sources in
their own process, load over HTTP. When the code it names moves, adapt it here.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
"""This checkout's root."""


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


def hoi_command() -> Path:
    """The `hoi` console script of this virtual environment."""
    return Path(sys.executable).with_name("hoi")


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process serving {url} exited ({process.returncode})")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate one process we started, and kill it if it does not stop."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class _Started:
    """A process we start and stop: ready when `url` answers, stopped on exit."""

    process: subprocess.Popen[bytes] | None

    def _await_ready(self, url: str) -> None:
        assert self.process is not None
        try:
            _wait_ready(url, self.process)
        except RuntimeError:
            self.__exit__()
            raise

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


class ServiceProcess(_Started):
    """`hoi sandbox serve` (the development service) in a subprocess on a loopback
    port, with its own var folder.

    `command`: a prefix to run it under (a profiler); `log`: where its output goes;
    `workers`: its worker processes (`--workers`)."""

    def __init__(
        self,
        var_dir: Path,
        env: dict[str, str] | None = None,
        *,
        command: Sequence[str] = (),
        log: Path | None = None,
        workers: int = 1,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.var_dir = var_dir
        self.env = {**os.environ, "HOI_VAR_DIR": str(var_dir), **(env or {})}
        self.command = list(command)
        self.log = log
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> ServiceProcess:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                [
                    *self.command,
                    str(hoi_command()),
                    *("sandbox", "serve", "--port", str(self.port)),
                    *("--workers", str(self.workers)),
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT if self.log else subprocess.DEVNULL,
            )
        finally:
            if self.log:
                out.close()  # type: ignore[union-attr]
        self._await_ready(self.url + "/readyz")
        return self

    def token(self, role: str, org: str, sub: str, *, health_professional: bool = False) -> str:
        """A development bearer token from `hoi token`, signed with this service's key."""
        args = [str(hoi_command()), "token", "--role", role, "--org", org, "--sub", sub]
        if health_professional:
            args.append("--health-professional")
        done = subprocess.run(args, env=self.env, capture_output=True, text=True, check=True)
        return done.stdout.strip()


class SandboxProcess(_Started):
    """The sandbox sources in their own process, every source answering after
    `delay` seconds (`facts_delay` for the sources the policy reads: CPR, the
    relation evidence, the staff register).

    `hoi` has no command for this yet; the sandbox module is started directly."""

    def __init__(
        self, *, delay: float, facts_delay: float, day: date, code: Path | None = None
    ) -> None:
        """`code`: the checkout whose sandbox runs (this one by default)."""
        self.code = code or Path.cwd()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            sys.executable,
            "-m",
            "sandbox.server",
            "--port",
            str(self.port),
            "--delay",
            str(delay),
            "--facts-delay",
            str(facts_delay),
            "--date",
            day.isoformat(),
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def service_env(self) -> dict[str, str]:
        """What the service needs to read its sources from this sandbox."""
        return {"HOI_SOURCES": "sandbox", "HOI_SANDBOX_URL": self.url}

    def source_url(self, child: str) -> str:
        """One data source's URL for a child (it waits `delay` like every data source)."""
        return f"{self.url}/fk-sag/cases?child={child}"

    def __enter__(self) -> SandboxProcess:
        env = {**os.environ, "PYTHONPATH": str(self.code)}
        self.process = subprocess.Popen(
            self.args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._await_ready(f"{self.url}/stil/enrolments?cpr=0")
        return self


def git_tree(ref: str, into: Path, *paths: str) -> Path:
    """The repository's files at `ref` (only `paths`, when given), extracted into
    `into`/src; returns that folder."""
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", "--format=tar", ref, *paths],
        check=True,
        capture_output=True,
    ).stdout
    root = into / "src"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


def tool(name: str) -> str | None:
    """An external tool on the PATH or beside this Python, or None."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def children(day: date, n: int) -> list[str]:
    """CPR numbers of the first `n` children of the synthetic population."""
    from sandbox.population import population

    return list(population(day).children)[:n]


def categories() -> list[str]:
    """The catalogue's data categories, in catalogue order."""
    from policy.catalogue import catalogue

    return list(catalogue().categories)


def engine_document(body: Mapping[str, Any], day: date, var_dir: Path) -> dict[str, Any]:
    """The embedded engine's input for a decision request (a subject included),
    assembled by the service's own information point from the synthetic population."""
    import asyncio
    from datetime import UTC, datetime

    from api.settings import Settings
    from policy.decision import DecisionRequest
    from sandbox.app import build_dev_services

    async def build() -> dict[str, Any]:
        settings = Settings(var_dir=var_dir, demo_reference_date=day)
        services = build_dev_services(
            settings, clock=lambda: datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
        )
        try:
            request = DecisionRequest.model_validate(body)
            return dict(await services.pdp.document(request, services.clock()))
        finally:
            await services.aclose()

    return asyncio.run(build())


class Engine:
    """The embedded engine on the policy in rego/, evaluating engine documents."""

    def __init__(self, *, compiled: bool = True) -> None:
        from engine.bundle import PolicyBundle
        from engine.embedded import EmbeddedEngine
        from policy.paths import REGO_DIR

        self._engine = EmbeddedEngine(PolicyBundle(REGO_DIR), compiled=compiled)

    def evaluate(self, document: Mapping[str, Any]) -> Any:
        return self._engine.evaluate_sync(dict(document))

    def close(self) -> None:
        import asyncio

        asyncio.run(self._engine.aclose())


def decision_outline(result: Any) -> str:
    """What must not change between two evaluations of a document: per category the
    decision, the permitted fields and the reason codes (canonical JSON)."""
    if hasattr(result, "model_dump"):
        result = result.model_dump(mode="json")
    categories_ = result.get("categories", result) if isinstance(result, dict) else result
    outline: dict[str, Any] = {}
    if isinstance(categories_, dict):
        for name, c in categories_.items():
            if isinstance(c, dict):
                outline[name] = [
                    c.get("decision"),
                    c.get("fields"),
                    sorted(str(r.get("code")) for r in c.get("reasons") or ()),
                ]
    return json.dumps(outline, sort_keys=True, default=str)


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


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
