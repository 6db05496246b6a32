"""Where a recorded consent, objection or block stands is the policy's word
(rego/hoi/consent/standing.rego, rego/hoi/decision/standing.rego), not the
registry's: the registry hands the rows to the engine and shows its answer, the
same on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import anyio
import anyio.to_thread
import pytest

from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from engine.opa import OpaEngine, OpaServer
from policy.errors import Unavailable
from policy.paths import REGO_DIR
from policy.persons import DEV_HANDLE_KEY, PersonHandles
from registry.blocks import blocks_public
from registry.consents import consents_public
from registry.objections import objections_public
from registry.standing import Judge, policy_judge, standing_of
from registry.tables import BlockRow, ConsentRow, ObjectionRow
from tests.registry.conftest import FATHER, JUST_FIFTEEN, MOTHER, STRANGER, YOUNG

HANDLES = PersonHandles.from_secret(DEV_HANDLE_KEY)
TODAY = date(2026, 11, 26)
AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _consent(id: str, giver: str, capacity: str = "custody_holder", **changes: Any) -> ConsentRow:
    values: dict[str, Any] = {
        "id": id,
        "child_cpr": YOUNG.record.cpr,
        "regime": "sul-43-1",
        "giver_cpr": giver,
        "giver_capacity": capacity,
        "categories": ["psychiatry_appointments"],
        "recipient_organisation_id": "851-family",
        "purposes": [],
        "form": "written",
        "given_on": date(2026, 6, 1),
        "valid_until": date(2027, 5, 31),
        "recorded_at": AT,
        "recorded_by": {"kind": "citizen"},
        **changes,
    }
    return ConsentRow(**values)


def _objection(id: str, person: str) -> ObjectionRow:
    return ObjectionRow(
        id=id,
        child_cpr=YOUNG.record.cpr,
        person_cpr=person,
        categories=[],
        recorded_at=AT,
        recorded_by={"kind": "citizen"},
    )


ROWS = [
    _consent("active", MOTHER),
    _consent("revoked", MOTHER, revoked_at=AT, revoked_by_cpr=MOTHER),
    _consent("replaced", FATHER, superseded_by="active"),
    _consent("ended", MOTHER, given_on=date(2025, 6, 1), valid_until=date(2026, 5, 31)),
    _consent(
        "capped",
        MOTHER,
        given_on=date(2025, 6, 1),
        valid_until=date(2026, 5, 31),
        valid_until_requested=date(2026, 12, 31),
    ),
    _consent("not-a-holder", STRANGER),
]
OBJECTIONS = [_objection("mother", MOTHER), _objection("stranger", STRANGER)]


def _block(id: str, valid_from: date, valid_until: date | None, **changes: Any) -> BlockRow:
    return BlockRow(
        id=id,
        child_cpr=YOUNG.record.cpr,
        given_by_cpr=MOTHER,
        given_by_capacity="custody_holder",
        target_kind="period",
        categories=[],
        valid_from=valid_from,
        valid_until=valid_until,
        recorded_at=AT,
        recorded_by={"kind": "citizen"},
        **changes,
    )


BLOCKS = [
    _block("open", date(2026, 1, 1), None),
    _block("last-day", date(2026, 1, 1), TODAY),
    _block("later", date(2026, 12, 1), None),
    _block("over", date(2026, 1, 1), date(2026, 11, 25)),
    _block("lifted", date(2026, 1, 1), None, lifted_at=AT, lifted_by_cpr=MOTHER),
]


@pytest.fixture(scope="module")
def embedded() -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(PolicyBundle(REGO_DIR))
    yield engine
    anyio.run(engine.aclose)


def _views(judge: Judge, child: Any = YOUNG) -> list[tuple[str, str, str | None]]:
    consents = consents_public(ROWS, child.record, TODAY, HANDLES, judge)
    objections = objections_public(OBJECTIONS, child.record, TODAY, HANDLES, judge)
    blocks = blocks_public(BLOCKS, child.record, TODAY, HANDLES, judge)
    return (
        [(c.id, c.status, c.status_note) for c in consents]
        + [(o.id, o.status, o.status_note) for o in objections]
        + [(b.id, b.status, None) for b in blocks]
    )


def test_the_registry_shows_the_policys_judgement(embedded: EmbeddedEngine) -> None:
    assert _views(policy_judge(embedded)) == [
        ("active", "active", None),
        ("revoked", "revoked", None),
        ("replaced", "superseded", "replaced by active"),
        ("ended", "expired", None),
        ("capped", "expired", "lapsed after the regime's maximum validity (12 months)"),
        (
            "not-a-holder",
            "expired",
            "the giver is no longer a custody holder in the CPR register",
        ),
        ("mother", "active", None),
        (
            "stranger",
            "active",
            "the objector is no longer a custody holder; the objection no longer counts",
        ),
        ("open", "active", None),
        ("last-day", "active", None),
        ("later", "scheduled", None),
        ("over", "expired", None),
        ("lifted", "lifted", None),
    ]
    fifteen = {c: (s, n) for c, s, n in _views(policy_judge(embedded), JUST_FIFTEEN)}
    assert fifteen["active"] == (
        "expired",
        "the young person turned 15 on 2026-11-16 and now decides alone; "
        "custody holders' sul-43-1 consents stop counting",
    )


def test_whatever_the_policy_says_is_what_the_registry_shows() -> None:
    """No second opinion: a policy that held every consent in force would be shown."""
    seen: list[dict[str, Any]] = []

    def lenient(document: dict[str, Any], /) -> dict[str, Any]:
        seen.append(document)
        facts = document["facts"]
        return {
            "standing": {
                "consents": {c["id"]: {"status": "active"} for c in facts["consents"]},
                "objections": {o["id"]: {"counts": True} for o in facts["objections"]},
                "blocks": {b["id"]: "active" for b in facts["blocks"]},
            }
        }

    views = _views(lenient)
    assert {status for _, status, _ in views} == {"active"}
    assert {note for _, _, note in views} == {None}
    # The policy sees people other than the child by handle only.
    text = repr(seen)
    assert all(p not in text for p in (MOTHER, FATHER, STRANGER))
    assert seen[0]["action"] == "registry.standing"


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"standing": {"consents": {}, "objections": {}, "blocks": {}}},
        {"standing": {"consents": {"x": {"status": "maybe"}}, "objections": {}, "blocks": {}}},
    ],
)
def test_a_policy_that_cannot_say_is_a_503_never_a_guess(answer: dict[str, Any]) -> None:
    with pytest.raises(Unavailable):
        standing_of(lambda _: answer, YOUNG.record, TODAY, HANDLES, consents=ROWS)


def test_both_engines_judge_alike(embedded: EmbeddedEngine, opa_server: OpaServer) -> None:
    """The API's judge on OPA runs in a worker thread and asks through the event loop."""
    revision = PolicyBundle(REGO_DIR).revision()

    async def on_opa() -> list[tuple[str, str, str | None]]:
        engine = OpaEngine(opa_server.url, revision, token=opa_server.token, timeout=5)
        try:
            return await anyio.to_thread.run_sync(_views, policy_judge(engine))
        finally:
            await engine.aclose()

    assert anyio.run(on_opa) == _views(policy_judge(embedded))
