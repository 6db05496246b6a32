"""SIGHUP reloads the embedded engine's policy files (api.services.reload_policy);
a policy that does not load leaves the running revision in place."""

from __future__ import annotations

import shutil
from pathlib import Path

from api.services import reload_policy
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from policy.paths import REGO_DIR
from tests.rogue_opa import permit_everything

OURS = PolicyBundle(REGO_DIR).revision()


def _variant(tmp_path: Path) -> Path:
    out = tmp_path / "rego"
    shutil.copytree(REGO_DIR, out)
    module = PolicyBundle(out).decision_modules()[0]
    module.write_text(module.read_text("utf-8") + "\n# another revision\n", "utf-8")
    return out


def test_a_reload_switches_to_the_new_files_and_a_broken_one_changes_nothing(
    tmp_path: Path,
) -> None:
    engine = EmbeddedEngine(PolicyBundle(REGO_DIR))
    variant = _variant(tmp_path)
    new = PolicyBundle(variant).revision()
    assert reload_policy(engine, variant) == new != OURS
    module = PolicyBundle(variant).decision_modules()[0]
    module.write_text("package broken\nthis is not rego\n", "utf-8")
    assert reload_policy(engine, variant) is None
    assert engine.revision == new


class _Remote:
    """Any engine but the embedded one (an OPA sidecar follows its bundle server)."""

    name = "opa"
    revision = OURS
    evaluate = staticmethod(permit_everything)


def test_only_the_embedded_engine_reloads_on_a_signal() -> None:
    assert reload_policy(_Remote(), REGO_DIR) is None  # type: ignore[arg-type]
