"""`hoi serve`: run the HTTP service (production's composition)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from api.settings import get_settings
from cli.commands import Commands

if TYPE_CHECKING:
    from api.app import Composer


def serve(args: argparse.Namespace, compose: Composer | None = None) -> int:
    """Serve the app the composer builds (the sandbox passes its own)."""
    import uvicorn

    from api.app import create_app
    from api.logs import logging_config
    from api.services import build_services

    settings = get_settings()
    if args.engine:
        settings = settings.model_copy(update={"engine": args.engine})
    uvicorn.run(
        create_app(settings, compose=compose or build_services),
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=logging_config("INFO"),
    )
    return 0


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--engine", choices=["embedded", "opa"])


def add_parser(commands: Commands) -> None:
    parser = commands.root.add_parser(
        "serve", help="run the HTTP service on the configured sources and registers"
    )
    add_serve_arguments(parser)
    parser.set_defaults(run=serve)
