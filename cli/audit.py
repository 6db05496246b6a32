"""`hoi audit`: verify the hash chain, purge what retention allows."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, time
from typing import Any

from api.settings import Settings, get_settings
from cli.commands import EXIT_ERROR, Commands
from policy.errors import HoiError


def _audit_db(settings: Settings) -> Any:
    from db.engine import make_engine
    from db.schema import create_schema

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
    if report.dropped_partitions:
        print(f"dropped monthly partitions: {', '.join(report.dropped_partitions)}")
    return 0


def add_parser(commands: Commands) -> None:
    aud_commands = commands.add_group("audit", "audit trail tools")
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
