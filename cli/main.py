"""`hoi`: serve, decide, mint a development token, build the policy bundle."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from api.settings import Settings, get_settings
from cli.scenario import add_parser as add_scenario_parser
from engine.opa import SigningAlgorithm
from policy.caller import known_roles
from policy.errors import HoiError, InvalidRequest

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


async def _decide_async(path: Path, settings: Settings, token: str | None) -> int:
    from api.services import build_services
    from audit.calls import start_recording
    from policy.decision import DecisionRequestBody

    body = DecisionRequestBody.model_validate_json(await asyncio.to_thread(path.read_bytes))
    services = build_services(settings)
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
        calls = start_recording()
        decision = await services.pdp.decide(request)
        await services.audit.record_decision(
            request,
            decision,
            trace_id=uuid.uuid4().hex,
            source_calls=calls,
            acting_system=caller.acting_system.id if caller and caller.acting_system else None,
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
        return asyncio.run(_decide_async(Path(args.file), settings, args.token))
    except (OSError, ValidationError, HoiError, json.JSONDecodeError) as exc:
        print(f"hoi decide: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _parse_lifetime(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600}
    value, unit = text[:-1], text[-1:]
    if unit not in units or not value.isdigit():
        raise argparse.ArgumentTypeError("give a lifetime like 30m or 1h")
    lifetime = timedelta(seconds=int(value) * units[unit])
    if not timedelta(0) < lifetime <= timedelta(hours=24):
        raise argparse.ArgumentTypeError("a development token lives between 1s and 24h")
    return lifetime


def _token(args: argparse.Namespace) -> int:
    """Mint a token signed with the development key in var/ (made on first use)."""
    from auth.keys import dev_signing_key
    from auth.tokens import mint
    from policy.caller import AUDITOR_ROLE, CITIZEN_ROLE, SYSTEM_ROLE
    from policy.catalogue import catalogue
    from policy.cpr import CprError, validate_cpr

    settings = get_settings()
    if settings.environment == "production":
        print("hoi token: production refuses development tokens", file=sys.stderr)
        return EXIT_ERROR
    if not settings.uses_dev_key:
        print(
            "hoi token: the service checks tokens against HOI_AUTH_JWKS_FILE/URL, "
            "so it would refuse a development token",
            file=sys.stderr,
        )
        return EXIT_ERROR
    lifetime: timedelta = args.ttl or timedelta(seconds=settings.auth_max_token_lifetime_s)
    if lifetime.total_seconds() > settings.auth_max_token_lifetime_s:
        print(
            "hoi token: the service refuses tokens that live longer than "
            f"{settings.auth_max_token_lifetime_s} s (HOI_AUTH_MAX_TOKEN_LIFETIME_S)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    role: str = args.role
    organisation: dict[str, str] | None = None
    if args.org is not None:
        spec = catalogue().roles.get(role)
        org_type = args.org_type
        if org_type is None and spec is not None and len(spec.organisation_types) == 1:
            org_type = spec.organisation_types[0]
        if org_type is None:
            print("hoi token: name the organisation type with --org-type", file=sys.stderr)
            return EXIT_ERROR
        organisation = {"type": org_type, "id": args.org}
    elif role not in (CITIZEN_ROLE, AUDITOR_ROLE, SYSTEM_ROLE):
        print(f"hoi token: a {role} works at an organisation: pass --org", file=sys.stderr)
        return EXIT_ERROR
    if role == CITIZEN_ROLE:
        try:
            validate_cpr(args.cpr or "")
        except CprError as exc:
            print(f"hoi token: a citizen's token needs --cpr: {exc}", file=sys.stderr)
            return EXIT_ERROR
    subject = args.sub or "-".join(p for p in ("dev", role, args.org) if p)
    token = mint(
        dev_signing_key(settings.resolved_dev_key_file),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        subject=subject,
        role=role,
        organisation=organisation,
        health_professional=args.health_professional,
        cpr=args.cpr if role == CITIZEN_ROLE else None,
        actor=args.act,
        acting_for=args.acting_for,
        lifetime=lifetime,
    )
    print(token)
    return 0


def _parse_acting_for(value: str) -> tuple[str, str]:
    clinician, _, role = value.partition(":")
    if not clinician or not role:
        raise argparse.ArgumentTypeError("give the clinician as ID:ROLE")
    return clinician, role


def _bundle(args: argparse.Namespace) -> int:
    from engine.base import EngineError
    from engine.opa import build_bundle, bundle_signing_key, find_opa
    from engine.sources import PolicySources
    from policy.paths import REGO_DIR

    opa = find_opa()
    if opa is None:
        print("hoi policy bundle: no opa binary found", file=sys.stderr)
        return EXIT_ERROR
    try:
        settings = get_settings()
        key = args.signing_key or settings.opa_signing_key
        if key is None:
            if settings.environment == "production":
                print("hoi policy bundle: production needs HOI_OPA_SIGNING_KEY", file=sys.stderr)
                return EXIT_ERROR
            key = bundle_signing_key(settings.resolved_opa_signing_key)
            print(f"signing with the development bundle key {key}", file=sys.stderr)
        alg = args.signing_alg or settings.opa_signing_alg
        revision = build_bundle(
            opa, PolicySources(REGO_DIR), Path(args.out), signing_key=key, signing_alg=alg
        )
    except (OSError, ValidationError, EngineError) as exc:
        print(f"hoi policy bundle: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"{args.out} revision {revision} (signed, {alg})")
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


def _impact(args: argparse.Namespace) -> int:
    import subprocess
    import tempfile

    from handbook.scenarios import load_scenarios
    from policy.paths import REGO_DIR
    from sandbox.impact import impact, policy_at, write

    try:
        with tempfile.TemporaryDirectory(prefix="hoi-impact-") as tmp:
            base = policy_at(args.base, REGO_DIR.parent, Path(tmp))
            report = impact(
                base,
                REGO_DIR,
                base_ref=args.base,
                scenarios=load_scenarios(),
                seed=args.seed,
                size=args.size,
                workers=args.workers,
            )
        written = write(report, Path(args.out))
    except subprocess.CalledProcessError as exc:
        problem = exc.stderr.decode(errors="replace").strip() if exc.stderr else exc
        print(f"hoi policy impact: git archive {args.base}: {problem}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, HoiError) as exc:
        print(f"hoi policy impact: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"{report.situations} situations and {report.scenarios} scenarios in "
        f"{report.seconds:.1f} s: {report.changed} decision(s) changed, "
        f"{report.count('newly_permitted')} newly permitted"
    )
    print(f"written: {', '.join(str(p) for p in written)}")
    return 0


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
    decide.add_argument(
        "--token", help="a bearer token; its subject is used (the file's must match or be absent)"
    )
    decide.set_defaults(run=_decide)

    token = commands.add_parser(
        "token",
        help="mint a development bearer token (key in var/; refused in production)",
    )
    token.add_argument("--role", required=True, choices=known_roles())
    token.add_argument(
        "--org", help="organisation id, e.g. 851-family or gp-laegeklinikken-sulsted"
    )
    token.add_argument(
        "--org-type",
        choices=["municipality", "gp_clinic", "region_psychiatry"],
        help="organisation type; inferred when the role exists at one kind only",
    )
    token.add_argument("--sub", help="the person's id (default: dev-<role>-<org>)")
    token.add_argument(
        "--health-professional",
        action="store_true",
        help="the person holds a health-professional authorisation",
    )
    token.add_argument("--cpr", help="a citizen's CPR number (role citizen)")
    token.add_argument(
        "--act", metavar="SYSTEM_ID", help="a system acting for the person (RFC 8693 act claim)"
    )
    token.add_argument(
        "--acting-for",
        metavar="ID:ROLE",
        type=_parse_acting_for,
        help="the clinician the person works for (on-behalf claim), e.g. "
        "psychiatrist-1:bup_psychiatrist",
    )
    token.add_argument(
        "--ttl",
        type=_parse_lifetime,
        help="how long the token lives (default: the longest the service accepts, 1h)",
    )
    token.set_defaults(run=_token)

    pol = commands.add_parser("policy", help="policy tools")
    pol_commands = pol.add_subparsers(dest="policy_command", required=True)
    bundle = pol_commands.add_parser(
        "bundle", help="build the OPA bundle with its revision, signed for --verification-key"
    )
    bundle.add_argument("--out", default="var/bundle.tar.gz")
    bundle.add_argument(
        "--signing-key",
        type=Path,
        default=None,
        help="PEM private key (default: HOI_OPA_SIGNING_KEY; in development, var/'s key)",
    )
    bundle.add_argument(
        "--signing-alg",
        choices=list(get_args(SigningAlgorithm)),
        default=None,
        help="default: HOI_OPA_SIGNING_ALG (ES256)",
    )
    bundle.set_defaults(run=_bundle)
    handbook = pol_commands.add_parser(
        "handbook", help="write the lawyers' handbook (HTML and Markdown) from the real policy"
    )
    handbook.add_argument("--out", default="var/handbook")
    handbook.set_defaults(run=_handbook)
    imp = pol_commands.add_parser(
        "impact",
        help="what the working tree's policy changes against --base: HTML and Markdown report",
    )
    imp.add_argument("--base", required=True, metavar="GITREF", help="e.g. main or HEAD~1")
    imp.add_argument("--out", default="var/impact")
    imp.add_argument("--seed", type=int, default=11, help="the corpus seed")
    imp.add_argument(
        "--size", type=int, default=4200, help="inputs in the corpus (x 6 data categories)"
    )
    imp.add_argument(
        "--workers",
        type=int,
        choices=[1, 2],
        default=2,
        help="2: evaluate the base and working-tree policies in parallel processes",
    )
    imp.set_defaults(run=_impact)
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

    add_scenario_parser(commands)

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
