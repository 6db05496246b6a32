"""Where the policy sources live in a checkout."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REGO_DIR = PROJECT_ROOT / "rego"
LEGAL_BASIS_DIR = PROJECT_ROOT / "legal_basis"
POLICY_DATA_FILE = REGO_DIR / "hoi" / "config" / "data.json"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"
"""The lawyers' compliance scenarios (one YAML file each), beside rego/ and legal_basis/."""
SCENARIO_WORLD_DIR = SCENARIO_DIR / "world"
"""What every scenario's world shares: the pilot's organisation register."""
