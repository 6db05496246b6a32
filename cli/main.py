"""`hoi`: serve, decide, mint a development token, policy, audit and database tools.

Command groups live one module each under cli/. Plug-ins add theirs through the
`hoi.commands` entry point group (the sandbox adds `hoi sandbox ...` and `hoi
policy impact`); `hoi` works without them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib.metadata import entry_points

from cli import audit, db, decide, evaluation, policy, scenario, serve, token
from cli.commands import EXIT_DENY, EXIT_ERROR, EXIT_PERMIT, Commands

__all__ = ["EXIT_DENY", "EXIT_ERROR", "EXIT_PERMIT", "main", "parser"]

PLUGIN_GROUP = "hoi.commands"
"""Entry points here are callables taking the command tree (cli.commands.Commands)."""

MODULES: tuple[Callable[[Commands], None], ...] = (
    serve.add_parser,
    decide.add_parser,
    token.add_parser,
    policy.add_parser,
    audit.add_parser,
    evaluation.add_parser,
    scenario.add_parser,
    db.add_parser,
)


def plugins() -> list[Callable[[Commands], None]]:
    """The installed plug-ins' command registrations. One whose package is not
    installed (production without the sandbox) is left out; one that fails to load
    is left out with a notice, so it never stops production's commands."""
    found: list[Callable[[Commands], None]] = []
    for point in sorted(entry_points(group=PLUGIN_GROUP), key=lambda p: p.name):
        try:
            found.append(point.load())
        except ImportError:
            continue
        except Exception as exc:  # a broken plug-in must not take `hoi serve` down
            print(f"hoi: plug-in {point.name} not loaded: {exc}", file=sys.stderr)
    return found


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hoi", description=__doc__)
    commands = Commands(root.add_subparsers(dest="command", required=True))
    for add in (*MODULES, *plugins()):
        add(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
