"""`hoi policy`: build the signed bundle, write the handbook, check the conventions.
(`hoi policy impact`, on a synthetic corpus, is the sandbox's.)"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import get_args

from pydantic import ValidationError

from api.settings import get_settings
from cli.commands import EXIT_ERROR, Commands
from engine.opa import SigningAlgorithm
from policy.errors import HoiError


def _bundle(args: argparse.Namespace) -> int:
    from engine.base import EngineError
    from engine.bundle import PolicyBundle
    from engine.opa import build_bundle, bundle_signing_key, find_opa
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
            opa, PolicyBundle(REGO_DIR), Path(args.out), signing_key=key, signing_alg=alg
        )
    except (OSError, ValidationError, EngineError) as exc:
        print(f"hoi policy bundle: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"{args.out} revision {revision} (signed, {alg})")
    return 0


async def _handbook_async(out: Path) -> int:
    from engine.bundle import PolicyBundle
    from engine.embedded import EmbeddedEngine
    from handbook.build import build_handbook
    from policy.legal import load_legal_catalogue
    from policy.paths import REGO_DIR

    legal = load_legal_catalogue()
    engine = EmbeddedEngine(PolicyBundle(REGO_DIR))
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


def add_parser(commands: Commands) -> None:
    pol_commands = commands.add_group("policy", "policy tools")
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
    check = pol_commands.add_parser(
        "check", help="check the policy's conventions (METADATA, legal basis, coverage)"
    )
    check.set_defaults(run=_check)
