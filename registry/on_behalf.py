"""What a professional may write in the family's name: the registry's trust
boundary, stated once for the API and for the handbook's scenario worlds.

The family writes for itself with its own login. A professional the policy lets
near the registry only records what the family gave or told them: whose it is
(a handle from the deciders list) and, for a consent or an objection, the
document it rests on (the signed form, or the record note of an oral consent).
Withdrawing an objection, setting a block and lifting one are the family's own
acts; a professional never makes them."""

from __future__ import annotations

from typing import Literal

from policy.errors import Forbidden, InvalidRequest

Write = Literal[
    "record_consent",
    "record_objection",
    "revoke_consent",
    "withdraw_objection",
    "set_block",
    "lift_block",
]

FAMILY_ONLY: dict[Write, str] = {
    "withdraw_objection": "withdraws someone's objection",
    "set_block": "sets a block in the family's name",
    "lift_block": "lifts or narrows a family's block",
}
"""The family's own acts, and how a refusal names them."""

FAMILY_ONLY_MESSAGE = (
    "only the family changes this: the young person from 15, or a custody holder for a "
    "child under 15, with their own citizen login. A professional never {what}."
)


def family_only(write: Write) -> Forbidden:
    """The refusal of a family-only act to anyone but the family."""
    return Forbidden(FAMILY_ONLY_MESSAGE.format(what=FAMILY_ONLY[write]))


def check_professional_write(
    write: Write, *, handle: str | None, document: str | None, field: str
) -> None:
    """Refuse what a professional may not write, naming the field: a family-only
    act (403), a record naming no one (422), or one without its document (422;
    a revocation the family reported needs none)."""
    if write in FAMILY_ONLY:
        raise family_only(write)
    if handle is None:
        raise InvalidRequest(
            f"a professional records what the family gave them: name whose in {field}",
            field=field,
        )
    if write != "revoke_consent" and document is None:
        raise InvalidRequest(
            "a professional recording on the family's behalf gives the document's "
            "reference (the signed form, or the record note of an oral consent)",
            field="document_reference",
        )
