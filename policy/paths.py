"""Where the policy sources live: in a checkout, beside the code; for an
installed service (`pip install .`), in the folder HOI_POLICY_HOME names (one
holding rego/, legal_basis/ and scenarios/)."""

from __future__ import annotations

import os
from pathlib import Path


def _home() -> Path:
    configured = os.environ.get("HOI_POLICY_HOME")
    return Path(configured).resolve() if configured else Path(__file__).resolve().parent.parent


PROJECT_ROOT = _home()
REGO_DIR = PROJECT_ROOT / "rego"
LEGAL_BASIS_DIR = PROJECT_ROOT / "legal_basis"
POLICY_DATA_FILE = REGO_DIR / "hoi" / "config" / "data.json"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"
"""The lawyers' compliance scenarios (one YAML file each), beside rego/ and legal_basis/."""
SCENARIO_WORLD_DIR = SCENARIO_DIR / "world"
"""What every scenario's world shares: the pilot's organisation register."""
