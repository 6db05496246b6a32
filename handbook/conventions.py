"""Running the conventions check on a checkout: opa parses the policy, the
scenarios are decided on the embedded engine, and policy.conventions judges."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from handbook.scenarios import (
    SCENARIO_DIR,
    SEND_SCENARIO_DIR,
    Scenario,
    load_scenarios,
    load_send_scenarios,
)
from handbook.worlds import decide_all, registry_rules_all, rule_ids
from policy.catalogue import load_catalogue
from policy.conventions import Coverage, Violation, check
from policy.decision import Decision
from policy.errors import HoiError
from policy.legal import LegalCatalogue, load_legal_catalogue
from policy.paths import LEGAL_BASIS_DIR, REGO_DIR
from policy.rules import (
    RuleDefinition,
    definitions_from_opa_ast,
    rego_modules,
    shared_route_messages,
)


class OpaParseError(HoiError):
    """opa could not parse a module."""


def parse_with_opa(opa: str, rego_dir: Path) -> list[RuleDefinition]:
    """Every rule definition of the policy modules, read from `opa parse`."""
    definitions: list[RuleDefinition] = []
    for path in rego_modules(rego_dir):
        relative = path.relative_to(rego_dir.parent).as_posix()
        done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [opa, "parse", relative, "--format", "json", "--json-include", "locations"],
            cwd=rego_dir.parent,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise OpaParseError(f"{relative}: {done.stderr.strip()}")
        definitions += definitions_from_opa_ast(json.loads(done.stdout), relative)
    return definitions


def coverage(
    scenarios: list[Scenario],
    decisions: dict[str, Decision],
    registry: dict[str, set[str]] | None = None,
) -> Coverage:
    """Rule ids each scenario's decision (and registry attempt) shows, and the
    provisions each names."""
    found = Coverage()
    for scenario in scenarios:
        decision = decisions.get(scenario.id)
        shown = rule_ids(decision) if decision else set()
        for rule_id in shown | (registry or {}).get(scenario.id, set()):
            found.rules[rule_id].add(scenario.id)
        for pid in scenario.legal_references:
            found.references[pid].add(scenario.id)
    return found


async def _decide(
    rego_dir: Path, scenarios: list[Scenario]
) -> tuple[dict[str, Decision], dict[str, set[str]]]:
    engine = EmbeddedEngine(PolicyBundle(rego_dir))
    try:
        return await decide_all(scenarios, engine), await registry_rules_all(scenarios, engine)
    finally:
        await engine.aclose()


@dataclass
class CheckResult:
    violations: list[Violation]
    rules: int
    provisions: int
    scenarios: int


def run_check(
    opa: str,
    rego_dir: Path = REGO_DIR,
    legal_dir: Path = LEGAL_BASIS_DIR,
    scenario_dir: Path = SCENARIO_DIR,
    today: dt.date | None = None,
) -> CheckResult:
    """Check the policy under rego_dir against the catalogue and the scenarios."""
    legal: LegalCatalogue = load_legal_catalogue(legal_dir)
    policy = load_catalogue(rego_dir / "hoi" / "config" / "data.json")
    definitions = parse_with_opa(opa, rego_dir)
    scenarios = load_scenarios(scenario_dir)
    scenarios += load_send_scenarios(scenario_dir / SEND_SCENARIO_DIR.name)
    decisions, registry = asyncio.run(_decide(rego_dir, scenarios))
    violations = check(
        definitions,
        legal,
        policy,
        coverage(scenarios, decisions, registry),
        today or dt.date.today(),
        shared_route_messages(rego_dir),
    )
    rules = {d.annotation.rule_id for d in definitions if d.annotation and d.annotation.rule_id}
    return CheckResult(violations, len(rules), len(legal.entries), len(scenarios))
