"""The conventions that keep code and law tied together, as one check.

It fails when a rule that permits or denies lacks its METADATA (title,
description, custom.rule_id, custom.legal_basis), cites an id that is not in
the legal-basis catalogue, reuses a rule id, returns a rule id or legal basis
that its METADATA does not declare; when a rule id is emitted from a package
other than the one whose METADATA declares it; when a reason is built by hand
instead of through the reason helper (rego/hoi/reason), or asks for a message
its rule's METADATA does not have; when a message template writes a statute's
citation itself instead of naming the provision ({sul-43-1}) for the service
to fill in from legal_basis/; when an in-scope provision has no rule;
when a rule or a provision has no scenario exercising it; and when the policy's
consent regimes are looser than the law they rest on.

Pure: the caller supplies the rule definitions (from `opa parse`), the
catalogue, the policy data and what the scenarios exercised.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from policy.catalogue import Catalogue
from policy.legal import LegalCatalogue
from policy.rules import REASON_PACKAGE, RuleAnnotation, RuleDefinition

RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
"""A value a message template names: {role}, or a provision id {sul-43-1}."""

PROVISION = re.compile(r"^[a-z]+(-[0-9a-z]+)+$")


def _statute_text(template: str, legal: LegalCatalogue) -> str | None:
    """What in a message template cites a statute by hand (a section sign, an
    article, an act's name), or None."""
    if "§" in template:
        return "§"
    if re.search(r"\bart(icle)?\.? ?\d", template, re.IGNORECASE):
        return "art."
    lowered = template.lower()
    for act in legal.acts.values():
        # The act's name and its stem (Folkeskoleloven, Folkeskolelov).
        stem = act.name.lower().removesuffix("en")
        if stem in lowered:
            return act.name
    return None


def _message_violations(
    a: RuleAnnotation, legal: LegalCatalogue, shared: dict[str, str]
) -> list[Violation]:
    out = []
    name = a.rule_id or f"{a.package}.{a.name}"
    messages = {**shared, **a.messages} if a.kind == "route" else a.messages
    for key, template in sorted(messages.items()):
        cited = _statute_text(template, legal)
        if cited is not None:
            out.append(
                Violation(
                    _where(a),
                    "statute-text",
                    f"rule {name} message {key} writes {cited!r} itself; name the provision "
                    "in braces ({sul-43-1}) and the service fills in its citation",
                )
            )
        for value in PLACEHOLDER.findall(template):
            if PROVISION.match(value) and value not in legal:
                out.append(
                    Violation(
                        _where(a),
                        "unknown-id",
                        f"rule {name} message {key} names {value!r}, not in legal_basis/",
                    )
                )
    return out


@dataclass(frozen=True, order=True)
class Violation:
    where: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.code}] {self.message}"


@dataclass
class Coverage:
    """What the scenarios showed: rule ids seen in their decisions, and the
    provisions each scenario names in its legal references."""

    rules: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    references: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _where(item: RuleDefinition | RuleAnnotation) -> str:
    return f"{item.file}:{item.row}"


def _annotation_violations(a: RuleAnnotation, legal: LegalCatalogue) -> list[Violation]:
    out = []
    name = a.rule_id or f"{a.package}.{a.name}"
    for attr, label in [
        ("title", "title"),
        ("description", "description"),
        ("rule_id", "custom.rule_id"),
    ]:
        if not getattr(a, attr):
            out.append(Violation(_where(a), "metadata", f"rule {name} lacks {label}"))
    if not a.legal_basis:
        out.append(Violation(_where(a), "metadata", f"rule {name} lacks custom.legal_basis"))
    if a.rule_id and not RULE_ID.match(a.rule_id):
        out.append(
            Violation(_where(a), "rule-id", f"rule id {a.rule_id!r} is not UPPER-KEBAB-CASE")
        )
    for pid in a.legal_basis or ():
        entry = legal.get(pid)
        if entry is None:
            out.append(
                Violation(
                    _where(a), "unknown-id", f"rule {name} cites {pid!r}, not in legal_basis/"
                )
            )
        elif not entry.in_scope:
            out.append(
                Violation(
                    _where(a),
                    "out-of-scope",
                    f"rule {name} cites {pid}, which legal_basis/ marks as outside the policy",
                )
            )
    return out


