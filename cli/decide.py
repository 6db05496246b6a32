"""`hoi decide`: decide one request, audited (exit 0 permit, 1 deny, 2 error)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from api.settings import Settings, get_settings
from cli.commands import EXIT_DENY, EXIT_ERROR, EXIT_PERMIT, Commands
from policy.errors import HoiError, InvalidRequest

if TYPE_CHECKING:
    from api.app import Composer


async def _decide_async(
    path: Path, settings: Settings, token: str | None, compose: Composer | None = None
) -> int:
    from api.services import build_services
    from decisions import Origin
    from policy.decision import DecisionRequestBody

    body = DecisionRequestBody.model_validate_json(await asyncio.to_thread(path.read_bytes))
    services = (compose or build_services)(settings)
    try:
        caller = None
        if token is not None:
            caller = await services.verifier.verify(token)
            subject = caller.confirm(body.subject)
        elif body.subject is not None:
            subject = body.subject
        else:
            raise InvalidRequest(
                "the request names no subject: pass --token or put one in the file"
            )
        request = body.for_subject(subject)
        # The one audited path the API takes too: the clock check, an override
        # attempt audited before it is refused, the decision, its durable record.
        services.decisions.check_time(request)
        decision = await services.decisions.decide(
            request, Origin.of(caller, trace_id=uuid.uuid4().hex)
        )
    finally:
        await services.aclose()
    print(decision.model_dump_json(indent=2))
    return EXIT_PERMIT if decision.permitted else EXIT_DENY


def decide(args: argparse.Namespace, compose: Composer | None = None) -> int:
    """Decide with the services the composer builds (the sandbox passes its own)."""
    settings = get_settings()
    if args.engine:
        settings = settings.model_copy(update={"engine": args.engine})
    try:
        return asyncio.run(_decide_async(Path(args.file), settings, args.token, compose))
    except (OSError, ValidationError, HoiError, json.JSONDecodeError) as exc:
        print(f"hoi decide: {exc}", file=sys.stderr)
        return EXIT_ERROR


def add_decide_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a decision request as JSON")
    parser.add_argument("--engine", choices=["embedded", "opa"])
    parser.add_argument(
        "--token", help="a bearer token; its subject is used (the file's must match or be absent)"
    )


def add_parser(commands: Commands) -> None:
    parser = commands.root.add_parser(
        "decide", help="decide one request (exit 0 permit, 1 deny, 2 error)"
    )
    add_decide_arguments(parser)
    parser.set_defaults(run=decide)
