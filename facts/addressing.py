"""Addressing: how to write to a contact point the overview shows.

Every contact point the overview returns names its organisation (a municipal
unit, a psychiatry department); the organisation register knows how a MedCom
message reaches it: its SOR id, its EAN/GLN location number, and, for a municipal
unit, the KLE task areas it answers for. `recipient_of` turns a record's
organisation into that address, with a `write_to` handle; `resolve` turns a
handle back into the register's organisation.

A handle is a stable recipient reference, `org/<organisation id>` for an
organisation that is part of none, and `org/<top organisation id>/unit/<unit id>`
for a unit (`org/851/unit/851-family`). It carries no SOR id, GLN or name: a
correspondence request names the recipient by its handle, and everything a
message needs is read from the register when the handle is resolved, never from
the request's body. A handle that is malformed, names an organisation or a unit
the register does not hold, names a unit under an organisation it is not part of,
or names an organisation MedCom cannot reach (no SOR id or GLN) is refused with
`UnknownRecipient`.

`responsible_unit` answers "who is responsible for what": the unit of an
organisation whose KLE task areas cover a KLE code (a GP asking about a family
case is pointed at the family department, not the municipality's main mailbox).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from facts.organisations import Organisation, OrganisationRegister, sub_units
from policy.errors import InvalidRequest
from policy.sending import RecipientFacts

_ID = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
_HANDLE = re.compile(rf"^org/({_ID})(?:/unit/({_ID}))?$")
MAX_HANDLE_LENGTH = 140


class UnknownRecipient(InvalidRequest):
    """A `write_to` handle the organisation register cannot resolve to a recipient."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="write_to")


@dataclass(frozen=True)
class Recipient:
    """A contact point as a MedCom recipient, as the organisation register knows it."""

    write_to: str
    organisation: Organisation
    sor_id: str
    gln: str

    @property
    def name(self) -> str:
        return self.organisation.name

    @property
    def kle(self) -> tuple[str, ...]:
        return self.organisation.kle

    def facts(self) -> RecipientFacts:
        """The recipient as the policy reads it when deciding a send."""
        org = self.organisation
        return RecipientFacts(
            organisation_id=org.id,
            type=org.type,
            part_of=list(org.part_of),
            municipality_code=org.municipality_code,
        )

    def as_record(self) -> dict[str, Any]:
        """The overview's `recipient` field: what a sender needs, and the handle."""
        return {
            "write_to": self.write_to,
            "name": self.name,
            "sor_id": self.sor_id,
            "gln": self.gln,
            "kle": list(self.kle),
        }


def top_of(register: OrganisationRegister, organisation_id: str) -> str:
    """The organisation at the top of the `part_of` chain (the unit itself when it
    is part of none). A cycle or a parent the register lacks stops the walk."""
    seen = {organisation_id}
    current = organisation_id
    while True:
        org = register.get(current)
        if org is None or not org.part_of or org.part_of[0] not in register:
            return current
        parent = org.part_of[0]
        if parent in seen:
            return current
        seen.add(parent)
        current = parent


def write_to(register: OrganisationRegister, organisation_id: str) -> str | None:
    """The handle of an organisation in the register; None when it is not there."""
    if organisation_id not in register or not _HANDLE.match(f"org/{organisation_id}"):
        return None
    top = top_of(register, organisation_id)
    if top == organisation_id:
        return f"org/{organisation_id}"
    return f"org/{top}/unit/{organisation_id}"


def recipient_of(register: OrganisationRegister, organisation_id: str) -> Recipient | None:
    """The organisation as a recipient; None when the register does not hold it or
    MedCom cannot reach it (no SOR id or no GLN). Never a fallback to another
    organisation: a record from an unknown unit gets no address rather than its
    municipality's main mailbox."""
    org = register.get(organisation_id)
    handle = write_to(register, organisation_id)
    if org is None or handle is None or not org.sor_id or not org.gln:
        return None
    return Recipient(write_to=handle, organisation=org, sor_id=org.sor_id, gln=org.gln)


def resolve(register: OrganisationRegister, handle: str) -> Recipient:
    """The recipient a `write_to` handle names, read from the register."""
    shown = handle[:MAX_HANDLE_LENGTH]
    match = _HANDLE.match(handle) if len(handle) <= MAX_HANDLE_LENGTH else None
    if match is None:
        raise UnknownRecipient(
            f"{shown!r} is not a recipient handle (org/<organisation> or "
            "org/<organisation>/unit/<unit>, as the overview gives it)"
        )
    organisation_id, unit_id = match.group(1), match.group(2)
    if organisation_id not in register:
        raise UnknownRecipient(f"the organisation register has no organisation {organisation_id}")
    if unit_id is not None and unit_id not in register:
        raise UnknownRecipient(f"the organisation register has no unit {unit_id}")
    target = unit_id or organisation_id
    canonical = write_to(register, target)
    if canonical != handle:
        if unit_id is not None and top_of(register, unit_id) != organisation_id:
            raise UnknownRecipient(f"{unit_id} is not a unit of {organisation_id}")
        raise UnknownRecipient(f"{shown!r} is not how the register names {target}: {canonical}")
    recipient = recipient_of(register, target)
    if recipient is None:
        raise UnknownRecipient(
            f"{target} has no SOR id and GLN in the organisation register; MedCom cannot reach it"
        )
    return recipient


def _covers(area: str, code: str) -> bool:
    return code == area or code.startswith(area + ".")


def responsible_unit(
    register: OrganisationRegister, organisation_id: str, kle_code: str
) -> Recipient | None:
    """The unit of the organisation (or the organisation itself) whose KLE task
    areas cover `kle_code`, the most specific area first; None when none does."""
    candidates = [organisation_id, *sub_units(register, organisation_id)]
    best: tuple[int, str] | None = None
    for ident in candidates:
        org = register.get(ident)
        for area in org.kle if org else ():
            if _covers(area, kle_code) and (best is None or len(area) > best[0]):
                best = (len(area), ident)
    return recipient_of(register, best[1]) if best else None
