"""The policy impact report: what a policy change changes, before anyone relies on it.

The corpus (`sandbox.corpus`) and every compliance scenario are decided under a
base policy (a git ref's rego/ tree) and under the working tree's policy, on the
embedded engine. The report counts the decisions that changed, grouped by
direction (newly permitted first) and by rule, with one worked example per group
in words; a message whose words alone changed is listed apart.
"""

from __future__ import annotations

import asyncio
import html
import io
import subprocess
import tarfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path
from time import perf_counter
from typing import Any, Literal

from engine.base import EngineError
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from handbook.scenarios import Scenario
from policy.legal import legal_catalogue
from sandbox.corpus import (
    DEFAULT_SEED,
    DEFAULT_SIZE,
    Situation,
    corpus,
    scenario_situations,
)

# --- evaluation ---------------------------------------------------------------------


Outcome = dict[str, Any]
"""A category's outcome, reduced to what a change is judged on."""


def _reduce(
    result: dict[str, Any], asked: list[str], fill: Callable[[str], str] = str
) -> dict[str, Outcome]:
    """Each asked category's outcome, its messages as a reader sees them (`fill`
    names the statutes a message cites by provision id, as the service does)."""
    categories = result.get("categories") or {}
    reduced: dict[str, Outcome] = {}
    for category in asked:
        raw = categories.get(category) or {}
        reduced[category] = {
            "decision": raw.get("decision", "deny"),
            "rule_id": raw.get("rule_id"),
            "fields": list(raw.get("fields") or []),
            "override": bool(raw.get("override")),
            "exclude_organisations": list(raw.get("exclude_organisations") or []),
            "reasons": [
                (r.get("code"), r.get("rule_id"), fill(str(r.get("message") or "")))
                for r in raw.get("reasons") or []
            ],
        }
    return reduced


HISTORICAL_AFTER_DAYS = 365
"""The former Python grading's horizon: any appointment within a year was a course."""


def _reads_graded_kinds(policy: Path) -> bool:
    """Does this policy predate relation evidence (it reads graded `kind`s)?"""
    relation = policy / "hoi" / "relation" / "relation.rego"
    return relation.exists() and ".kind ==" in relation.read_text(encoding="utf-8")


def _graded_kind(item: dict[str, Any], child: dict[str, Any], today: date) -> dict[str, Any] | None:
    """One piece of evidence as the former Python grading (before the policy graded
    evidence itself) handed it to the policy."""
    org, kind, day = item["organisation_id"], item["type"], item.get("date")
    on = date.fromisoformat(day) if day else None
    historical = {"kind": "historical", "organisation_id": org, "date": day, "active": False}
    if kind == "referral":
        course = {"kind": "treatment_course", "organisation_id": org, "active": True}
        return course if item.get("active") else historical
    if kind == "appointment" and on is not None:
        recent = on >= today - timedelta(days=HISTORICAL_AFTER_DAYS)
        return (
            {"kind": "treatment_course", "organisation_id": org, "date": day, "active": True}
            if recent
            else historical
        )
    if kind == "consultation" and on is not None and child.get("registered_gp") == org:
        return {"kind": "consultation", "organisation_id": org, "date": day, "active": True}
    if kind == "case":
        return (
            {"kind": "open_case", "organisation_id": org, "active": True}
            if item.get("active")
            else historical
        )
    return None


def with_graded_kinds(document: dict[str, Any]) -> dict[str, Any]:
    """The document for a base policy that predates relation evidence: the
    evidence graded the way the service graded it then, so that a comparison
    across that change shows the policy's difference, not the input's."""
    child = document.get("child", {})
    today = date.fromisoformat(document["context"]["date"])
    organisation = document["subject"]["organisation"]["id"]
    graded = [
        g
        for item in document["facts"].get("relations", [])
        if "type" in item and (g := _graded_kind(item, child, today)) is not None
    ]
    if child.get("registered_gp") == organisation:
        graded.append({"kind": "registered_gp", "organisation_id": organisation, "active": True})
    facts = {**document["facts"], "relations": graded}
    return {**document, "facts": facts}


def evaluate_all(policy: Path, documents: list[dict[str, Any]]) -> list[dict[str, Outcome]]:
    """Every document's outcomes under the policy in `policy` (a rego/ tree), on
    the interpreter: the reference the compiled engine is held to, and one that
    reads every past revision of the policy."""
    engine = EmbeddedEngine(PolicyBundle(policy), compiled=False)
    legacy = _reads_graded_kinds(policy)
    fill = legal_catalogue().fill
    try:
        found = []
        for given in documents:
            document = with_graded_kinds(given) if legacy else given
            asked = list(document["resource"]["categories"])
            try:
                result = engine.evaluate_sync(document)
            except EngineError as exc:
                result = {"error": str(exc)}
            found.append(_reduce(result, asked, fill))
        return found
    finally:
        asyncio.run(engine.aclose())


