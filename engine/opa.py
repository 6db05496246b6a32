"""OPA backend: a real `opa run --server`, asked over its REST Data API.

The policies reach OPA as a bundle built by `opa build` that carries our
revision; every answer is checked to come from that revision.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from engine.base import DECISION_RULE, EngineError
from engine.sources import PolicySources

_DATA_PATH = "/v1/data/" + DECISION_RULE.removeprefix("data.").replace(".", "/")


def find_opa() -> str | None:
    """The opa binary: $HOI_OPA_BIN, then PATH, then Go's install folder."""
    explicit = os.environ.get("HOI_OPA_BIN")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    found = shutil.which("opa")
    if found:
        return found
    gopath = Path(os.environ.get("GOPATH", Path.home() / "go"))
    candidate = gopath / "bin" / "opa"
    return str(candidate) if candidate.is_file() else None


def build_bundle(opa: str, sources: PolicySources, out: Path) -> str:
    """Build the policy bundle with `opa build`; return its revision."""
    revision = sources.revision()
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            opa,
            "build",
            "-b",
            str(sources.root),
            "--ignore",
            "*_test.rego",
            "--revision",
            revision,
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return revision


class OpaEngine:
    """Asks an OPA server for the decision rule."""

    def __init__(
        self,
        url: str,
        expected_revision: str,
        *,
        timeout: float = 1.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._revision = expected_revision
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout

    @property
    def name(self) -> str:
        return "opa"

    @property
    def revision(self) -> str:
        return self._revision

    async def evaluate(self, document: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(
                self._url + _DATA_PATH,
                params={"provenance": "true"},
                json={"input": document},
                timeout=self._timeout,
            )
            response.raise_for_status()
            body = response.json()
        except httpx.TimeoutException as exc:
            raise EngineError("OPA did not answer in time") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise EngineError(f"OPA request failed: {type(exc).__name__}") from exc
        revisions = {
            b.get("revision") for b in body.get("provenance", {}).get("bundles", {}).values()
        }
        if self._revision not in revisions:
            raise EngineError(
                f"OPA runs policy revision {sorted(map(str, revisions))}, expected {self._revision}"
            )
        result = body.get("result")
        if not isinstance(result, dict):
            raise EngineError("the decision rule is undefined for this input")
        return result

    async def ready(self) -> bool:
        try:
            response = await self._client.get(
                self._url + "/health", params={"bundles": "true"}, timeout=self._timeout
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._client.aclose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OpaServer:
    """A local `opa run --server` on a loopback port, for tests, benches and demos."""

    def __init__(self, opa: str, bundle: Path, port: int | None = None) -> None:
        self.opa = opa
        self.bundle = bundle
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, wait: float = 20.0) -> OpaServer:
        self._process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            [
                self.opa,
                "run",
                "--server",
                "--addr",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "error",
                "--bundle",
                str(self.bundle),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EngineError(f"opa exited with code {self._process.returncode}")
            try:
                if httpx.get(self.url + "/health?bundles=true", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise EngineError("opa did not become healthy in time")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None

    def __enter__(self) -> OpaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> OpaServer:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()
