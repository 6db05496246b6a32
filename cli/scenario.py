"""`hoi scenario run`: run compliance scenarios from any folder, without Python.

Each scenario is decided the way the API decides it (handbook/worlds.py: the
registry entries go through the registry service, the facts through the local
facts provider, the question through the service's decision point), and every
expectation the CLI can check is checked. Overview, access-log and registry
expectations need the HTTP service; the CLI says so instead of passing them
silently (tests/test_scenarios.py checks them through the API)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from cli.commands import EXIT_ERROR, Commands
from policy.errors import HoiError

if TYPE_CHECKING:
    from handbook.expectations import Expectation
    from handbook.scenarios import Scenario, StepSpec

EXIT_PASS, EXIT_FAIL = 0, 1


@dataclass
class Outcome:
    """One scenario's result: what was decided, what did not hold, what was not checked."""

    scenario_id: str
    title: str
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def scenario_files(paths: list[Path]) -> Iterator[Path]:
    """The scenario files named, and every *.yaml in the folders named."""
    for path in paths:
        if path.is_dir():
            yield from sorted(path.glob("*.yaml"))
        else:
            yield path


def _reason_line(reason: dict[str, Any]) -> str:
    return f"{reason['code']} [{reason['rule_id']}]: {reason['message']}"


def describe(category: str, got: dict[str, Any]) -> list[str]:
    """A category's decision in a few readable lines."""
    if got["decision"] == "permit":
        head = f"{category}: PERMIT by {got['rule_id']} ({', '.join(got['legal_basis'])})"
        lines = [head, f"    fields: {', '.join(got['fields'])}"]
        if got.get("override"):
            lines.append("    an override of the family's block (flagged in the citizen's log)")
    else:
        lines = [f"{category}: DENY"]
    lines += [f"    {_reason_line(r)}" for r in got["reasons"]]
    return lines


def _check_refusal(scenario: Scenario, outcome: Outcome) -> None:
    """A request the API refuses before deciding: the request model must refuse it,
    naming the field."""
    from policy.decision import DecisionRequest

    expected = scenario.refused_request
    assert expected is not None
    try:
        DecisionRequest.model_validate(scenario.decision_body())
    except ValidationError as exc:
        fields = [".".join(str(p) for p in error["loc"]) for error in exc.errors()]
        outcome.lines.append(f"request refused ({', '.join(fields)})")
        if not any(f == expected.field or f.startswith(expected.field) for f in fields):
            outcome.problems.append(f"refused, but naming {fields}, not {expected.field}")
        return
    outcome.problems.append(f"expected the request to be refused ({expected.field})")


async def run_one(path: Path, engine: Any, citations: Any) -> Outcome:
    """Load, decide and check one scenario file."""
    from handbook.scenarios import load_scenario
    from handbook.worlds import World

    scenario = load_scenario(path)
    outcome = Outcome(scenario.id, scenario.title)
    if scenario.refused_request is not None:
        _check_refusal(scenario, outcome)
        return outcome
    if scenario.access_log is not None:
        outcome.not_checked.append("the citizen's access log (checked through the API)")
    world = World(scenario)
    try:
        for refusal in world.entries.refusals:
            said = f"refused ({refusal.got})" if refusal.got else "accepted"
            outcome.lines.append(f"registry: {refusal.what}: {said}")
            if refusal.got != refusal.expected:
                outcome.problems.append(
                    f"registry: {refusal.what}: expected refused ({refusal.expected}), {said}"
                )
        for attempt in scenario.registry_attempts:
            status = await world.attempt(engine, attempt)
            allowed = status in (200, 201)
            said = "allowed" if allowed else f"refused ({status})"
            outcome.lines.append(f"registry: {attempt.title}: {said}")
            if allowed != (attempt.expect == "allowed") or (
                not allowed and attempt.status is not None and status != attempt.status
            ):
                expected = attempt.expect + (f" ({attempt.status})" if attempt.status else "")
                outcome.problems.append(f"registry: {attempt.title}: expected {expected}")
        questions: list[tuple[StepSpec | None, dict[str, Expectation]]] = [(None, scenario.expect)]
        questions += [(step, step.expect) for step in scenario.then]
        for step, expect in questions:
            title = step.title if step is not None else ""
            if step is not None:
                world.play(step)
                outcome.lines.append(f"then: {title}")
            decision = (await world.decide(engine, citations)).model_dump(mode="json")
            for category in scenario.ask:
                got = decision["categories"][category]
                outcome.lines += describe(category, got)
                wanted = expect.get(category)
                if wanted is None:
                    continue
                if wanted.needs_overview():
                    outcome.not_checked.append(
                        f"{category}: the overview (checked through the API)"
                    )
                problems = wanted.problems(
                    got, person=lambda handle: scenario.person(handle, world.handles)
                )
                prefix = f"{title}: " if title else ""
                outcome.problems += [f"{prefix}{category}: {p}" for p in problems]
    finally:
        world.close()
    return outcome


def report(outcome: Outcome, out: Any) -> None:
    mark = "PASS" if outcome.passed else "FAIL"
    print(f"{mark}  {outcome.scenario_id}: {outcome.title}", file=out)
    for line in outcome.lines:
        print(f"      {line}", file=out)
    for problem in outcome.problems:
        print(f"   ✗  {problem}", file=out)
    for item in outcome.not_checked:
        print(f"   -  not checked here: {item}", file=out)


async def run_scenarios(paths: list[Path], engine_name: str) -> int:
    from api.services import make_policy_engine
    from api.settings import get_settings
    from engine.base import EngineError
    from policy.legal import load_legal_catalogue

    files = list(scenario_files(paths))
    if not files:
        print("hoi scenario run: no scenario files (*.yaml) found", file=sys.stderr)
        return EXIT_ERROR
    settings = get_settings().model_copy(update={"engine": engine_name})
    engine, server = make_policy_engine(settings)
    citations = load_legal_catalogue()
    failed = errors = 0
    try:
        for path in files:
            try:
                outcome = await run_one(path, engine, citations)
            except (OSError, ValueError, yaml.YAMLError, EngineError, HoiError) as exc:
                # A file that does not load is a failure to report, not a crash.
                errors += 1
                print(f"ERROR {path}: {exc}")
                continue
            report(outcome, sys.stdout)
            failed += not outcome.passed
    finally:
        await engine.aclose()
        if server is not None:
            server.stop()
    passed = len(files) - failed - errors
    print(
        f"\n{passed} passed, {failed} failed, {errors} could not be run "
        f"({len(files)} scenario(s), engine {engine.name}, policy {engine.revision})"
    )
    if errors:
        return EXIT_ERROR
    return EXIT_FAIL if failed else EXIT_PASS


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(run_scenarios([Path(p) for p in args.paths], args.engine))
    except (OSError, HoiError) as exc:
        print(f"hoi scenario run: {exc}", file=sys.stderr)
        return EXIT_ERROR


def add_parser(commands: Commands) -> None:
    """`hoi scenario run FILE|DIR ... [--engine embedded|opa]`."""
    scenario_commands = commands.add_group("scenario", "compliance scenarios")
    run_parser = scenario_commands.add_parser(
        "run",
        help="run scenario files (or every *.yaml in a folder); exit 1 when any fails",
    )
    run_parser.add_argument("paths", nargs="+", metavar="FILE|DIR")
    run_parser.add_argument("--engine", choices=["embedded", "opa"], default="embedded")
    run_parser.set_defaults(run=run)
