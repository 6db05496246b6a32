"""`hoi`: run the service, ask for a decision, build the policy bundle."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from api.settings import Settings, get_settings
from policy.errors import HoiError

EXIT_PERMIT, EXIT_DENY, EXIT_ERROR = 0, 1, 2


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.logs import logging_config

    settings = get_settings()
    if args.engine:
        settings = settings.model_copy(update={"engine": args.engine})
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=logging_config("INFO"),
    )
    return 0


async def _decide_async(path: Path, settings: Settings) -> int:
    from api.services import build_services
    from audit.calls import start_recording
    from policy.decision import DecisionRequest

    request = DecisionRequest.model_validate_json(await asyncio.to_thread(path.read_bytes))
    services = build_services(settings)
    try:
        calls = start_recording()
        decision = await services.pdp.decide(request)
        await services.audit.record_decision(
            request, decision, trace_id=uuid.uuid4().hex, source_calls=calls
        )
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


async def _handbook_async(out: Path) -> int:
    from engine.embedded import EmbeddedEngine
    from engine.sources import PolicySources
    from handbook.build import build_handbook
    from policy.legal import load_legal_catalogue
    from policy.paths import REGO_DIR

    legal = load_legal_catalogue()
    engine = EmbeddedEngine(PolicySources(REGO_DIR))
    try:
        handbook = await build_handbook(engine, legal)
    finally:
        await engine.aclose()
    written = await asyncio.to_thread(handbook.write, out)
    print(f"{out}: {len(written)} files, policy revision {handbook.revision}")
    print(f"open {out / 'index.html'} (or index.md)")
    return 0


def _handbook(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_handbook_async(Path(args.out)))
    except (OSError, HoiError) as exc:
        print(f"hoi policy handbook: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _check(args: argparse.Namespace) -> int:
    from engine.opa import find_opa
    from handbook.conventions import run_check

    opa = find_opa()
    if opa is None:
        print("hoi policy check: no opa binary found", file=sys.stderr)
        return EXIT_ERROR
    try:
        result = run_check(opa)
    except HoiError as exc:
        print(f"hoi policy check: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for violation in result.violations:
        print(violation)
    print(
        f"{len(result.violations)} violation(s); {result.rules} rules, "
        f"{result.provisions} provisions, {result.scenarios} scenarios checked"
    )
    return 1 if result.violations else 0


def _audit_db(settings: Settings) -> Any:
    from registry.db import create_schema, make_engine

    db = make_engine(settings.resolved_database_url)
    create_schema(db)
    return db


def _audit_verify(args: argparse.Namespace) -> int:
    from audit.chain import Signer
    from audit.verify import verify

    settings = get_settings()
    db = _audit_db(settings)
    try:
        report = verify(db, Signer(settings.audit_key.get_secret_value()))
    finally:
        db.dispose()
    if args.json:
        print(report.model_dump_json(indent=2))
    elif report.ok:
        span = f"seq {report.first_seq}-{report.last_seq}" if report.records_checked else "empty"
        print(
            f"audit chain intact: {report.records_checked} records ({span}), "
            f"{report.checkpoints} checkpoint(s)"
        )
    else:
        assert report.first_broken is not None
        print(
            f"audit chain BROKEN at seq {report.first_broken.seq}: {report.first_broken.problem} "
            f"({report.records_checked} records verified before it)"
        )
    return 0 if report.ok else 1


def _audit_purge(args: argparse.Namespace) -> int:
    from audit.chain import Signer
    from audit.retention import purge, retention_cutoff

    settings = get_settings()
    if args.before:
        cutoff = datetime.combine(date.fromisoformat(args.before), time(0), tzinfo=UTC)
    else:
        cutoff = retention_cutoff(datetime.now(UTC), settings.audit_retention_years)
    db = _audit_db(settings)
    try:
        report = purge(
            db, Signer(settings.audit_key.get_secret_value()), cutoff, dry_run=args.dry_run
        )
    except HoiError as exc:
        print(f"hoi audit purge: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        db.dispose()
    verb = "would purge" if report.dry_run else "purged"
    where = f" through seq {report.through_seq}" if report.through_seq else ""
    print(f"{verb} {report.purged} record(s) recorded before {cutoff.isoformat()}{where}")
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
    handbook = pol_commands.add_parser(
        "handbook", help="write the lawyers' handbook (HTML and Markdown) from the real policy"
    )
    handbook.add_argument("--out", default="var/handbook")
    handbook.set_defaults(run=_handbook)
    check = pol_commands.add_parser(
        "check", help="check the policy's conventions (METADATA, legal basis, coverage)"
    )
    check.set_defaults(run=_check)

    aud = commands.add_parser("audit", help="audit trail tools")
    aud_commands = aud.add_subparsers(dest="audit_command", required=True)
    ver = aud_commands.add_parser(
        "verify", help="check the hash chain; report the first broken link (exit 1)"
    )
    ver.add_argument("--json", action="store_true", help="print the report as JSON")
    ver.set_defaults(run=_audit_verify)
    pur = aud_commands.add_parser(
        "purge", help="delete records older than the retention period, signing a checkpoint"
    )
    pur.add_argument("--before", help="purge records before this date (YYYY-MM-DD) instead")
    pur.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    pur.set_defaults(run=_audit_purge)

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
