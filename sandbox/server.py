"""Serve every sandbox source over real HTTP on loopback.

One uvicorn server hosts all sources, each under its own path (`/cpr`, `/fhir`,
...), so a source's base URL is `http://127.0.0.1:<port>/<name>`; the message
network (sandbox/network.py: MedCom inboxes) is served beside them at `/network`,
and the sandbox identity provider (sandbox/idp.py), when given, at `/idp`. The server
runs in a background thread of the calling process (the service in
development, a test fixture), or on its own with `python -m sandbox.server`.

Access logs are off, and the sandbox leaves the process's logging configuration
alone: sandbox URLs carry CPR numbers in their queries, and CPR numbers must
never reach a log.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from uvicorn.protocols.http.h11_impl import H11Protocol

from sandbox.idp import SandboxIdp
from sandbox.network import MessageNetwork
from sandbox.pilot import organisations
from sandbox.population import Population, population
from sandbox.sources import SandboxSource, build_sources


class _NoAccessLog(H11Protocol):
    """uvicorn decides to write access logs from the process-wide `uvicorn.access`
    logger; the sandbox never does (its URLs carry CPR numbers)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_log = False


class _OwnLogging(uvicorn.Config):
    """A server config that leaves the process's logging alone: uvicorn.Config
    otherwise reconfigures the shared uvicorn loggers, the service's included."""

    def configure_logging(self) -> None:
        return None


class SandboxServer:
    """The sandbox sources on one loopback port (0: a free one)."""

    def __init__(
        self,
        population: Population,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        extra: dict[str, SandboxSource] | None = None,
        network_db: Path | None = None,
        idp: SandboxIdp | None = None,
    ) -> None:
        self.network = MessageNetwork(population, organisations(), network_db)
        """The message network's inboxes (kept in `network_db`; in memory when None)."""
        self.sources: dict[str, SandboxSource] = (
            build_sources(population) | {"network": self.network.source} | (extra or {})
        )
        self.idp = idp
        """The sandbox identity provider, at `/idp` (sandbox/idp.py), when given."""
        routes = [Mount(f"/{name}", app=src.app) for name, src in self.sources.items()]
        if idp is not None:
            routes.append(Mount("/idp", app=idp.app))
        self.app = Starlette(routes=routes)
        self.host, self.port = host, port
        self._server = uvicorn.Server(
            _OwnLogging(
                self.app,
                host=host,
                port=port,
                http=_NoAccessLog,
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=1,
            )
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def base_url(self, source: str) -> str:
        return f"{self.url}/{source}"

    def control(self, source: str) -> SandboxSource:
        return self.sources[source]

    def calls(self) -> dict[str, int]:
        """Calls per source since the last reset."""
        return {name: src.control.total() for name, src in self.sources.items()}

    def reset(self) -> None:
        for src in self.sources.values():
            src.control.reset()

    def start(self, wait: float = 10.0) -> SandboxServer:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve()),
            name="hoi-sandbox",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + wait
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        if self.port == 0:  # the port the OS chose
            self.port = int(self._server.servers[0].sockets[0].getsockname()[1])
        if self.idp is not None:
            self.idp.issuer = self.base_url("idp")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.server", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds each data source waits")
    parser.add_argument(
        "--facts-delay",
        type=float,
        default=None,
        help="seconds the sources the policy reads (cpr, brs, staff) wait; default: --delay",
    )
    parser.add_argument("--date", type=date.fromisoformat, default=date.today())
    parser.add_argument(
        "--network-db", type=Path, default=None, help="the message network's SQLite file"
    )
    args = parser.parse_args(argv)
    server = SandboxServer(population(args.date), port=args.port, network_db=args.network_db)
    facts_delay = args.delay if args.facts_delay is None else args.facts_delay
    for name, src in server.sources.items():
        if name != "network":
            src.control.delay_s = facts_delay if name in ("cpr", "brs", "staff") else args.delay
    print(f"sandbox sources on port {args.port} (delay {args.delay}s)", flush=True)
    server._server.run()


if __name__ == "__main__":
    main()
