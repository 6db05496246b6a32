"""The bundle's rules document: each rule's words, generated from its METADATA."""

from __future__ import annotations

from pathlib import Path

from engine.bundle import PolicyBundle
from policy.legal import load_legal_catalogue
from policy.paths import LEGAL_BASIS_DIR, REGO_DIR
from policy.rules import annotations_from_source


def test_the_rules_document_holds_every_annotated_rule_by_id() -> None:
    rules = PolicyBundle(REGO_DIR).data_document()["hoi"]["rules"]
    declared = {a.rule_id for a in annotations_from_source(REGO_DIR) if a.rule_id}
    assert set(rules) == declared
    assert rules["DENY-UNKNOWN-CATEGORY"] == {
        "title": "A category outside the catalogue is denied",
        "kind": "other",
        "legal_basis": ["sul-40-1", "fvl-27-1"],
        "messages": {"unknown_category": "The data category {category} is not in the catalogue."},
        "codes": {"unknown_category": "unknown_category"},
    }


def test_a_route_carries_the_words_every_route_shares() -> None:
    route = PolicyBundle(REGO_DIR).rules_document()["SUL-43-1-CONSENT"]
    assert route["kind"] == "route"
    assert route["legal_basis"] == ["sul-43-1", "sul-44"]
    assert route["messages"]["permitted"] == (
        "Permitted: every requirement of this legal route is met."
    )
    assert route["messages"]["missing_consent.custody_holders"] == (
        "A valid {regime} consent from the custody holders is needed (rule: {rule})."
    )


def test_the_bundle_tree_carries_the_rules_document(tmp_path: Path) -> None:
    tree = PolicyBundle(REGO_DIR).write_bundle_tree(tmp_path / "rego")
    assert (tree / "hoi" / "rules" / "data.json").is_file()
    assert (tree / "hoi" / "decision" / "decision.rego").is_file()


def test_the_service_fills_in_a_named_provision_from_legal_basis() -> None:
    legal = load_legal_catalogue(LEGAL_BASIS_DIR)
    assert legal.fill("ask ({rsl-11c}) for {role}; {no-such-1}") == (
        "ask (Retssikkerhedsloven § 11 c) for {role}; {no-such-1}"
    )
