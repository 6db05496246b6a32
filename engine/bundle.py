"""The policy bundle's files, its generated rules document and its revision.

Both engines load the same bundle: the Rego modules, the data.json files, and
data.hoi.rules, which the build generates from the rules' METADATA (their
legal basis and message templates, keyed by rule id) because the embedded
engine cannot read `rego.metadata`. The embedded engine takes it from
`data_document()`, OPA from the directory `write_bundle_tree()` lays out for
`opa build`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policy.rules import rules_document

RULES_PATH = ("hoi", "rules")
"""Where the generated rules document sits: data.hoi.rules."""

SYSTEM_FOLDER = "system"
"""rego/system: OPA's `system.*` packages (its API authorization policy)."""


@dataclass(frozen=True)
class PolicyBundle:
    """The Rego modules (tests excluded) and data documents under one root."""

    root: Path

    def modules(self) -> list[Path]:
        """Every module the bundle carries, OPA's own authorization policy included."""
        return sorted(p for p in self.root.rglob("*.rego") if not p.name.endswith("_test.rego"))

    def decision_modules(self) -> list[Path]:
        """The modules that decide: everything but OPA's `system` policies (who may
        call OPA), which only an OPA server evaluates."""
        return [p for p in self.modules() if p.relative_to(self.root).parts[0] != SYSTEM_FOLDER]

    def decision_sources(self) -> list[tuple[str, str]]:
        """(name under the root, text) of each decision module, as an engine loads them."""
        return [
            (str(p.relative_to(self.root)), p.read_text("utf-8")) for p in self.decision_modules()
        ]

    def data_files(self) -> list[Path]:
        return sorted(self.root.rglob("data.json"))

    def rules_document(self) -> dict[str, Any]:
        """data.hoi.rules, generated from the modules' METADATA."""
        return rules_document(self.root)

    def data_document(self) -> dict[str, Any]:
        """All data.json files merged at the path their folder names (as OPA does),
        and the generated rules document at data.hoi.rules."""
        merged: dict[str, Any] = {}
        for path in self.data_files():
            node = merged
            for part in path.parent.relative_to(self.root).parts:
                node = node.setdefault(part, {})
            node.update(json.loads(path.read_text(encoding="utf-8")))
        node = merged
        for part in RULES_PATH:
            node = node.setdefault(part, {})
        node.update(self.rules_document())
        return merged

    def write_bundle_tree(self, into: Path) -> Path:
        """The bundle's files laid out for `opa build -b` (or `opa test`, `opa bench`):
        the modules, tests and data files, and the generated rules document as
        hoi/rules/data.json. Returns the tree's root."""
        if into.exists():
            shutil.rmtree(into)
        shutil.copytree(self.root, into)
        rules = into.joinpath(*RULES_PATH, "data.json")
        rules.parent.mkdir(parents=True, exist_ok=True)
        rules.write_text(json.dumps(self.rules_document(), indent=1, sort_keys=True), "utf-8")
        return into

    def revision(self) -> str:
        """A content hash of every module and data file: the same on both engines."""
        digest = hashlib.sha256()
        for path in [*self.modules(), *self.data_files()]:
            digest.update(path.relative_to(self.root).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
        return "sha256:" + digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    """`python -m engine.bundle OUT`: lay out the bundle tree (with the generated
    rules document) for `opa test`, `opa bench` or `opa eval` on the command line."""
    import sys

    from policy.paths import REGO_DIR

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m engine.bundle OUT", file=sys.stderr)
        return 2
    print(PolicyBundle(REGO_DIR).write_bundle_tree(Path(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
