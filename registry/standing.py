"""Where each recorded consent, objection and block stands: the policy's judgement.

Whether a consent is still in force (its period, the regime's cap, the child
turning 15, the giver still a custody holder), whether an objection still
counts and whether a block is in force are rules of the policy
(rego/hoi/consent/standing.rego, rego/hoi/decision/standing.rego), the same
rules decisions use. The registry does not
judge them again: it hands the stored entries to the policy, as facts, and
shows what the policy says. The policy is reached through a `Judge`, passed in
by whoever calls the registry (the API gives it the service's own engine), so
the registry never imports the application that owns the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol, runtime_checkable

from anyio import from_thread
from pydantic import BaseModel, ValidationError

from engine.base import EngineError, PolicyEngine
from policy.cpr import age_on
from policy.errors import Unavailable
from policy.facts import ChildRecord
from policy.persons import PersonHandles
from registry.models import BlockStatus
from registry.state import block_fact, consent_fact, objection_fact
from registry.tables import BlockRow, ConsentRow, ObjectionRow

ACTION = "registry.standing"
"""The input's action when the registry asks; a decision never computes standing."""

_ASKER = {
    "id": "registry",
    "role": "registry",
    "organisation": {"type": "registry", "id": "registry", "part_of": []},
    "health_professional": False,
}
"""No one asks for access: the registry asks where its own entries stand."""


class Judge(Protocol):
    """The policy's decision entrypoint, evaluated for an input document from
    synchronous code (registry calls run in a worker thread)."""

    def __call__(self, document: dict[str, Any], /) -> dict[str, Any]: ...


@runtime_checkable
class _Synchronous(Protocol):
    def evaluate_sync(self, document: dict[str, Any]) -> dict[str, Any]: ...


def policy_judge(engine: PolicyEngine) -> Judge:
    """A judge asking `engine`: the embedded engine directly; another (OPA) from
    a worker thread started by anyio (FastAPI's threadpool) via the event loop."""
    if isinstance(engine, _Synchronous):
        return engine.evaluate_sync

    def ask(document: dict[str, Any], /) -> dict[str, Any]:
        return from_thread.run(engine.evaluate, document)

    return ask


class ConsentStanding(BaseModel):
    status: Literal["active", "expired", "revoked", "superseded"]
    why: (
        Literal["max_validity", "self_consent_age", "not_custody_holder", "not_entitled", "form"]
        | None
    ) = None
    lapsed_at_self_consent_age: bool = False
    """A custody holder's consent of a regime whose custody consents stop counting
    when the child decides alone, and the child now does (whatever its status)."""


class ObjectionStanding(BaseModel):
    counts: bool
    why: Literal["withdrawn", "self_consent_age", "not_custody_holder", "not_entitled"] | None = (
        None
    )


class _Answer(BaseModel):
    consents: dict[str, ConsentStanding]
    objections: dict[str, ObjectionStanding]
    blocks: dict[str, BlockStatus]


@dataclass(frozen=True)
class Standing:
    consents: dict[str, ConsentStanding]
    objections: dict[str, ObjectionStanding]
    blocks: dict[str, BlockStatus]


def standing_of(
    judge: Judge,
    child: ChildRecord,
    today: date,
    names: PersonHandles,
    *,
    consents: Sequence[ConsentRow] = (),
    objections: Sequence[ObjectionRow] = (),
    blocks: Sequence[BlockRow] = (),
) -> Standing:
    """Ask the policy where these entries of the child's registry stand today.
    People other than the child are named by handle, as in a decision's input.
    A policy that cannot answer is a 503, never a guess."""
    if not consents and not objections and not blocks:
        return Standing(consents={}, objections={}, blocks={})
    pseudonym = names.pseudonym(child)
    consent_facts = []
    for row in consents:
        fact = consent_fact(row).model_dump(mode="json")
        fact["giver"] = pseudonym(fact["giver"])
        fact["valid_until_requested"] = (
            row.valid_until_requested.isoformat() if row.valid_until_requested else None
        )
        consent_facts.append(fact)
    objection_facts = []
    for o in objections:
        fact = objection_fact(o).model_dump(mode="json")
        fact["person"] = pseudonym(fact["person"])
        fact["capacity"] = "child" if o.person_capacity == "child" else "custody_holder"
        objection_facts.append(fact)
    document = {
        "action": ACTION,
        "subject": _ASKER,
        "resource": {"categories": []},
        "context": {"purpose": "coordination", "date": today.isoformat(), "case_reference": None},
        "child": {
            "cpr": child.cpr,
            "age": age_on(child.birth_date, today),
            "custody_holders": [pseudonym(h) for h in child.custody_holders],
        },
        "facts": {
            "consents": consent_facts,
            "objections": objection_facts,
            "blocks": [block_fact(b).model_dump(mode="json") for b in blocks],
            "relations": [],
            "staff": {"subject": None, "acting_for": None},
        },
    }
    try:
        answer = _Answer.model_validate(judge(document).get("standing"))
    except EngineError as exc:
        raise Unavailable(f"the policy could not say where the consents stand: {exc}") from exc
    except ValidationError as exc:
        raise Unavailable("the policy's answer on where the consents stand was malformed") from exc
    if (
        set(answer.consents) != {c.id for c in consents}
        or set(answer.objections) != {o.id for o in objections}
        or set(answer.blocks) != {b.id for b in blocks}
    ):
        raise Unavailable("the policy did not judge every entry it was asked about")
    return Standing(consents=answer.consents, objections=answer.objections, blocks=answer.blocks)