def check(
    definitions: list[RuleDefinition],
    legal: LegalCatalogue,
    policy: Catalogue,
    coverage: Coverage,
    today: dt.date,
    shared_route_messages: dict[str, str] | None = None,
) -> list[Violation]:
    """Every convention violation, sorted by place. shared_route_messages: the
    words every route shares (hoi.routes' package METADATA)."""
    shared = shared_route_messages or {}
    out: list[Violation] = []
    annotations = [d.annotation for d in definitions if d.annotation is not None]
    annotated = [a for a in annotations if a.rule_id or a.legal_basis or a.kind != "other"]

    # Every definition of a deciding rule carries its own METADATA.
    for d in definitions:
        if d.kind != "other" and d.annotation is None:
            ids = ", ".join(sorted({e.rule_id for e in d.emitted})) or "no rule id"
            out.append(Violation(_where(d), "metadata", f"a {d.kind} rule ({ids}) has no METADATA"))
    for a in annotated:
        out += _annotation_violations(a, legal)
        out += _message_violations(a, legal, shared)

    # Rule ids are unique.
    by_id: dict[str, list[RuleAnnotation]] = defaultdict(list)
    for a in annotated:
        if a.rule_id:
            by_id[a.rule_id].append(a)
    for rule_id, found in by_id.items():
        for a in found[1:]:
            out.append(
                Violation(
                    _where(a),
                    "duplicate-id",
                    f"rule id {rule_id} is already used at {_where(found[0])}",
                )
            )

    # What rules return agrees with what their METADATA declares.
    for d in definitions:
        own = d.annotation.rule_id if d.annotation else None
        for e in d.emitted:
            where = f"{d.file}:{e.row}"
            declared = by_id.get(e.rule_id)
            if not declared:
                out.append(
                    Violation(
                        where,
                        "undeclared-id",
                        f"returns rule id {e.rule_id}, which no rule's METADATA declares",
                    )
                )
                continue
            owner = declared[0]
            if e.hand_built and d.package != REASON_PACKAGE:
                out.append(
                    Violation(
                        where,
                        "hand-built",
                        f"builds a {e.rule_id} reason by hand; build it with data.hoi.reason.build",
                    )
                )
            if d.package != owner.package:
                out.append(
                    Violation(
                        where,
                        "two-packages",
                        f"emits {e.rule_id} from {d.package}, but {owner.package} declares it "
                        f"({_where(owner)}); one rule id is emitted from one package",
                    )
                )
            if e.key is not None:
                words = {**shared, **owner.messages} if owner.kind == "route" else owner.messages
                if e.key not in words:
                    out.append(
                        Violation(
                            where,
                            "no-message",
                            f"asks for message {e.key} of {e.rule_id}, which its METADATA "
                            "does not have",
                        )
                    )
            if d.kind != "other" and own and e.rule_id != own:
                out.append(
                    Violation(
                        where, "mismatch", f"returns rule id {e.rule_id} but is annotated {own}"
                    )
                )
            basis = declared[0].legal_basis
            if e.legal_basis is not None and basis is not None and e.legal_basis != basis:
                out.append(
                    Violation(
                        where,
                        "mismatch",
                        f"returns legal basis {list(e.legal_basis)} for {e.rule_id}, "
                        f"but its METADATA says {list(basis)}",
                    )
                )

    # Provisions: in scope means cited by a rule and exercised by a scenario.
    cited: dict[str, list[str]] = defaultdict(list)
    for a in annotated:
        for pid in a.legal_basis or ():
            if a.rule_id:
                cited[pid].append(a.rule_id)
    for pid, entry in sorted(legal.entries.items()):
        where = f"{entry.source_file}:{entry.source_line}"
        if entry.in_scope and not cited.get(pid):
            out.append(Violation(where, "no-rule", f"in-scope provision {pid} has no rule"))
        elif entry.in_scope and not any(coverage.rules.get(r) for r in cited[pid]):
            out.append(
                Violation(where, "not-exercised", f"no scenario exercises a rule resting on {pid}")
            )
        elif not entry.in_scope and not coverage.references.get(pid):
            out.append(
                Violation(where, "not-exercised", f"no scenario names the context provision {pid}")
            )
        if pid in cited and not entry.effective.in_force_on(today):
            out.append(
                Violation(where, "not-in-force", f"rules cite {pid}, not in force on {today}")
            )

    # Every rule is exercised by at least one scenario.
    for rule_id, found in sorted(by_id.items()):
        if found[0].scenario_exempt:
            continue  # a guard no scenario can reach; it says why
        if not coverage.rules.get(rule_id):
            out.append(
                Violation(_where(found[0]), "not-exercised", f"no scenario exercises {rule_id}")
            )

    # Scenarios cite only known provisions.
    for pid, scenarios in sorted(coverage.references.items()):
        if pid not in legal:
            names = ", ".join(sorted(scenarios))
            out.append(
                Violation(f"scenarios ({names})", "unknown-id", f"{pid!r} is not in legal_basis/")
            )

    # The policy's consent regimes are at least as strict as the law.
    for regime, spec in sorted(policy.regimes.items()):
        regime_entry = legal.get(regime)
        where = f"rego/hoi/config/data.json regimes.{regime}"
        if regime_entry is None:
            out.append(Violation(where, "unknown-id", f"regime {regime} is not in legal_basis/"))
            continue
        law = regime_entry.conditions.consent
        looser = sorted(set(spec.forms) - set(law.forms)) if law.forms else []
        if looser:
            out.append(
                Violation(
                    where, "regime", f"{regime} allows {looser}; the law allows {list(law.forms)}"
                )
            )
        if law.max_validity_months and spec.max_validity_months > law.max_validity_months:
            out.append(
                Violation(
                    where,
                    "regime",
                    f"{regime} lasts {spec.max_validity_months} months; "
                    f"the law allows at most {law.max_validity_months}",
                )
            )
    return sorted(set(out))
