"""A seeded corpus of decision situations, to measure what a policy change changes.

    .venv/bin/python -m bench.policy_corpus write var/corpus-before.jsonl
    .venv/bin/python -m bench.policy_corpus compare var/corpus-before.jsonl var/corpus-after.jsonl

`write` builds situations over requester (role and organisation) x purpose x
consent state (regime-wide, by recipient kind) x objection/block/override x
age band x relation evidence, samples a reproducible subset (seed 11), asks
for every data category on the embedded engine, and writes one JSON line per
situation: its hash, and per category the decision, rule id, reason codes and
fields. The situation is described abstractly, so the hash is the same before
and after a change of the input format. `compare` prints how many category
decisions changed, by rule and direction. A small measurement for one change;
the full impact report is `hoi policy impact`.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from broker.adapters.relations import Evidence
from engine.embedded import EmbeddedEngine
from engine.sources import PolicySources
from policy.facts import ChildRecord

TODAY = date(2026, 11, 26)
SEED = 11
CATEGORIES = [
    "psychiatry_appointments",
    "psychiatry_contacts",
    "municipal_case_status",
    "municipal_contacts",
    "school_daycare",
    "child_identity",
]
PURPOSES = [
    "current_treatment",
    "treatment_preparation",
    "treatment_follow_up",
    "social_case_work",
    "special_education_advice",
    "coordination",
    "report_of_concern",
]
REGISTERED_GP = "gp-laegeklinikken-sulsted"
# (name, role, organisation, organisation type, part_of, health professional, acting for)
REQUESTERS: list[tuple[str, str, str, str, list[str], bool, str | None]] = [
    ("caseworker-own", "municipal_caseworker", "851-family", "municipality", ["851"], False, None),
    ("caseworker-other", "municipal_caseworker", "787-family", "municipality", ["787"], False,
     None),
    ("ppr-own", "ppr_psychologist", "851-ppr", "municipality", ["851"], False, None),
    ("gp-registered", "gp", REGISTERED_GP, "gp_clinic", [], True, None),
    ("gp-other-clinic", "gp", "gp-gistrup-laegeklinik", "gp_clinic", [], True, None),
    ("psychiatrist", "bup_psychiatrist", "bup-rn-aalborg-amb", "region_psychiatry", ["bup-rn"],
     True, None),
    ("psychologist", "bup_psychologist", "bup-rn-aalborg-amb", "region_psychiatry", ["bup-rn"],
     True, None),
    ("social-worker", "bup_social_worker", "bup-rn-aalborg-amb", "region_psychiatry",
     ["bup-rn"], False, None),
    ("secretary", "bup_medical_secretary", "bup-rn-aalborg-amb", "region_psychiatry",
     ["bup-rn"], False, "bup_psychiatrist"),
]  # fmt: skip
REGIMES = ["sul-43-1", "sul-41-1", "sul-42a-3", "fvl-28-2-1", "rsl-11a-1"]
CONSENT_TIMING = {"valid": 100, "day_365": 364, "day_366": 365}
RECIPIENTS = ["own_unit", "parent_org", "type_only", "other_org"]
CONSENTS = ["none"] + [
    f"{timing}/{who}/{recipient}"
    for timing in CONSENT_TIMING
    for who in ("all", "one")
    for recipient in RECIPIENTS
]
RESTRICTIONS = [
    "none",
    "objection",
    "block_org",
    "block_org+override",
    "block_source",
    "block_period+override",
]
AGES = [9, 14, 15, 16]
RELATIONS = [
    "none",
    "referral_active",
    "referral_ended",
    "appointment_300_days_ago",
    "appointment_today",
    "appointment_booked",
    "consultation_today",
    "consultation_20_days_ago",
    "consultation_40_days_ahead",
    "case_open",
    "case_closed",
]


def _evidence(relation: str) -> list[Evidence]:
    """The relation state as BRS-style evidence from the requester's organisation."""
    day = {
        "appointment_300_days_ago": TODAY - timedelta(days=300),
        "appointment_today": TODAY,
        "appointment_booked": TODAY + timedelta(days=20),
        "consultation_today": TODAY,
        "consultation_20_days_ago": TODAY - timedelta(days=20),
        "consultation_40_days_ahead": TODAY + timedelta(days=40),
    }
    if relation == "referral_active":
        return [Evidence(type="referral", date=TODAY - timedelta(days=30), active=True)]
    if relation == "referral_ended":
        return [Evidence(type="referral", date=TODAY - timedelta(days=200), active=False)]
    if relation.startswith("appointment"):
        return [Evidence(type="appointment", date=day[relation])]
    if relation.startswith("consultation"):
        return [Evidence(type="consultation", date=day[relation])]
    if relation.startswith("case"):
        return [Evidence(type="case", date=None, active=relation == "case_open")]
    return []


