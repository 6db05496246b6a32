"""The handbook: what the policy decides and on which law, for lawyers.

`build_handbook` evaluates the real policy (every scenario, and the role x
category matrix over six fact combinations) and renders HTML and Markdown
pages: an index with the policy revision, one page per provision, the rules
with links to their source lines, the scenarios and the matrix. Nothing on a
page is written by hand except the words around the data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from engine.base import PolicyEngine
from handbook.matrix import FACT_SETS, Matrix, compute_matrix
from handbook.scenarios import (
    SCENARIO_DIR,
    SEND_SCENARIO_DIR,
    Scenario,
    load_scenarios,
    load_send_scenarios,
)
from handbook.worlds import decide_all, rule_ids
from policy.catalogue import catalogue
from policy.decision import Decision
from policy.legal import LegalCatalogue, ProvisionEntry
from policy.paths import REGO_DIR
from policy.rules import RuleAnnotation, annotations_from_source, rego_modules

TITLE = "HOI Policy handbook"


def source_page(file: str) -> str:
    """The page name of a Rego source file ('rego/hoi/x/x.rego' -> 'source-hoi-x-x.rego.html')."""
    return "source-" + file.removeprefix("rego/").replace("/", "-") + ".html"


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("handbook", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md_cell"] = _md_cell
    env.filters["source_page"] = source_page
    return env


@dataclass
class RuleView:
    annotation: RuleAnnotation
    provisions: list[ProvisionEntry | None]
    basis: list[str]
    scenarios: list[str]

    @property
    def rule_id(self) -> str:
        return self.annotation.rule_id or ""

    @property
    def link(self) -> str:
        return f"{source_page(self.annotation.file)}#L{self.annotation.row}"


@dataclass
class ScenarioView:
    scenario: Scenario
    decision: Decision

    @property
    def id(self) -> str:
        return self.scenario.id


@dataclass
class Handbook:
    revision: str
    day: dt.date
    files: dict[str, str] = field(default_factory=dict)

    def write(self, out: Path) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in sorted(self.files.items()):
            path = out / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written

    def page(self, name: str) -> str | None:
        """An HTML page by file name; None when there is none."""
        return self.files.get(name) if name.endswith(".html") else None


def _views(
    annotations: list[RuleAnnotation],
    legal: LegalCatalogue,
    scenarios: list[Scenario],
    decisions: dict[str, Decision],
) -> tuple[list[RuleView], list[ScenarioView], dict[str, list[str]], dict[str, list[str]]]:
    by_rule: dict[str, list[str]] = defaultdict(list)
    exercised: dict[str, set[str]] = defaultdict(set)
    referenced: dict[str, list[str]] = defaultdict(list)
    scenarios = [s for s in scenarios if s.id in decisions]  # refused requests have none
    for scenario in scenarios:
        decision = decisions[scenario.id]
        for rule_id in sorted(rule_ids(decision)):
            by_rule[rule_id].append(scenario.id)
        for outcome in decision.categories.values():
            for reason in outcome.reasons:
                for pid in reason.legal_basis:
                    exercised[pid].add(scenario.id)
        for pid in scenario.legal_references:
            referenced[pid].append(scenario.id)
    rules = [
        RuleView(
            annotation=a,
            provisions=[legal.get(p) for p in a.legal_basis or ()],
            basis=list(a.legal_basis or ()),
            scenarios=by_rule.get(a.rule_id or "", []),
        )
        for a in annotations
        if a.rule_id
    ]
    views = [ScenarioView(s, decisions[s.id]) for s in scenarios]
    return rules, views, {k: sorted(v) for k, v in exercised.items()}, dict(referenced)


def _source(path: Path, rego_dir: Path) -> dict[str, Any]:
    file = path.relative_to(rego_dir.parent).as_posix()
    return {"file": file, "lines": path.read_text(encoding="utf-8").splitlines()}


async def build_handbook(
    engine: PolicyEngine,
    legal: LegalCatalogue,
    *,
    rego_dir: Path = REGO_DIR,
    scenario_dir: Path = SCENARIO_DIR,
    day: dt.date | None = None,
    base_href: str | None = None,
) -> Handbook:
    """Evaluate the policy and render every page (HTML and Markdown)."""
    day = day or dt.date.today()
    scenarios = load_scenarios(scenario_dir)
    scenarios += load_send_scenarios(scenario_dir / SEND_SCENARIO_DIR.name)
    decisions = await decide_all(scenarios, engine, legal)
    matrix: Matrix = await compute_matrix(engine, legal, day)
    annotations = annotations_from_source(rego_dir)
    rules, scenario_views, exercised, referenced = _views(annotations, legal, scenarios, decisions)
    rules_by_provision: dict[str, list[RuleView]] = defaultdict(list)
    for rule in rules:
        for pid in rule.basis:
            rules_by_provision[pid].append(rule)
    acts: dict[str, list[ProvisionEntry]] = defaultdict(list)
    for entry in legal.entries.values():
        acts[entry.act].append(entry)
    policy = catalogue()
    context: dict[str, Any] = {
        "title": TITLE,
        "revision": engine.revision,
        "engine": engine.name,
        "day": day,
        "base_href": base_href,
        "legal": legal,
        "acts": {key: (legal.acts[key], entries) for key, entries in sorted(acts.items())},
        "rules": rules,
        "rules_by_provision": rules_by_provision,
        "scenarios": scenario_views,
        "exercised": exercised,
        "referenced": referenced,
        "matrix": matrix,
        "fact_sets": FACT_SETS,
        "roles": policy.roles,
        "categories": policy.categories,
        "review_counts": _review_counts(legal),
    }
    env = _environment()
    handbook = Handbook(revision=engine.revision, day=day)

    def render(template: str, name: str, **extra: Any) -> None:
        handbook.files[name] = env.get_template(template).render(**context, **extra)

    for page in ("index", "matrix", "rules", "scenarios"):
        render(f"{page}.html.j2", f"{page}.html")
        render(f"{page}.md.j2", f"{page}.md")
    for entry in legal.entries.values():
        extra = {"entry": entry, "implementing": rules_by_provision.get(entry.id, [])}
        render("provision.html.j2", f"provision-{entry.id}.html", **extra)
        render("provision.md.j2", f"provision-{entry.id}.md", **extra)
    for path in rego_modules(rego_dir):
        source = _source(path, rego_dir)
        render("source.html.j2", source_page(source["file"]), source=source)
    return handbook


def _review_counts(legal: LegalCatalogue) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for entry in legal.entries.values():
        counts[entry.review.status] += 1
    return dict(counts)
