"""`hoi db`: the registry database's schema migrations."""

from __future__ import annotations

import argparse

from api.settings import get_settings
from cli.commands import Commands


def _db_upgrade(args: argparse.Namespace) -> int:
    from db.engine import make_engine
    from db.schema import current_revision, upgrade

    engine = make_engine(get_settings().resolved_database_url)
    try:
        upgrade(engine, args.revision)
        print(f"registry schema at revision {current_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def _db_current(_: argparse.Namespace) -> int:
    from db.engine import make_engine
    from db.schema import current_revision, head_revision

    engine = make_engine(get_settings().resolved_database_url)
    try:
        print(f"registry schema at revision {current_revision(engine)} (head {head_revision()})")
    finally:
        engine.dispose()
    return 0


def add_parser(commands: Commands) -> None:
    db_commands = commands.add_group("db", "registry database (HOI_DATABASE_URL)")
    db_up = db_commands.add_parser("upgrade", help="run the schema migrations")
    db_up.add_argument("revision", nargs="?", default="head")
    db_up.set_defaults(run=_db_upgrade)
    db_current = db_commands.add_parser("current", help="show the schema revision")
    db_current.set_defaults(run=_db_current)