def _relation_facts(organisation: str, child: ChildRecord, evidence: list[Evidence]) -> Any:
    """The input's relation facts, as the information point of this checkout builds
    them (before issue 11 it graded them in Python; it now passes the evidence)."""
    try:
        from facts.grading import evidence_of  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # the information point before issue 11
        from facts.grading import grade_relations  # type: ignore[attr-defined,unused-ignore]

        graded = grade_relations(organisation, child, evidence, TODAY)
        return [r.model_dump(mode="json") for r in graded]
    from engine.inputs import relation_facts

    return relation_facts(evidence_of(organisation, evidence))


def situations() -> Iterator[tuple[str, str, str, str, int, str]]:
    return itertools.product(
        [r[0] for r in REQUESTERS], PURPOSES, CONSENTS, RESTRICTIONS, AGES, RELATIONS
    )


def _recipient(kind: str, organisation: str, org_type: str, part_of: list[str]) -> dict[str, Any]:
    if kind == "own_unit":
        return {"organisation_id": organisation, "organisation_type": None}
    if kind == "parent_org":
        return {"organisation_id": (part_of or [organisation])[0], "organisation_type": None}
    if kind == "type_only":
        return {"organisation_id": None, "organisation_type": org_type}
    return {"organisation_id": "elsewhere-1", "organisation_type": None}


def document(situation: tuple[str, str, str, str, int, str]) -> dict[str, Any]:
    name, purpose, consent, restriction, age, relation = situation
    _, role, org, org_type, part_of, hp, acting = next(r for r in REQUESTERS if r[0] == name)
    born = TODAY.replace(year=TODAY.year - age) - timedelta(days=100)
    child = ChildRecord(
        cpr=f"{born.day + 60:02d}{born.month:02d}{born.year % 100:02d}4001",
        name="Corpus Child",
        birth_date=born,
        custody_holders=("mother", "father"),
        registered_gp=REGISTERED_GP,
    )
    subject: dict[str, Any] = {
        "id": "requester-1",
        "role": role,
        "organisation": {"id": org, "type": org_type, "part_of": part_of},
        "health_professional": hp,
    }
    if acting:
        subject["acting_for"] = {"id": "clinician-1", "role": acting, "health_professional": True}
    context: dict[str, Any] = {"purpose": purpose, "date": TODAY.isoformat()}
    if restriction.endswith("+override"):
        context["override"] = {"grounds": "citizen_unreachable", "reason": "Acute crisis."}
    consents: list[dict[str, Any]] = []
    if consent != "none":
        timing, who, recipient = consent.split("/")
        givers = ["child"] if age >= 15 else ["mother", "father"]
        if who == "one":
            givers = ["mother"]
        given = TODAY - timedelta(days=CONSENT_TIMING[timing])
        for n, (giver, regime) in enumerate(itertools.product(givers, REGIMES)):
            consents.append(
                {
                    "id": f"consent-{n}",
                    "regime": regime,
                    "giver": child.cpr if giver == "child" else giver,
                    "capacity": "child" if giver == "child" else "custody_holder",
                    "categories": CATEGORIES,
                    "recipient": _recipient(recipient, org, org_type, part_of),
                    "purposes": [],
                    "form": "written",
                    "given_on": given.isoformat(),
                    "valid_until": (given + timedelta(days=364)).isoformat(),
                    "revoked_at": None,
                    "superseded_by": None,
                }
            )
    objections: list[dict[str, Any]] = []
    if restriction == "objection":
        person = child.cpr if age >= 15 else "father"
        objections.append({"id": "objection-1", "person": person, "categories": [],
                           "recipient": None, "withdrawn_at": None})  # fmt: skip
    blocks: list[dict[str, Any]] = []
    if restriction.startswith("block"):
        kind = restriction.removeprefix("block_").split("+")[0]
        targets: dict[str, dict[str, Any]] = {
            "org": {"kind": "organisation", "id": org},
            "source": {"kind": "source_organisation", "id": "bup-rn-aalborg-amb"},
            "period": {"kind": "period", "id": None},
        }
        target = targets[kind]
        blocks.append({"id": "block-1", "target": {"include_sub_units": False, "sub_units": [],
                       **target}, "categories": [], "valid_from": "2026-01-01",
                       "valid_until": None, "lifted_at": None})  # fmt: skip
    return {
        "subject": subject,
        "action": "view",
        "resource": {"categories": CATEGORIES},
        "context": context,
        "child": {
            "cpr": child.cpr,
            "age": age,
            "custody_holders": ["mother", "father"],
            "municipality": "851",
            "registered_gp": REGISTERED_GP,
        },
        "facts": {
            "consents": consents,
            "objections": objections,
            "blocks": blocks,
            "relations": _relation_facts(org, child, _evidence(relation)),
        },
    }


