"""`hoi`: serve, decide, mint a development token, build the policy bundle."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError

from api.settings import Settings, get_settings
from policy.caller import known_roles
from policy.errors import HoiError, InvalidRequest

EXIT_PERMIT, EXIT_DENY, EXIT_ERROR = 0, 1, 2


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    if args.engine:
        settings = settings.model_copy(update={"engine": args.engine})
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


async def _decide_async(path: Path, settings: Settings, token: str | None) -> int:
    from api.services import build_services
    from policy.decision import DecisionRequestBody

    body = DecisionRequestBody.model_validate_json(await asyncio.to_thread(path.read_bytes))
    services = build_services(settings)
    try:
        if token is not None:
            caller = await services.verifier.verify(token)
            subject = caller.confirm(body.subject)
        elif body.subject is not None:
            subject = body.subject
        else:
            raise InvalidRequest(
                "the request names no subject: pass --token or put one in the file"
            )
        decision = await services.pdp.decide(body.for_subject(subject))
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
        raise argparse.ArgumentTypeError("give a lifetime like 30m or 8h")
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
        lifetime=args.ttl,
    )
    print(token)
    return 0


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
    token.add_argument("--ttl", type=_parse_lifetime, default=timedelta(hours=8))
    token.set_defaults(run=_token)

    pol = commands.add_parser("policy", help="policy tools")
    pol_commands = pol.add_subparsers(dest="policy_command", required=True)
    bundle = pol_commands.add_parser("bundle", help="build the OPA bundle with its revision")
    bundle.add_argument("--out", default="var/bundle.tar.gz")
    bundle.set_defaults(run=_bundle)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
