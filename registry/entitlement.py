"""Who may record and end entries for a child, and the dates a consent's
regime sets: the rules checked when a consent, objection or block is recorded.

Each refusal names why: a consent names a regime the policy knows (GDPR
consent is refused); the giver was entitled on the day it was given (the child
from 15, under 15 a custody holder, from the child's CPR record); the end is
capped by the regime's maximum validity (§ 44: one year)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from policy.catalogue import catalogue
from policy.cpr import age_on
from policy.errors import InvalidRequest, NotEntitled
from policy.facts import Capacity, ChildRecord

GDPR_REGIMES = {"gdpr-6-1-a", "gdpr-9-2-a", "gdpr"}


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_cap(regime: str, given_on: date) -> date:
    """The last day a consent of `regime` given on `given_on` can count."""
    months = catalogue().regimes[regime].max_validity_months
    return add_months(given_on, months) - timedelta(days=1)


def self_consent_day(child: ChildRecord) -> date:
    """The child's birthday at the self-consent age (15)."""
    return add_months(child.birth_date, 12 * catalogue().consent.self_consent_age)


def capacity(child: ChildRecord, person: str, on: date, field: str = "given_by") -> Capacity:
    """Whether `person` could decide for the child on that day, and as what.
    `field` names what the refusal points at (the token, or `on_behalf_of`)."""
    self_age = catalogue().consent.self_consent_age
    child_decides = age_on(child.birth_date, on) >= self_age
    if child_decides and person == child.cpr:
        return "child"
    if not child_decides and person in child.custody_holders:
        return "custody_holder"
    if child_decides:
        raise NotEntitled(
            f"on {on.isoformat()} the young person was {self_age} or older and decides alone "
            "(Sundhedsloven § 17); only the young person may give or refuse this",
            field=field,
        )
    if person == child.cpr:
        raise NotEntitled(
            f"on {on.isoformat()} the child was under {self_age}; the custody holders decide "
            "for the child (Sundhedsloven § 14, Forældreansvarsloven § 2)",
            field=field,
        )
    raise NotEntitled(
        f"on {on.isoformat()} the child was under {self_age} and this person is not one of "
        "the child's custody holders in the CPR register; only a custody holder may give or "
        "refuse this",
        field=field,
    )


def may_end(
    child: ChildRecord, person: str, original: str, today: date, what: str, field: str
) -> None:
    """Who may revoke, withdraw or lift: the person who gave it, or the young
    person once they decide alone (they take over what was decided for them)."""
    if person == original:
        return
    if person == child.cpr and age_on(child.birth_date, today) >= (
        catalogue().consent.self_consent_age
    ):
        return
    raise NotEntitled(
        f"only the person who gave this {what}, or the young person from "
        f"{catalogue().consent.self_consent_age}, may end it",
        field=field,
    )


def check_regime(regime: str) -> None:
    known = ", ".join(sorted(catalogue().regimes))
    if regime.lower() in GDPR_REGIMES:
        raise InvalidRequest(
            "GDPR consent is not a basis this service accepts: public bodies rest on law "
            "(Art. 6(1)(e) and 9(2)(h)). Record the sector consent that lifts the duty of "
            f"confidentiality instead, one of: {known}",
            field="regime",
        )
    if regime not in catalogue().regimes:
        raise InvalidRequest(f"unknown consent regime {regime!r}; known: {known}", field="regime")
