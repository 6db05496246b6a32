"""The conventions check: the policy meets it, and it fails when code and law
come apart (a rule loses its legal basis, cites an unknown id, ...)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from handbook.conventions import parse_with_opa, run_check
from policy.catalogue import load_catalogue
from policy.conventions import Coverage, check
from policy.legal import load_legal_catalogue
from policy.paths import REGO_DIR
from policy.rules import RuleAnnotation, RuleDefinition, annotations_from_source
from tests.conftest import require_opa

TODAY = dt.date(2026, 11, 26)


def _policy_copy(tmp_path: Path) -> Path:
    rego = tmp_path / "rego"
    shutil.copytree(REGO_DIR, rego)
    return rego


def _edit(path: Path, old: str, new: str) -> int:
    """Replace old (once) and return the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def _head_row(path: Path, rule_id: str) -> int:
    """The row of the rule head that METADATA with rule_id annotates."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if f"rule_id: {rule_id}" in line)
    while lines[at].startswith("#"):
        at += 1
    return at + 1


def test_the_policy_meets_every_convention() -> None:
    result = run_check(require_opa(), today=TODAY)
    assert [str(v) for v in result.violations] == []
    assert result.scenarios >= 40
    assert result.rules >= 20


def test_check_fails_when_a_permitting_rule_loses_its_legal_basis(tmp_path: Path) -> None:
    rego = _policy_copy(tmp_path)
    routes = rego / "hoi" / "routes" / "routes.rego"
    _edit(routes, "#   legal_basis: [sul-43-1, sul-44]\n", "")
    # The message route that rests on the same provisions cites only § 43 here.
    send = rego / "hoi" / "correspondence" / "send.rego"
    _edit(send, "#   legal_basis: [sul-43-1, sul-44]\n", "#   legal_basis: [sul-43-1]\n")
    result = run_check(require_opa(), rego_dir=rego, today=TODAY)
    where = f"rego/hoi/routes/routes.rego:{_head_row(routes, 'SUL-43-1-CONSENT')}"
    found = {(v.where, v.code, v.message) for v in result.violations}
    assert (where, "metadata", "rule SUL-43-1-CONSENT lacks custom.legal_basis") in found
    # § 44 is now cited by no rule at all (§ 43 still is, by the municipal-case rule).
    assert {v.message for v in result.violations} == {
        "rule SUL-43-1-CONSENT lacks custom.legal_basis",
        "in-scope provision sul-44 has no rule",
    }


def test_check_fails_when_a_route_has_no_metadata_at_all(tmp_path: Path) -> None:
    rego = _policy_copy(tmp_path)
    routes = rego / "hoi" / "routes" / "routes.rego"
    text = routes.read_text(encoding="utf-8")
    block = re.search(r"# METADATA\n(#.*\n)*?#   rule_id: FVL-28-GP-CONSENT\n(#.*\n)*", text)
    assert block is not None
    routes.write_text(text.replace(block.group(0), ""), encoding="utf-8")
    messages = {v.message for v in run_check(require_opa(), rego_dir=rego, today=TODAY).violations}
    assert "a route rule (FVL-28-GP-CONSENT) has no METADATA" in messages
    assert "returns rule id FVL-28-GP-CONSENT, which no rule's METADATA declares" in messages


def test_check_fails_on_an_unknown_id_and_a_returned_basis_that_differs(tmp_path: Path) -> None:
    rego = _policy_copy(tmp_path)
    routes = rego / "hoi" / "routes" / "routes.rego"
    _edit(routes, "#   legal_basis: [sul-42a-3]\n", "#   legal_basis: [sul-42a-33]\n")
    messages = {v.message for v in run_check(require_opa(), rego_dir=rego, today=TODAY).violations}
    assert "rule SUL-42A-3-CONSENT cites 'sul-42a-33', not in legal_basis/" in messages


def test_check_fails_when_a_rule_loses_its_words_to_code(tmp_path: Path) -> None:
    """One rule's words in one place: a reason built by hand, a rule id emitted
    from another package than the one declaring it, a message the METADATA does
    not have, and a statute written into a message are each reported."""
    rego = _policy_copy(tmp_path)
    relation = rego / "hoi" / "relation" / "relation.rego"
    routes = rego / "hoi" / "routes" / "routes.rego"
    hand = _edit(
        relation,
        'reasons[relation] := data.hoi.reason.build("MUN-OPEN-CASE", "relation", {})',
        'reasons[relation] := {"code": "relation", "rule_id": "MUN-OPEN-CASE", '
        '"legal_basis": ["rsl-11a-1"], "message": "An open case."}',
    )
    foreign = _edit(
        routes,
        "[data.hoi.consent.giver_reason]",
        '[data.hoi.reason.build("SUL-17-SELF-CONSENT", "consent_given", {})]',
    )
    unknown_key = _edit(
        routes,  # the row after the rule id the call names
        '"acting_for_required",\n',
        '"acting_for_needed",\n',
    )
    _edit(routes, "treating the child ({sul-42a-1})", "treating the child (Sundhedsloven § 42 a)")
    found = {
        (v.where, v.code) for v in run_check(require_opa(), rego_dir=rego, today=TODAY).violations
    }
    assert (f"rego/hoi/relation/relation.rego:{hand}", "hand-built") in found
    assert (f"rego/hoi/routes/routes.rego:{foreign}", "two-packages") in found
    assert (f"rego/hoi/routes/routes.rego:{unknown_key - 1}", "no-message") in found
    statute = (
        f"rego/hoi/routes/routes.rego:{_head_row(routes, 'SUL-42A-HEALTH-PROFESSIONALS-ONLY')}"
    )
    assert (statute, "statute-text") in found


def test_check_fails_on_a_reused_rule_id(tmp_path: Path) -> None:
    rego = _policy_copy(tmp_path)
    routes = rego / "hoi" / "routes" / "routes.rego"
    _edit(routes, "#   rule_id: PPR-NOT-UNDER-RSL\n", "#   rule_id: RSL-11C-ASK-THE-HOLDER\n")
    codes = {v.code for v in run_check(require_opa(), rego_dir=rego, today=TODAY).violations}
    assert {"duplicate-id", "undeclared-id"} <= codes


def test_the_source_reader_agrees_with_opa() -> None:
    opa_view = sorted(
        (d.annotation.file, d.annotation.row, d.annotation.rule_id, d.annotation.legal_basis)
        for d in parse_with_opa(require_opa(), REGO_DIR)
        if d.annotation is not None
    )
    ours = sorted(
        (a.file, a.row, a.rule_id, a.legal_basis) for a in annotations_from_source(REGO_DIR)
    )
    assert ours == opa_view


# --- the pure check, on hand-made rule definitions (no opa needed) ---------------


def _route(rule_id: str, basis: tuple[str, ...], row: int = 10) -> RuleDefinition:
    annotation = RuleAnnotation(
        package="hoi.routes",
        name="route",
        file="rego/hoi/routes/routes.rego",
        row=row,
        title="t",
        description="d",
        rule_id=rule_id,
        legal_basis=basis,
    )
    return RuleDefinition(
        package="hoi.routes",
        name="route",
        file=annotation.file,
        row=row,
        annotation=annotation,
    )


def _violations(definitions: list[RuleDefinition], coverage: Coverage) -> set[str]:
    legal = load_legal_catalogue()
    return {v.message for v in check(definitions, legal, load_catalogue(), coverage, TODAY)}


def test_an_in_scope_provision_without_a_rule_is_reported() -> None:
    coverage = Coverage()
    coverage.rules["SUL-43-1-CONSENT"].add("s1")
    messages = _violations([_route("SUL-43-1-CONSENT", ("sul-43-1", "sul-44"))], coverage)
    assert "in-scope provision sul-42a-1 has no rule" in messages
    assert "in-scope provision sul-43-1 has no rule" not in messages


def test_a_rule_no_scenario_exercises_is_reported() -> None:
    messages = _violations([_route("SUL-43-1-CONSENT", ("sul-43-1", "sul-44"))], Coverage())
    assert "no scenario exercises SUL-43-1-CONSENT" in messages
    assert "no scenario exercises a rule resting on sul-43-1" in messages


def test_a_scenario_exempt_rule_still_leaves_its_provisions_to_scenarios() -> None:
    """An exempt guard need not be exercised itself, but a provision only it rests
    on is still reported: every provision in scope is shown by a scenario."""
    rule = _route("SUL-43-1-CONSENT", ("sul-43-1", "sul-44"))
    assert rule.annotation is not None
    exempt = rule.model_copy(
        update={"annotation": rule.annotation.model_copy(update={"scenario_exempt": "why"})}
    )
    messages = _violations([exempt], Coverage())
    assert "no scenario exercises SUL-43-1-CONSENT" not in messages
    assert "no scenario exercises a rule resting on sul-43-1" in messages


def test_a_rule_citing_context_outside_the_policy_is_reported() -> None:
    coverage = Coverage()
    coverage.rules["X-RULE"].add("s1")
    messages = _violations([_route("X-RULE", ("gdpr-6-1-a",))], coverage)
    assert (
        "rule X-RULE cites gdpr-6-1-a, which legal_basis/ marks as outside the policy" in messages
    )


def test_a_scenario_citing_an_unknown_provision_is_reported() -> None:
    coverage = Coverage()
    coverage.references["sul-99"].add("made_up")
    assert "'sul-99' is not in legal_basis/" in _violations([], coverage)


def test_a_regime_looser_than_the_law_is_reported() -> None:
    policy = load_catalogue()
    loose = policy.regimes["sul-43-1"].model_copy(
        update={"forms": ("written", "oral"), "max_validity_months": 24}
    )
    policy = policy.model_copy(update={"regimes": {**policy.regimes, "sul-43-1": loose}})
    found = {v.message for v in check([], load_legal_catalogue(), policy, Coverage(), TODAY)}
    assert "sul-43-1 allows ['oral']; the law allows ['written']" in found
    assert "sul-43-1 lasts 24 months; the law allows at most 12" in found
