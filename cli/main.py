"""`hoi`: run the service, ask for a decision, build the policy bundle."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from api.settings import Settings, get_settings
from policy.errors import HoiError

EXIT_PERMIT, EXIT_DENY, EXIT_ERROR = 0, 1, 2


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    if args.engine:
        settings = settings.model_copy(update={"engine": args.engine})
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


async def _decide_async(path: Path, settings: Settings) -> int:
    from api.services import build_services
    from policy.decision import DecisionRequest

    request = DecisionRequest.model_validate_json(await asyncio.to_thread(path.read_bytes))
    services = build_services(settings)
    try:
        decision = await services.pdp.decide(request)
    finally:
        await services.aclose()
    print(decision.model_dump_json(indent=2))
    return EXIT_PERMIT if decision.permitted else EXIT_DENY


def _decide(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.engine:
        settings = settings.model_copy(update={"engine": args.engine})
    try:
        return asyncio.run(_decide_async(Path(args.file), settings))
    except (OSError, ValidationError, HoiError, json.JSONDecodeError) as exc:
        print(f"hoi decide: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _bundle(args: argparse.Namespace) -> int:
    from engine.opa import build_bundle, find_opa
    from engine.sources import PolicySources
    from policy.paths import REGO_DIR

    opa = find_opa()
    if opa is None:
        print("hoi policy bundle: no opa binary found", file=sys.stderr)
        return EXIT_ERROR
    revision = build_bundle(opa, PolicySources(REGO_DIR), Path(args.out))
    print(f"{args.out} revision {revision}")
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from registry.db import current_revision, make_engine, upgrade

    engine = make_engine(get_settings().resolved_database_url)
    try:
        upgrade(engine, args.revision)
        print(f"registry schema at revision {current_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def _db_current(_: argparse.Namespace) -> int:
    from registry.db import current_revision, head_revision, make_engine

    engine = make_engine(get_settings().resolved_database_url)
    try:
        print(f"registry schema at revision {current_revision(engine)} (head {head_revision()})")
    finally:
        engine.dispose()
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hoi", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--engine", choices=["embedded", "opa"])
    serve.set_defaults(run=_serve)

    decide = commands.add_parser(
        "decide", help="decide one request (exit 0 permit, 1 deny, 2 error)"
    )
    decide.add_argument("file", help="a decision request as JSON")
    decide.add_argument("--engine", choices=["embedded", "opa"])
    decide.set_defaults(run=_decide)

    pol = commands.add_parser("policy", help="policy tools")
    pol_commands = pol.add_subparsers(dest="policy_command", required=True)
    bundle = pol_commands.add_parser("bundle", help="build the OPA bundle with its revision")
    bundle.add_argument("--out", default="var/bundle.tar.gz")
    bundle.set_defaults(run=_bundle)

    db = commands.add_parser("db", help="registry database (HOI_DATABASE_URL)")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_up = db_commands.add_parser("upgrade", help="run the schema migrations")
    db_up.add_argument("revision", nargs="?", default="head")
    db_up.set_defaults(run=_db_upgrade)
    db_current = db_commands.add_parser("current", help="show the schema revision")
    db_current.set_defaults(run=_db_current)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
