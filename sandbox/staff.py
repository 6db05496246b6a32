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

from handbook.scenarios import (
    PROFESSIONS,
    StaffRegister,
    authorisation_id,
    member,
    register_of,
)
from sandbox.pilot import BUP_DEPARTMENTS, GP_CLINICS, gp_clinics_in

__all__ = [
    "PROFESSIONS",
    "StaffRegister",
    "authorisation_id",
    "member",
    "pilot_staff",
    "register_of",
]

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
