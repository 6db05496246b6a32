"""The evaluation's tables, computed from audit records (metadata only).

Each table counts something (lookups, overviews, permitted categories, deny
reasons, source calls, messages, overrides, children) by row and column, with
the distinct children behind every cell, so `suppression` can hide small cells.
Sectors are the requester's kind of work, from the role in the token the
record names; no CPR number or person id leaves this module (children are
only counted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from audit.models import AuditRecord
from evaluation.suppression import Table, rows_of

SECTORS = ["family_department", "ppr", "gp", "psychiatry"]
SECTOR_LABELS = {
    "family_department": "Municipal family department",
    "ppr": "School psychology (PPR)",
    "gp": "General practice",
    "psychiatry": "Child and adolescent psychiatry",
    "municipality": "Municipality",
    "other": "Other",
    "inside_window": "Inside the window",
    "outside_window": "Outside the window",
    "no_consultation": "No consultation at the clinic",
    "relation_not_reached": "Relation not weighed",
    "unknown": "Unknown municipality",
}
_ROLE_SECTOR = {
    "municipal_caseworker": "family_department",
    "ppr_psychologist": "ppr",
    "gp": "gp",
}
_ORGANISATION_SECTOR = {
    "municipality": "municipality",
    "gp_clinic": "gp",
    "region_psychiatry": "psychiatry",
}
SLOW_CALL_US = 500_000
"""A source call that answered, but after half a second, counts as slow."""
CONSENT_DELAYS = ["same day", "1-7 days", "8-30 days", "over 30 days", "not recorded"]
GP_WINDOW = ["inside_window", "outside_window", "no_consultation", "relation_not_reached"]
"""Where a GP's lookup stood to the consultation window (see `gp_window_of`)."""
DAYS_OUTSIDE = ["1 day", "2-3 days", "4-7 days", "8-14 days", "15-30 days", "over 30 days"]
MUNICIPAL_SECTORS = ("family_department", "ppr")
"""The sectors whose units belong to a municipality (the per-municipality tables)."""
_CONSENT_FAILURES = {"missing_consent", "consent_expired", "consent_recipient_not_named"}


def sector_of(role: str) -> str:
    if role in _ROLE_SECTOR:
        return _ROLE_SECTOR[role]
    return "psychiatry" if role.startswith("bup_") else "other"