def _revision(policy: Path) -> str:
    return PolicyBundle(policy).revision()


# --- comparison ---------------------------------------------------------------------

Direction = Literal[
    "newly_permitted", "newly_denied", "permit_changed", "deny_changed", "wording_changed"
]
DIRECTIONS: dict[Direction, str] = {
    "newly_permitted": "Newly permitted",
    "newly_denied": "Newly denied",
    "permit_changed": "Still permitted, on another rule or with other fields",
    "deny_changed": "Still denied, for other reasons",
    "wording_changed": "Same decision, rules, reason codes and fields; only a message's words",
}
DECISION_CHANGES: tuple[Direction, ...] = (
    "newly_permitted",
    "newly_denied",
    "permit_changed",
    "deny_changed",
)


def _without_words(outcome: Outcome) -> Outcome:
    return {**outcome, "reasons": [(code, rule) for code, rule, _ in outcome.get("reasons", [])]}


@dataclass
class Change:
    situation: Situation
    category: str
    before: Outcome
    after: Outcome

    @property
    def direction(self) -> Direction:
        was, now = self.before["decision"], self.after["decision"]
        if _without_words(self.before) == _without_words(self.after):
            return "wording_changed"
        if was != "permit" and now == "permit":
            return "newly_permitted"
        if was == "permit" and now != "permit":
            return "newly_denied"
        return "permit_changed" if now == "permit" else "deny_changed"

    @property
    def rule(self) -> str:
        """The rule the change is grouped by: the permitting route after (newly
        permitted, changed permit), the route that no longer permits (newly denied),
        or the first denying rule after."""
        if self.direction == "newly_denied":
            return str(self.before["rule_id"])
        if self.after["decision"] == "permit":
            return str(self.after["rule_id"])
        reasons = self.after["reasons"]
        return str(reasons[0][1]) if reasons else "none"


def _outcome_words(outcome: Outcome) -> str:
    said = "; ".join(
        f"{code} [{rule}]: {str(message).rstrip('.')}"
        for code, rule, message in outcome["reasons"]
        if code != "permitted"
    )
    if outcome["decision"] != "permit":
        return f"deny ({said})"
    words = f"permit by {outcome['rule_id']} ({', '.join(outcome['fields'])})"
    if outcome.get("override"):
        words += ", overriding the family's block"
    if outcome.get("exclude_organisations"):
        words += f", withholding records from {', '.join(outcome['exclude_organisations'])}"
    return f"{words}; {said}" if said else words


def describe(change: Change) -> str:
    """One change in plain words."""
    return (
        f"{change.situation.words} Asked for {change.category.replace('_', ' ')}. "
        f"Before: {_outcome_words(change.before)}. "
        f"Now: {_outcome_words(change.after)}."
    )


@dataclass
class Group:
    direction: Direction
    rule: str
    changes: list[Change]


@dataclass
class Impact:
    base_ref: str
    base_revision: str
    head_revision: str
    seed: int
    corpus_hash: str
    situations: int
    inputs: int
    scenarios: int
    groups: list[Group]
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        """Decisions that changed: outcome, rule, reason codes or fields (not wording)."""
        return sum(len(g.changes) for g in self.groups if g.direction in DECISION_CHANGES)

    def count(self, direction: Direction) -> int:
        return sum(len(g.changes) for g in self.groups if g.direction == direction)


def compare(
    situations: list[Situation],
    before: list[dict[str, Outcome]],
    after: list[dict[str, Outcome]],
) -> list[Group]:
    """The changed decisions, grouped by direction (newly permitted first) and rule."""
    groups: dict[tuple[Direction, str], list[Change]] = {}
    for situation, was, now in zip(situations, before, after, strict=True):
        for category in now:
            if was.get(category) == now[category]:
                continue
            change = Change(situation, category, was.get(category) or {}, now[category])
            groups.setdefault((change.direction, change.rule), []).append(change)
    order = list(DIRECTIONS)
    return [
        Group(direction, rule, changes)
        for (direction, rule), changes in sorted(
            groups.items(), key=lambda kv: (order.index(kv[0][0]), -len(kv[1]), kv[0][1])
        )
    ]


def _evaluate_both(
    base: Path, head: Path, documents: list[dict[str, Any]], workers: int
) -> tuple[list[dict[str, Outcome]], list[dict[str, Outcome]]]:
    """Both policies; with two workers, each in its own process (the embedded
    engine holds the interpreter lock while it evaluates)."""
    if workers < 2:
        return evaluate_all(base, documents), evaluate_all(head, documents)
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        before = pool.submit(evaluate_all, base, documents)
        after = pool.submit(evaluate_all, head, documents)
        return before.result(), after.result()


