"""Who may read a child's access log, and the log as the family sees it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import Engine, ScalarResult, select

from audit.models import AccessLog, AccessLogCategory, AccessLogEntry, AuditRecord
from audit.query import Cursor, page_query
from audit.store import RECORDS
from db.times import as_utc
from policy.catalogue import catalogue
from policy.cpr import age_on
from policy.facts import ChildRecord


def may_read_access_log(viewer_cpr: str, child: ChildRecord, today: date) -> bool:
    """A young person from the self-consent age (15) reads their own log; a
    custody holder reads the child's log while the child is younger. Custody
    holders' access ends when the child decides alone, as their consent does
    (`custody_holder_consent_lapses_at_self_consent_age` in the policy data)."""
    rules = catalogue().consent
    decides_alone = age_on(child.birth_date, today) >= rules.self_consent_age
    if viewer_cpr == child.cpr:
        return decides_alone
    if viewer_cpr in child.custody_holders:
        return not (decides_alone and rules.custody_holder_consent_lapses_at_self_consent_age)
    return False


DISCLOSURE_MARGIN = timedelta(hours=1)
"""How much earlier than its decision a disclosure is still looked for."""

LOOKUP_KINDS = ("decision", "registry_read", "registry_write", "override_attempt")
"""What the family sees: lookups, every read of and write to its registry, and every
attempt to set its block aside, also one refused before any decision."""

_ACTIONS = {
    "registry.read": ("Looked at the consents, objections and blocks", "look at the registry"),
    "consent.record": ("Consent recorded", "record a consent"),
    "consent.revoke": ("Consent revoked", "revoke a consent"),
    "objection.record": ("Objection recorded", "record an objection"),
    "objection.withdraw": ("Objection withdrawn", "withdraw an objection"),
    "block.record": ("Block set", "set a block"),
    "block.lift": ("Block lifted", "lift a block"),
}


_SENT = {"new": "a message", "reply": "a reply", "forward": "a forwarded message"}

_OTHER_LABELS = {"correspondence": "A message about the child"}
"""Labels of what is decided besides the data categories."""


def _role_label(role: str) -> str:
    roles = catalogue().roles
    if role == "citizen":
        return "the family"
    return roles[role].label if role in roles else role


def registry_summary(
    record: AuditRecord, organisation_name: Callable[[str], str | None]
) -> str | None:
    """The registry entry in words, as the family reads it; no numbers of people."""
    registry = record.registry
    if registry is None:
        return None
    done, attempt = _ACTIONS.get(registry.action, (registry.action, registry.action))
    if record.outcome == "deny":
        return f"Tried to {attempt}: refused (no active relation to the child)"
    what = done
    recipient = registry.summary.get("recipient")
    if isinstance(recipient, dict):
        org = recipient.get("organisation_id")
        to = organisation_name(org) or org if org else recipient.get("organisation_type")
        what = f"{what} to {to}"
    recorded_by = registry.recorded_by or {}
    person = (registry.person or {}).get("label")
    if recorded_by.get("kind") == "professional":
        org = recorded_by.get("organisation_id", "")
        where = organisation_name(org) or org
        by = f"by a {_role_label(recorded_by.get('role', ''))} at {where}"
        return f"{what} {by} on behalf of {person}" if person else f"{what} {by}"
    if person is not None:
        return f"{what} by {person}"
    return what


def override_summary(record: AuditRecord) -> str | None:
    """An override request in words, as the family reads it; None if none was made."""
    override = record.override
    if not override.requested:
        return None
    asked = "Asked to set the family's block aside (værdispring)"
    if override.used:
        return f"{asked}: allowed, and a block was set aside"
    if override.refused:
        return f"{asked}: refused. {override.refusal or ''}".rstrip()
    return f"{asked}: allowed, but nothing was blocked"


def correspondence_summary(
    record: AuditRecord, released: list[str], organisation_name: Callable[[str], str | None]
) -> str | None:
    """A message about the child in words, as the family reads it: to whom and on
    what topic, never what it said."""
    sent = record.correspondence
    if sent is None:
        return None
    to = organisation_name(sent.recipient_organisation_id) or sent.recipient_organisation_id
    topic = sent.topic.replace("_", " ")
    what = _SENT.get(sent.activity, "a message")
    if "correspondence" in released:
        return f"Sent {what} to {to} (topic: {topic})"
    return f"Tried to send {what} to {to} (topic: {topic}): refused, nothing was sent"


def _entry(
    record: AuditRecord,
    released: list[str],
    organisation_name: Callable[[str], str | None],
    show_employee: bool,
) -> AccessLogEntry:
    categories = catalogue().categories
    org = record.requester.organisation_id
    kind = (
        "correspondence"  # a message sent (or refused), not a lookup
        if record.correspondence is not None
        else "lookup"
        if record.kind == "decision"
        else record.kind
    )
    return AccessLogEntry(
        when=record.recorded_at,
        decision_id=record.decision_id,
        role=record.requester.role,
        role_label=_role_label(record.requester.role),
        organisation_id=org,
        organisation_name=organisation_name(org) or org,
        employee_id=record.requester.id
        if show_employee and record.requester.role != "citizen"
        else None,
        purpose=record.purpose,
        categories=[
            AccessLogCategory(
                category=name,
                label=categories[name].label
                if name in categories
                else _OTHER_LABELS.get(name, name),
                outcome=outcome.decision,
                rule_id=outcome.rule_id,
            )
            for name, outcome in record.categories.items()
        ],
        released_categories=released,
        override=record.override.used,
        override_reason=record.override.reason if record.override.requested else None,
        override_requested=record.override.requested,
        override_refused=record.override.refused,
        override_refusal=record.override.refusal,
        kind=kind,
        registry_action=record.registry.action if record.registry else None,
        summary=registry_summary(record, organisation_name)
        or correspondence_summary(record, released, organisation_name)
        or override_summary(record),
    )


def access_log(
    db: Engine,
    child_cpr: str,
    *,
    organisation_name: Callable[[str], str | None],
    show_employee: bool,
    limit: int = 50,
    cursor: Cursor | None = None,
) -> AccessLog:
    """Every lookup about the child, newest first, with what actually left."""
    with db.connect() as conn:
        rows, next_cursor = page_query(
            conn, limit=limit, cursor=cursor, child_cpr=child_cpr, kind=LOOKUP_KINDS
        )
        decisions = [AuditRecord.model_validate_json(r.body) for r in rows]
        released: dict[str, set[str]] = {d.decision_id: set() for d in decisions}
        if released:
            # A disclosure is recorded after its decision, by the same request: only
            # the months from the oldest decision shown on (with an hour's margin
            # for a clock set back) hold them, so older partitions are not probed.
            since = as_utc(min(d.recorded_at for d in decisions)) - DISCLOSURE_MARGIN
            disclosures: ScalarResult[str] = conn.execute(
                select(RECORDS.c.body).where(
                    RECORDS.c.kind == "disclosure",
                    RECORDS.c.child_cpr == child_cpr,
                    RECORDS.c.recorded_at >= since,
                    RECORDS.c.decision_id.in_(list(released)),
                )
            ).scalars()
            for body in disclosures:
                data = json.loads(body)
                released[data["decision_id"]].update(data["released"])
    return AccessLog(
        entries=[
            _entry(d, sorted(released[d.decision_id]), organisation_name, show_employee)
            for d in decisions
        ],
        next_cursor=next_cursor,
    )
