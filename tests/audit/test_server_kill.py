"""Durable before the answer: kill the real server, two worker processes
appending to one audit chain, with SIGKILL under load (the whole process group:
the parent and both workers at once); every decision id a client received must
be in the audit log, and the chain must verify. The server's own output must be
JSON lines without a CPR number."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.logs import CPR_LIKE
from audit.chain import DEV_AUDIT_KEY, Signer
from audit.verify import verify
from db.engine import make_engine
from sandbox.population import SURNAMES, population
from tests.audit.helpers import request_body
from tests.conftest import auth_headers, citizen_headers, signing_key_file

CLIENTS = 12
KILL_AFTER = 150  # answers received before the kill
WORKERS = 2
MAX_REQUESTS = 3000  # a bound on the whole run, whatever happens


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(var_dir: Path, port: int, output: Path) -> subprocess.Popen[bytes]:
    hoi = Path(sys.executable).with_name("hoi")
    env = {
        **os.environ,
        "HOI_VAR_DIR": str(var_dir),
        "HOI_ENVIRONMENT": "test",
        "HOI_ENGINE": "embedded",
        "HOI_SEED_DEMO_DATA": "true",
        "HOI_DEV_KEY_FILE": str(signing_key_file()),  # trusts the tests' tokens
    }
    with output.open("wb") as sink:
        serve = ["sandbox", "serve", "--host", "127.0.0.1", "--port", str(port)]
        return subprocess.Popen(
            [str(hoi), *serve, "--workers", str(WORKERS)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers die with it
        )


def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited early with {proc.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("the server did not become ready")


async def _load(
    base: str, proc: subprocess.Popen[bytes], asks: list[tuple[dict[str, Any], dict[str, str]]]
) -> list[str]:
    received: list[str] = []
    sent = 0
    killed = asyncio.Event()

    async def client(n: int) -> None:
        nonlocal sent
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            while sent < MAX_REQUESTS and not killed.is_set():
                sent += 1
                try:
                    body, headers = asks[sent % len(asks)]
                    response = await http.post("/v1/decisions", json=body, headers=headers)
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    received.append(response.json()["decision_id"])
                if len(received) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    os.killpg(proc.pid, signal.SIGKILL)  # other clients are mid-request

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return received


def test_every_answered_decision_survives_a_sigkill(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    output = tmp_path / "server.log"
    proc = _start(tmp_path, port, output)
    try:
        _wait_ready(base, proc)
        pop = population(date.today())
        cprs = list(pop.children)[:5]
        bodies = [request_body(cpr) for cpr in cprs] + [request_body(cprs[3], role="janitor")]
        asks = [(body, auth_headers(body["subject"])) for body in bodies]
        # A few calls whose paths carry a CPR number, for the log scan below.
        parent = pop.children[cprs[0]].record.custody_holders[0]
        httpx.get(f"{base}/v1/children/{cprs[0]}/consents", headers=auth_headers(), timeout=5)
        httpx.get(
            f"{base}/v1/citizens/{cprs[0]}/access-log",
            headers=citizen_headers(parent),
            timeout=5,
        )
        received = asyncio.run(_load(base, proc, asks))
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert len(received) >= KILL_AFTER

    db = make_engine(f"sqlite:///{tmp_path / 'hoi.db'}")
    try:
        with db.connect() as conn:
            stored: set[str] = set(
                conn.execute(
                    text("SELECT decision_id FROM audit_record WHERE kind = 'decision'")
                ).scalars()
            )
        missing = set(received) - stored
        assert not missing, f"{len(missing)} answered decisions are not in the audit log"
        report = verify(db, Signer(DEV_AUDIT_KEY))
        assert report.ok, report.first_broken
    finally:
        db.dispose()

    lines = output.read_text(encoding="utf-8").splitlines()
    started = [line for line in lines if "Started server process" in line]
    assert len(started) == WORKERS, "the workers did not all start"
    assert any('"decision"' in line for line in lines)
    assert any("access-log" in line for line in lines)
    for line in lines:
        json.loads(line)
        assert not CPR_LIKE.search(line), line
        assert not any(name in line for name in SURNAMES), line
