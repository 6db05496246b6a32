"""A deny in plain words: why (whose consent is missing, by role and never by CPR
number; no relation; blocked at the family's request; no legal basis) and what
would make it visible ("ask the family for a written consent to ...; it would
allow ..."), in the page's language. The policy's own message is the fallback."""

from __future__ import annotations

from dataclasses import dataclass

from pages.i18n import Words
from policy.catalogue import catalogue
from policy.decision import MissingPerson, Reason

_WHY = {
    "missing_consent",
    "consent_expired",
    "no_relation",
    "blocked",
    "withheld_by_block",
    "objection",
    "no_legal_basis",
    "health_professional_required",
    "missing_fact",
}
_FIX = {
    "missing_consent": "fix_missing_consent",
    "consent_expired": "fix_consent_expired",
    "no_relation": "fix_no_relation",
    "blocked": "fix_blocked",
    "withheld_by_block": "fix_blocked",
    "objection": "fix_objection",
    "no_legal_basis": "fix_no_legal_basis",
    "missing_fact": "fix_retry",
    "engine_error": "fix_retry",
    "disclosure_not_recorded": "fix_retry",
}
_WOULD_ALLOW = {"missing_consent", "consent_expired"}
"""Reasons a consent from the family cures: say what it would open."""


@dataclass(frozen=True)
class Explain:
    t: Words

    def persons(self, reason: Reason) -> str:
        people = [
            self.t.of("person", m.label or m.capacity)
            for m in reason.missing or []
            if isinstance(m, MissingPerson)
        ]
        return ", ".join(people) or "-"

    def _regime(self, reason: Reason) -> str:
        regime = (reason.model_extra or {}).get("regime")
        return self.t.of("regime", regime) if isinstance(regime, str) else "-"

    def knows(self, reason: Reason) -> bool:
        """False when the page shows the policy's own (English) message."""
        return reason.code in _WHY

    def knows_remedy(self, reason: Reason) -> bool:
        return reason.code in _FIX

    def why(self, reason: Reason) -> str:
        if reason.code not in _WHY:
            return reason.message
        return self.t(f"reason_{reason.code}", persons=self.persons(reason))

    def remedy(self, reason: Reason, category: str) -> str:
        key = _FIX.get(reason.code)
        if key is None:
            return reason.message
        text = self.t(key, regime=self._regime(reason), persons=self.persons(reason))
        if reason.code in _WOULD_ALLOW and category == "correspondence":
            text += " " + self.t("would_send")
        elif reason.code in _WOULD_ALLOW:
            spec = catalogue().categories.get(category)
            fields = [f for f in (spec.fields if spec else ()) if f != "recipient"]
            what = ", ".join(self.t.of("field", f).lower() for f in fields)
            text += " " + self.t("would_allow", what=f"{self.t.of('category', category)} ({what})")
        return text