def month_of(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def _delay(days: int | None) -> str:
    if days is None:
        return CONSENT_DELAYS[-1]
    if days == 0:
        return CONSENT_DELAYS[0]
    if days <= 7:
        return CONSENT_DELAYS[1]
    return CONSENT_DELAYS[2] if days <= 30 else CONSENT_DELAYS[3]


def _days_bucket(days: int) -> str:
    for bucket, last in zip(DAYS_OUTSIDE, [1, 3, 7, 14, 30], strict=False):
        if days <= last:
            return bucket
    return DAYS_OUTSIDE[-1]


def gp_window_of(record: AuditRecord) -> tuple[str, int | None]:
    """Where one GP lookup stood to the consultation window, from its reasons only:
    outside it (a `no_relation` deny that measured the days, rego/hoi/relation),
    with no consultation at the clinic to measure from (a `no_relation` deny
    without days), inside it (a permit names the relation it relied on, or a
    category was denied for its consent alone: the relation was met), or not
    weighed (every category stopped before the relation was looked at: a block,
    an objection, no legal route)."""
    reasons = [reason for o in record.categories.values() for reason in o.reasons]
    days = [r.days_outside_window for r in reasons if r.days_outside_window is not None]
    if days:
        return "outside_window", min(days)
    if any(r.code == "no_relation" for r in reasons):
        return "no_consultation", None
    if any(r.code == "relation" or r.code in _CONSENT_FAILURES for r in reasons):
        return "inside_window", None
    return "relation_not_reached", None


@dataclass(frozen=True)
class Figures:
    tables: list[Table]

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def _is_lookup(record: AuditRecord) -> bool:
    return record.kind == "decision" and record.correspondence is None


def _is_overview(record: AuditRecord) -> bool:
    return record.kind == "disclosure" and record.correspondence is None


@dataclass(frozen=True)
class ConsentFact:
    """What the report needs of a consent in the registry: no person, only when."""

    id: str
    child: str
    regime: str
    recorded_at: datetime


def compute(
    records: Sequence[AuditRecord],
    consents: Sequence[ConsentFact],
    *,
    recipient_type: Callable[[str], str | None],
    municipality_of: Callable[[str], str | None] = lambda _: None,
) -> Figures:
    """The tables for `records` (one period). `consents`: every consent recorded up
    to the period's end (regimes, and when families gave them); `recipient_type`:
    an organisation's type from the organisation register; `municipality_of`: the
    municipality (its code) a unit belongs to, from the same register.

    Tables that add up to figures of another table say so (`Table.known`, filled
    in by `evaluation.report.link` once the other is suppressed)."""
    lookups = [r for r in records if _is_lookup(r)]
    months = rows_of(month_of(r.recorded_at) for r in records) or ["-"]
    sectors = [*SECTORS, "other"]

    activity = Table("lookups", "Lookups (decisions) per month and sector", months, sectors)
    overviews = Table("overviews", "Overviews per month and sector", months, sectors)
    overrides = Table("overrides", "Lookups with a block set aside, per month", months, sectors)
    for r in records:
        sector = sector_of(r.requester.role)
        if _is_lookup(r):
            activity.add(month_of(r.recorded_at), sector, r.child_cpr)
            if r.override.used:
                overrides.add(month_of(r.recorded_at), sector, r.child_cpr)
        elif _is_overview(r):
            overviews.add(month_of(r.recorded_at), sector, r.child_cpr)

    categories = rows_of(c for r in lookups for c in r.categories) or ["-"]
    asked = Table("categories_asked", "Categories decided, by sector", categories, sectors)
    permitted = Table(
        "categories_permitted", "Categories permitted, by sector", categories, sectors
    )
    codes = rows_of(
        reason.code
        for r in lookups
        for outcome in r.categories.values()
        if outcome.decision == "deny"
        for reason in outcome.reasons
    ) or ["-"]
    reasons = Table("deny_reasons", "Reasons categories were denied, by sector", codes, sectors)
    for r in lookups:
        sector = sector_of(r.requester.role)
        for category, outcome in r.categories.items():
            asked.add(category, sector, r.child_cpr)
            if outcome.decision == "permit":
                permitted.add(category, sector, r.child_cpr)
            else:
                for code in dict.fromkeys(reason.code for reason in outcome.reasons):
                    reasons.add(code, sector, r.child_cpr)

    statuses = ["answered", "slow", "empty", "not_found", "error", "timeout"]
    sources = rows_of(c.source for r in records for c in r.source_calls) or ["-"]
    quality = Table("source_calls", "Source calls by outcome", sources, statuses)
    blocked = Table(
        "source_withheld",
        "Data-source answers with records withheld by a family's block",
        sources,
        ["nothing_withheld", "records_withheld"],
    )
    for r in records:
        for call in r.source_calls:
            status: str = call.status
            if call.status == "ok":
                status = "slow" if call.duration_us > SLOW_CALL_US else "answered"
                if call.records == 0:
                    status = "empty"  # answered in time, with nothing for the child
            quality.add(call.source, status, r.child_cpr)
            if call.records is not None and call.status == "ok":
                column = "records_withheld" if call.withheld else "nothing_withheld"
                blocked.add(call.source, column, r.child_cpr)

    sent = [r for r in records if r.kind == "disclosure" and r.correspondence is not None]
    recipients = [*sorted(set(_ORGANISATION_SECTOR.values())), "other"]
    messages = Table(
        "correspondence", "Messages sent, by sender and recipient", sectors, recipients
    )
    for r in sent:
        assert r.correspondence is not None
        kind = recipient_type(r.correspondence.recipient_organisation_id)
        to = _ORGANISATION_SECTOR.get(kind or "", "other")
        messages.add(sector_of(r.requester.role), to, r.child_cpr)

    regime_of = {c.id: c.regime for c in consents}
    regimes = rows_of(regime_of.values()) or ["-"]
    coverage = Table(
        "consent_relied_on",
        "Children whose lookups relied on a consent, by regime",
        regimes,
        sectors,
    )
    for r in lookups:
        used = {regime_of[c] for c in r.relied_on.consents if c in regime_of}
        for regime in used:
            coverage.add(regime, sector_of(r.requester.role), r.child_cpr)

    first_deny: dict[tuple[str, str], datetime] = {}
    for r in lookups:
        if any(
            reason.code == "missing_consent"
            for outcome in r.categories.values()
            for reason in outcome.reasons
        ):
            key = (r.child_cpr, sector_of(r.requester.role))
            first_deny.setdefault(key, r.recorded_at)
    delays = Table(
        "consent_after_deny",
        "Time from a missing-consent deny to a consent recorded for the child",
        CONSENT_DELAYS,
        sectors,
    )
    for (child, sector), denied_at in first_deny.items():
        after = [c.recorded_at for c in consents if c.child == child and c.recorded_at >= denied_at]
        days = (min(after) - denied_at).days if after else None
        delays.add(_delay(days), sector, child)

    window, outside = _gp_window_tables(lookups, months)
    municipal = _municipal_tables(records, months, municipality_of)
    return Figures(
        [
            activity,
            overviews,
            asked,
            permitted,
            reasons,
            quality,
            blocked,
            messages,
            overrides,
            coverage,
            delays,
            window,
            outside,
            *municipal,
        ]
    )


def _gp_window_tables(lookups: Sequence[AuditRecord], months: list[str]) -> tuple[Table, Table]:
    """GP lookups per month inside and outside the consultation window, and how
    many days outside (the simultaneity barrier, measured by the policy)."""
    window = Table(
        "gp_window",
        "GP lookups per month, inside and outside the consultation window",
        months,
        GP_WINDOW,
    )
    outside = Table(
        "gp_days_outside",
        "GP lookups outside the consultation window: days outside, per month",
        DAYS_OUTSIDE,
        months,
    )
    for r in lookups:
        if sector_of(r.requester.role) != "gp":
            continue
        month = month_of(r.recorded_at)
        where, days = gp_window_of(r)
        window.add(month, where, r.child_cpr)
        if days is not None:
            outside.add(_days_bucket(days), month, r.child_cpr)
    return window, outside


def _municipal_tables(
    records: Sequence[AuditRecord],
    months: list[str],
    municipality_of: Callable[[str], str | None],
) -> list[Table]:
    """Lookups, lookups that permitted something, and overviews, per municipality
    and month.

    The municipality is the requesting unit's (the family department's or PPR's),
    from the organisation register, not the child's: the audit trail names the
    requester's unit but not where the child lives (that is CPR data, a source
    fact the report must not read), a municipality joins the pilot and decides on
    rollout for its own units, and the child's municipality would add a fact about
    the children to cells already small. GPs and psychiatry belong to no
    municipality and are left out here (they are in the sector tables). A unit the
    register does not know counts as `unknown`."""
    municipal = [r for r in records if sector_of(r.requester.role) in MUNICIPAL_SECTORS]

    def place(r: AuditRecord) -> str:
        return municipality_of(r.requester.organisation_id) or "unknown"

    places = rows_of(place(r) for r in municipal) or ["-"]
    lookups = Table(
        "municipal_lookups",
        "Lookups by municipal units (family department and PPR), per municipality and month",
        places,
        months,
    )
    permits = Table(
        "municipal_permitted",
        "Lookups by municipal units that permitted at least one category, per municipality "
        "and month",
        places,
        months,
    )
    overviews = Table(
        "municipal_overviews",
        "Overviews by municipal units, per municipality and month",
        places,
        months,
    )
    for r in municipal:
        if _is_lookup(r):
            lookups.add(place(r), month_of(r.recorded_at), r.child_cpr)
            if any(o.decision == "permit" for o in r.categories.values()):
                permits.add(place(r), month_of(r.recorded_at), r.child_cpr)
        elif _is_overview(r):
            overviews.add(place(r), month_of(r.recorded_at), r.child_cpr)
    return [lookups, permits, overviews]
