"""Both engines measure a GP's distance to the consultation window alike.

The measure (`days_outside_window` on the `no_relation` deny, rego/hoi/relation)
feeds the evaluation's simultaneity figures from the audit trail, so the
embedded engine and OPA must give the same whole number for the same lookup,
and the number must be the one the window (policy data) implies."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.base import DECISION_RULE
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from engine.opa import OpaServer
from policy.paths import REGO_DIR
from tests.conftest import opa_headers

TODAY = date(2026, 11, 26)
BEFORE, AFTER = 14, 30
"""The registered GP's window (rego/hoi/config/data.json, gp_window)."""


def _day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def expected_days(offsets: list[int], *, registered: bool) -> int | None:
    """The oracle: the fewest days from today to a consultation's window, None when
    one window holds today (the relation is met) or there is no consultation."""
    before, after = (BEFORE, AFTER) if registered else (0, 0)
    # A consultation `o` days from today opens its window o - before days from
    # today and closes it o + after days from today.
    gaps = [max(0, o - before, -(o + after)) for o in offsets]
    if not gaps or min(gaps) == 0:
        return None
    return min(gaps)


@st.composite
def gp_lookups(draw: st.DrawFn) -> tuple[dict[str, Any], list[int], bool]:
    registered = draw(st.booleans())
    own = draw(st.lists(st.integers(min_value=-200, max_value=200), max_size=3))
    others = draw(st.lists(st.integers(min_value=-5, max_value=5), max_size=2))
    relations = [
        {"type": "consultation", "organisation_id": "gp-a", "date": _day(o), "active": True}
        for o in own
    ] + [
        {"type": "consultation", "organisation_id": "gp-b", "date": _day(o), "active": True}
        for o in others
    ]
    document = {
        "subject": {
            "id": "u1",
            "role": "gp",
            "health_professional": True,
            "organisation": {"type": "gp_clinic", "id": "gp-a", "part_of": []},
        },
        "action": "view",
        "resource": {
            "categories": draw(
                st.lists(
                    st.sampled_from(["municipal_contacts", "psychiatry_appointments", "gp_clinic"]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
        },
        "context": {"purpose": "treatment_preparation", "date": TODAY.isoformat()},
        "child": {
            "cpr": "child",
            "age": 9,
            "custody_holders": ["mother", "father"],
            "registered_gp": "gp-a" if registered else "gp-b",
            "municipality": "851",
        },
        "facts": {
            "consents": [],
            "objections": [],
            "blocks": [],
            "relations": relations,
            "staff": {
                "subject": {
                    "id": "u1",
                    "role": "gp",
                    "organisation_id": "gp-a",
                    "authorisation": {"id": "AB12C", "profession": "Læge", "status": "valid"},
                },
                "acting_for": None,
            },
        },
    }
    return document, own, registered


def _days_on_denials(answer: dict[str, Any]) -> set[Any]:
    return {
        reason.get("days_outside_window")
        for outcome in answer["categories"].values()
        for reason in outcome["reasons"]
        if reason["code"] == "no_relation"
    }


def test_engines_measure_the_gp_window_alike(opa_server: OpaServer) -> None:
    embedded = EmbeddedEngine(PolicyBundle(REGO_DIR))
    url = opa_server.url + "/v1/data/" + DECISION_RULE.removeprefix("data.").replace(".", "/")
    headers = opa_headers(opa_server)
    counter = itertools.count()
    measured = 0
    with httpx.Client(timeout=5) as http:

        @settings(
            max_examples=150,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(gp_lookups())
        def check(drawn: tuple[dict[str, Any], list[int], bool]) -> None:
            nonlocal measured
            document, own, registered = drawn
            nonce = f"nonce-{next(counter)}"
            document = {**document, "request": {"nonce": nonce}}
            ours = embedded.evaluate_sync(document)
            theirs = http.post(url, json={"input": document}, headers=headers).json()["result"]
            assert theirs.pop("nonce") == nonce
            assert ours == theirs
            found = _days_on_denials(ours) | _days_on_denials(theirs)
            expected = expected_days(own, registered=registered)
            if expected is None:
                assert found <= {None}
            elif found:  # a denial for want of the relation carries the measure
                assert found == {expected}
                assert all(type(d) is int for d in found)  # a whole number, never 10.0
                measured += 1

        check()
    assert measured > 0, "no lookup fell outside the window, so agreement proves little"
