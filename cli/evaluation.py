"""`hoi evaluation report`: the pilot's evaluation from the audit trail, privacy-safe."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from api.settings import Settings, get_settings
from cli.commands import EXIT_ERROR, Commands

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from evaluation.report import Period


def _report(args: argparse.Namespace) -> int:
    from api.services import organisation_register
    from db.engine import make_engine
    from db.schema import create_schema
    from evaluation.report import Period, build
    from facts.organisations import load_organisations

    settings = get_settings()
    try:
        period = Period(date.fromisoformat(args.start), date.fromisoformat(args.end))
    except ValueError as exc:
        print(f"hoi evaluation report: dates as YYYY-MM-DD: {exc}")
        return EXIT_ERROR
    if period.end < period.start:
        print("hoi evaluation report: --to is before --from")
        return EXIT_ERROR
    register = (
        load_organisations(args.organisations)
        if args.organisations
        else organisation_register(settings)
    )

    def recipient_type(organisation_id: str) -> str | None:
        found = register.get(organisation_id)
        return found.type if found else None

    def municipality_of(organisation_id: str) -> str | None:
        found = register.get(organisation_id)
        return found.municipality_code if found else None

    db = make_engine(settings.resolved_database_url)
    try:
        create_schema(db)
        # The read is audited first: no figures leave unless the record is committed.
        asyncio.run(_record_read(db, settings, period))
        figures = build(
            db, period, args.out, recipient_type=recipient_type, municipality_of=municipality_of
        )
    finally:
        db.dispose()
    hidden = sum(len(t.hidden) for t in figures.tables)
    print(
        f"evaluation {period.start} to {period.end}: {len(figures.tables)} tables "
        f"({hidden} figures suppressed) in {args.out}/index.html"
    )
    return 0


async def _record_read(db: Engine, settings: Settings, period: Period) -> None:
    from audit.chain import Signer
    from audit.log import AuditLog
    from evaluation.access import operator, record_read

    audit = AuditLog(db, Signer(settings.audit_key.get_secret_value()))
    try:
        await record_read(audit, operator(), period, "report", trace_id=uuid.uuid4().hex)
    finally:
        await audit.aclose()


def add_parser(commands: Commands) -> None:
    group = commands.add_group("evaluation", "the pilot's evaluation from the audit trail")
    report = group.add_parser(
        "report",
        help="tables (CSV), charts (SVG) and a page (HTML); cells under 5 children suppressed",
    )
    report.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    report.add_argument("--out", type=Path, required=True, help="the folder to write into")
    report.add_argument(
        "--organisations",
        type=Path,
        help="the organisation register file, for recipients' sectors "
        "(default: HOI_ORGANISATION_REGISTER)",
    )
    report.set_defaults(run=_report)
