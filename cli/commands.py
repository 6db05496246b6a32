"""What every command module shares: exit codes and the command tree that
modules (and plug-ins, through the `hoi.commands` entry point group) add to."""

from __future__ import annotations

import argparse
from typing import TypeAlias

EXIT_PERMIT, EXIT_DENY, EXIT_ERROR = 0, 1, 2

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The `add_parser` of a command group."""


class Commands:
    """The `hoi` command tree: the top level and the named groups below it
    (`policy`, `audit`, ...), so a plug-in can add a command to a group."""

    def __init__(self, root: Subcommands) -> None:
        self.root = root
        self._groups: dict[str, Subcommands] = {}

    def add_group(self, name: str, help_text: str) -> Subcommands:
        """A new command group `hoi NAME ...`."""
        parser = self.root.add_parser(name, help=help_text)
        group = parser.add_subparsers(dest=f"{name}_command", required=True)
        self._groups[name] = group
        return group

    def group(self, name: str) -> Subcommands:
        """An existing group, to add a command to."""
        return self._groups[name]
