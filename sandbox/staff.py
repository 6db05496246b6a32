"""The pilot organisations' synthetic staff register: each organisation's staff
list, joined with the national authorisation register (Autorisationsregisteret,
Styrelsen for Patientsikkerhed) for those who hold an authorisation.

Staff ids are the organisation's own (what its identity provider puts in a
token's `sub`): "psychiatrist-1" at BUP Aalborg and "psychiatrist-1" at BUP
Hjørring are two people with two authorisations. Authorisation ids are invented
(five characters, like the register's) and derived from the organisation and id,
so they are stable. Nothing here resembles a real person.

The lists hold the professionals the tests, the benchmarks and the demo use; a
municipality's staff never hold an authorisation the policy relies on, so
municipalities are not listed.
"""

from __future__ import annotations

import hashlib

from policy.facts import Authorisation, AuthorisationStatus, StaffMember
from sandbox.pilot import BUP_DEPARTMENTS, GP_CLINICS, gp_clinics_in

PROFESSIONS = {
    "gp": "Læge",
    "bup_psychiatrist": "Læge",
    "bup_psychologist": "Psykolog",
    "ppr_psychologist": "Psykolog",
}
"""The profession an authorised person in a role holds (synthetic mapping)."""

_BUP_STAFF: tuple[tuple[str, str], ...] = (
    ("psychiatrist-1", "bup_psychiatrist"),
    ("psychiatrist-2", "bup_psychiatrist"),
    ("psychologist-1", "bup_psychologist"),
    ("social-worker-1", "bup_social_worker"),
    ("secretary-1", "bup_medical_secretary"),
)
"""Every psychiatry department's staff list."""

_BUP_EXTRA: dict[str, tuple[tuple[str, str], ...]] = {
    "bup-rn-aalborg-amb": (
        ("bup-psychiatrist-1", "bup_psychiatrist"),
        ("psych-1", "bup_psychiatrist"),
        ("psychiatrist-3", "bup_psychiatrist"),
        ("secretary-7", "bup_medical_secretary"),
    ),
    "bup-rn-hjoerring": (("psychiatrist-5", "bup_psychiatrist"),),
}
"""Named people some departments have besides (psychiatrist-5 works only in Hjørring)."""

_GP_STAFF: tuple[tuple[str, str], ...] = (
    ("gp-1", "gp"),
    ("gp-2", "gp"),
    ("gp-doctor-1", "gp"),
    ("gp-bench", "gp"),
)
"""Every GP clinic's doctors."""


def authorisation_id(organisation_id: str, staff_id: str) -> str:
    """A stable, invented five-character authorisation id."""
    digest = hashlib.sha256(f"{organisation_id}/{staff_id}".encode()).hexdigest().upper()
    return digest[:5]


def member(
    staff_id: str,
    role: str,
    organisation_id: str,
    authorisation: AuthorisationStatus | None = "valid",
) -> StaffMember:
    """A staff member; authorised (with the given status) only in a role that has a
    profession, never a secretary or a social worker."""
    profession = PROFESSIONS.get(role)
    return StaffMember(
        id=staff_id,
        role=role,
        organisation_id=organisation_id,
        authorisation=Authorisation(
            id=authorisation_id(organisation_id, staff_id),
            profession=profession,
            status=authorisation,
        )
        if profession is not None and authorisation is not None
        else None,
    )


StaffRegister = dict[tuple[str, str], StaffMember]
"""Staff members by (organisation id, staff id)."""


def register_of(members: list[StaffMember]) -> StaffRegister:
    return {(m.organisation_id, m.id): m for m in members}


def pilot_staff() -> StaffRegister:
    """Every pilot organisation's staff list."""
    members = [
        member(staff_id, role, department)
        for department in BUP_DEPARTMENTS
        for staff_id, role in (*_BUP_STAFF, *_BUP_EXTRA.get(department, ()))
    ]
    members += [
        member(staff_id, role, clinic)
        for code in GP_CLINICS
        for clinic in gp_clinics_in(code)
        for staff_id, role in _GP_STAFF
    ]
    return register_of(members)
