"""`hoi serve`: run the HTTP service (production's composition).

`--workers N` (N > 1) runs N uvicorn worker processes (uvloop and httptools when
installed). Each worker builds its own app from the HOI_* settings, so what a
worker would otherwise make at start and must not make N times is made once
here, in the parent, before they start: the database schema (migrations), the
local OPA server (one for every worker; they get its URL and token), and with
the sandbox its population's template database and its source server (in the
parent process, apart from the workers). The workers share the signing keys
(the audit key comes from the settings; the development token key is a file made
atomically) and append to one audit chain (audit/store.py locks its head).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from api.settings import Settings, get_settings
from cli.commands import Commands

if TYPE_CHECKING:
    from api.app import Composer

Prepare = Callable[[Settings, contextlib.ExitStack], dict[str, str]]
"""Makes, in the parent process, what every worker shares (kept open on the
stack until the server stops); returns the HOI_* variables the workers need."""

PRODUCTION_FACTORY = "api.app:create_app"


def serve(
    args: argparse.Namespace,
    compose: Composer | None = None,
    *,
    factory: str = PRODUCTION_FACTORY,
    prepare: Prepare | None = None,
) -> int:
    """Serve the app the composer builds (the sandbox passes its own). With
    several workers, each builds `factory()` (an import string) from the
    environment, after `prepare` and the shared parts are made once here."""
    import uvicorn

    from api.app import create_app
    from api.logs import logging_config
    from api.services import build_services

    if args.engine:
        os.environ["HOI_ENGINE"] = args.engine  # what the worker processes read
        get_settings.cache_clear()
    settings = get_settings()
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": "info",
        "log_config": logging_config("INFO"),
    }
    if args.workers == 1:
        uvicorn.run(create_app(settings, compose=compose or build_services), **options)
        return 0
    with contextlib.ExitStack() as shared:
        env = {} if prepare is None else prepare(settings, shared)
        env |= shared_parts(settings, shared)
        env |= metric_files(settings)
        if settings.handbook_at_start is None:
            # Each worker would build the handbook; it is built on its first request.
            env["HOI_HANDBOOK_AT_START"] = "false"
        os.environ.update(env)
        get_settings.cache_clear()
        return supervise(factory, args.workers, options)


def supervise(factory: str, workers: int, options: dict[str, Any]) -> int:
    """Run `workers` processes of the app `factory()` on one socket until stopped;
    the exit status is uvicorn's start-up failure (3) when a worker could not start
    (uvicorn.run returns normally then, as if the service had served and stopped)."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(factory, factory=True, workers=workers, **options)
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    with contextlib.suppress(KeyboardInterrupt):
        supervisor.run()
    failed = any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)
    return STARTUP_FAILURE if failed else 0


def metric_files(settings: Settings) -> dict[str, str]:
    """A directory the workers write their metrics to, so that `/metrics` on any
    of them adds up all (PROMETHEUS_MULTIPROC_DIR if the operator set one,
    otherwise under var_dir), emptied of an earlier run's values."""
    from pathlib import Path

    from metrics.exposition import MULTIPROC_ENV, prepare_multiprocess

    chosen = os.environ.get(MULTIPROC_ENV)
    return prepare_multiprocess(Path(chosen) if chosen else settings.var_dir / "metrics")


def shared_parts(settings: Settings, stack: contextlib.ExitStack) -> dict[str, str]:
    """The schema at head, the development token key (outside production, when no
    identity provider's keys are set), and one local OPA for every worker
    (HOI_ENGINE=opa without HOI_OPA_URL); returns the variables that point the
    workers at it."""
    from api.services import start_local_opa
    from auth.keys import dev_signing_key
    from db.engine import make_engine
    from db.schema import create_schema
    from engine.bundle import PolicyBundle
    from policy.paths import REGO_DIR

    db = make_engine(settings.resolved_database_url)
    try:
        create_schema(db)
    finally:
        db.dispose()
    if settings.uses_dev_key and settings.environment != "production":
        # Made once here, so every worker trusts the one key `hoi token` signs with.
        dev_signing_key(settings.resolved_dev_key_file)
    if settings.engine != "opa" or settings.opa_url is not None:
        return {}
    token = settings.opa_token.get_secret_value() if settings.opa_token else None
    server = start_local_opa(settings, PolicyBundle(REGO_DIR), token or secrets.token_urlsafe(32))
    stack.callback(server.stop)
    return {"HOI_OPA_URL": server.url, "HOI_OPA_TOKEN": server.token}


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--engine", choices=["embedded", "opa"])
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes (default 1); more use more cores, all on one audit chain",
    )


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return number


def add_parser(commands: Commands) -> None:
    parser = commands.root.add_parser(
        "serve", help="run the HTTP service on the configured sources and registers"
    )
    add_serve_arguments(parser)
    parser.set_defaults(run=serve)
