"""The policy bundle's files and its revision."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SYSTEM_FOLDER = "system"
"""rego/system: OPA's `system.*` packages (its API authorization policy)."""


@dataclass(frozen=True)
class PolicySources:
    """The Rego modules (tests excluded) and data documents under one root."""

    root: Path

    def modules(self) -> list[Path]:
        """Every module the bundle carries, OPA's own authorization policy included."""
        return sorted(p for p in self.root.rglob("*.rego") if not p.name.endswith("_test.rego"))

    def decision_modules(self) -> list[Path]:
        """The modules that decide: everything but OPA's `system` policies (who may
        call OPA), which only an OPA server evaluates."""
        return [p for p in self.modules() if p.relative_to(self.root).parts[0] != SYSTEM_FOLDER]

    def data_files(self) -> list[Path]:
        return sorted(self.root.rglob("data.json"))

    def data_document(self) -> dict[str, Any]:
        """All data.json files merged at the path their folder names (as OPA does)."""
        merged: dict[str, Any] = {}
        for path in self.data_files():
            node = merged
            for part in path.parent.relative_to(self.root).parts:
                node = node.setdefault(part, {})
            node.update(json.loads(path.read_text(encoding="utf-8")))
        return merged

    def revision(self) -> str:
        """A content hash of every module and data file: the same on both engines."""
        digest = hashlib.sha256()
        for path in [*self.modules(), *self.data_files()]:
            digest.update(path.relative_to(self.root).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
        return "sha256:" + digest.hexdigest()[:16]
