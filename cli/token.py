"""`hoi token`: mint a development bearer token (refused in production)."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from api.settings import get_settings
from cli.commands import EXIT_ERROR, Commands
from policy.caller import known_roles


def parse_lifetime(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600}
    value, unit = text[:-1], text[-1:]
    if unit not in units or not value.isdigit():
        raise argparse.ArgumentTypeError("give a lifetime like 30m or 1h")
    lifetime = timedelta(seconds=int(value) * units[unit])
    if not timedelta(0) < lifetime <= timedelta(hours=24):
        raise argparse.ArgumentTypeError("a development token lives between 1s and 24h")
    return lifetime


def mint_token(args: argparse.Namespace) -> int:
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
        extra={"name": args.name} if args.name else None,
    )
    print(token)
    return 0


def parse_acting_for(value: str) -> tuple[str, str]:
    clinician, _, role = value.partition(":")
    if not clinician or not role:
        raise argparse.ArgumentTypeError("give the clinician as ID:ROLE")
    return clinician, role


def add_parser(commands: Commands) -> None:
    parser = commands.root.add_parser(
        "token",
        help="mint a development bearer token (key in var/; refused in production)",
    )
    parser.add_argument("--role", required=True, choices=known_roles())
    parser.add_argument(
        "--org", help="organisation id, e.g. 851-family or gp-laegeklinikken-sulsted"
    )
    parser.add_argument(
        "--org-type",
        choices=["municipality", "gp_clinic", "region_psychiatry"],
        help="organisation type; inferred when the role exists at one kind only",
    )
    parser.add_argument("--sub", help="the person's id (default: dev-<role>-<org>)")
    parser.add_argument(
        "--health-professional",
        action="store_true",
        help="the person holds a health-professional authorisation",
    )
    parser.add_argument("--cpr", help="a citizen's CPR number (role citizen)")
    parser.add_argument(
        "--act", metavar="SYSTEM_ID", help="a system acting for the person (RFC 8693 act claim)"
    )
    parser.add_argument(
        "--acting-for",
        metavar="ID:ROLE",
        type=parse_acting_for,
        help="the clinician the person works for (on-behalf claim), e.g. "
        "psychiatrist-1:bup_psychiatrist",
    )
    parser.add_argument(
        "--name", help="the person's name (the `name` claim), shown as a message's author"
    )
    parser.add_argument(
        "--ttl",
        type=parse_lifetime,
        help="how long the token lives (default: the longest the service accepts, 1h)",
    )
    parser.set_defaults(run=mint_token)