def write(out: Path, count: int) -> None:
    engine = EmbeddedEngine(PolicySources(Path(__file__).resolve().parent.parent / "rego"))
    every = list(situations())
    chosen = sorted(random.Random(SEED).sample(range(len(every)), min(count, len(every))))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for index in chosen:
            situation = every[index]
            key = json.dumps(situation)
            result = engine.evaluate_sync(document(situation))["categories"]
            line = {
                "hash": hashlib.sha256(key.encode()).hexdigest()[:16],
                "situation": situation,
                "categories": {
                    c: [o["decision"], o["rule_id"], [r["code"] for r in o["reasons"]], o["fields"]]
                    for c, o in sorted(result.items())
                },
            }
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} situations of {len(every)} written to {out}")


def _load(path: Path) -> dict[str, dict[str, Any]]:
    lines = (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines())
    return {line["hash"]: line for line in lines}


def compare(before: Path, after: Path) -> None:
    old, new = _load(before), _load(after)
    groups: Counter[tuple[str, str, str]] = Counter()
    examples: dict[tuple[str, str, str], str] = {}
    changed = 0
    for key, line in old.items():
        for category, was in line["categories"].items():
            now = new[key]["categories"][category]
            if was == now:
                continue
            changed += 1
            if was[0] != now[0]:
                direction = f"{was[0]} -> {now[0]}"
                rule = was[1] if was[0] == "permit" else now[1] or "-"
            else:
                direction = f"{was[0]}, reasons or fields changed"
                rule = now[1] or was[1] or "-"
            group = (direction, rule or "-", category)
            groups[group] += 1
            examples.setdefault(group, json.dumps(line["situation"]))
    print(f"{len(old)} situations, {changed} category decisions changed\n")
    print("| direction | rule | category | count | example situation |")
    print("|---|---|---|---|---|")
    for (direction, rule, category), n in sorted(groups.items(), key=lambda g: (g[0][0], -g[1])):
        example = examples[(direction, rule, category)]
        print(f"| {direction} | {rule} | {category} | {n} | `{example}` |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("out", type=Path)
    w.add_argument("--count", type=int, default=24000)
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "write":
        write(args.out, args.count)
    else:
        compare(args.before, args.after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