def impact(
    base: Path,
    head: Path,
    *,
    base_ref: str,
    scenarios: Iterable[Scenario] = (),
    seed: int = DEFAULT_SEED,
    size: int = DEFAULT_SIZE,
    workers: int = 2,
) -> Impact:
    """Decide the corpus and the scenarios under both policies and compare."""
    started = perf_counter()
    generated = corpus(seed, size)
    from_scenarios = scenario_situations(scenarios)
    situations = generated.situations + from_scenarios
    documents = [s.document for s in situations]
    before, after = _evaluate_both(base, head, documents, workers)
    groups = compare(situations, before, after)
    report = Impact(
        base_ref=base_ref,
        base_revision=_revision(base),
        head_revision=_revision(head),
        seed=seed,
        corpus_hash=generated.digest(),
        situations=generated.size,
        inputs=len(generated.situations),
        scenarios=len(from_scenarios),
        groups=groups,
    )
    report.seconds = perf_counter() - started
    return report


def policy_at(ref: str, repository: Path, into: Path) -> Path:
    """The rego/ tree at a git ref, extracted into `into` (git archive)."""
    archive = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        ["git", "-C", str(repository), "archive", "--format=tar", ref, "rego"],  # noqa: S607
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "rego"


# --- report -------------------------------------------------------------------------


def _header(report: Impact) -> list[tuple[str, str]]:
    return [
        ("Base policy", f"{report.base_ref} ({report.base_revision})"),
        ("Working tree policy", report.head_revision),
        (
            "Corpus",
            f"{report.situations} situations ({report.inputs} inputs x every data category), "
            f"seed {report.seed}, hash {report.corpus_hash}",
        ),
        ("Scenarios", f"{report.scenarios} (their first question)"),
        ("Decisions changed", str(report.changed)),
        ("Newly permitted", str(report.count("newly_permitted"))),
        ("Newly denied", str(report.count("newly_denied"))),
        ("Only a message's words changed", str(report.count("wording_changed"))),
        ("Run time", f"{report.seconds:.1f} s"),
    ]


def markdown(report: Impact) -> str:
    lines = [
        "# Policy impact report",
        "",
        "What changes between the base policy and the working tree's policy, decided on the "
        "embedded engine for a generated corpus of situations and every compliance scenario. "
        "Newly permitted situations come first: each must be intended, and the change must "
        "say why.",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in _header(report)],
        "",
    ]
    if not report.changed:
        lines += ["No decision changed.", ""]
    for direction, title in DIRECTIONS.items():
        groups = [g for g in report.groups if g.direction == direction]
        if not groups:
            continue
        count = sum(len(g.changes) for g in groups)
        alarm = "🟥 " if direction == "newly_permitted" else ""
        lines += [f"## {alarm}{title}: {count}", "", "| Rule | Decisions |", "|---|---|"]
        lines += [f"| {g.rule} | {len(g.changes)} |" for g in groups]
        lines.append("")
        for g in groups:
            lines += [
                f"### {alarm}{g.rule}: {len(g.changes)}",
                "",
                f"For example: {describe(g.changes[0])}",
                "",
            ]
    lines += [
        "Regenerate with `hoi policy impact --base GITREF --out docs/impact` "
        "(the corpus: every catalogue role x purpose x consent state x objection/block state "
        "x age band x relation evidence, sampled with the seed; every category asked).",
        "",
    ]
    return "\n".join(lines)


def html_page(report: Impact) -> str:
    e = html.escape
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _header(report))
    body = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Policy impact report</title><style>",
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}",
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;",
        "text-align:left}.permitted{color:#b00020}.permitted h2,.permitted h3{color:#b00020}",
        "</style></head><body><h1>Policy impact report</h1>",
        "<p>What changes between the base policy and the working tree's policy, decided on "
        "the embedded engine for a generated corpus of situations and every compliance "
        "scenario. Newly permitted situations come first, in red: each must be intended.</p>",
        f"<table>{rows}</table>",
    ]
    if not report.changed:
        body.append("<p>No decision changed.</p>")
    for direction, title in DIRECTIONS.items():
        groups = [g for g in report.groups if g.direction == direction]
        if not groups:
            continue
        css = " class='permitted'" if direction == "newly_permitted" else ""
        count = sum(len(g.changes) for g in groups)
        body.append(f"<section{css}><h2>{e(title)}: {count}</h2>")
        body.append("<table><tr><th>Rule</th><th>Decisions</th></tr>")
        body += [f"<tr><td>{e(g.rule)}</td><td>{len(g.changes)}</td></tr>" for g in groups]
        body.append("</table>")
        for g in groups:
            body.append(f"<h3>{e(g.rule)}: {len(g.changes)}</h3>")
            body.append(f"<p>For example: {e(describe(g.changes[0]))}</p>")
        body.append("</section>")
    body.append("</body></html>")
    return "\n".join(body)


def write(report: Impact, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "README.md", out / "index.html"]
    written[0].write_text(markdown(report), encoding="utf-8")
    written[1].write_text(html_page(report), encoding="utf-8")
    return written
