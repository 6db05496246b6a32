"""The role, category, purpose and regime catalogue.

The single source is the policy data file the Rego policies read
(`rego/hoi/config/data.json`), so Python validation and policy decisions can
never disagree about which names exist.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from policy.paths import POLICY_DATA_FILE


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RoleSpec(_Frozen):
    label: str
    sector: Literal["municipal", "health"]
    organisation_types: tuple[str, ...]
    lookup: bool
    purposes: tuple[str, ...] = ()
    """The purposes the role works for; a route is open only for these."""
    relation: Literal["open_case", "gp_consultation", "treatment_course"] | None = None
    """The relation to the child the role's lookups need (see rego/hoi/relation)."""


class CategorySpec(_Frozen):
    label: str
    fields: tuple[str, ...]


class ConsentRules(_Frozen):
    self_consent_age: int
    joint_custody_rule: Literal["all", "any"]
    custody_holder_consent_lapses_at_self_consent_age: dict[str, bool]
    """Per regime: do consents custody holders gave stop counting when the child
    reaches self_consent_age? A regime not named here lapses (the safe side)."""

    def custody_consent_lapses(self, regime: str) -> bool:
        return self.custody_holder_consent_lapses_at_self_consent_age.get(regime, True)


class RegimeSpec(_Frozen):
    label: str
    forms: tuple[Literal["written", "oral"], ...]
    max_validity_months: int


class GpWindow(_Frozen):
    days_before: int
    days_after: int
    legal_basis: tuple[str, ...] = ()
    review: str = ""


class RelationRules(_Frozen):
    """How the policy grades relation evidence (rego/hoi/relation)."""

    course_days_after_last_contact: int
    """An open episode of care counts as an active course this many days after
    its last contact (or its start)."""
    same_day_consultation_counts: bool
    """A GP with the child in a consultation today at their own clinic has a
    current treatment, registered GP or not."""
    legal_basis: tuple[str, ...] = ()
    review: str = ""


class OverrideRules(_Frozen):
    """Where a health professional may set a block aside (værdispring)."""

    categories: tuple[str, ...]
    """The health categories; on every other category a block stands for everyone."""
    legal_basis: tuple[str, ...] = ()
    review: str = ""


class FactLifetimes(_Frozen):
    """How long a fact read from a source may be reused for decisions (facts/cache)."""

    cpr_s: int = Field(ge=0)
    """The CPR register's record of the child, with its custody holders."""
    relations_s: int = Field(ge=0)
    staff_register_s: int = Field(ge=0)
    legal_basis: tuple[str, ...] = ()
    review: str = ""


class Channel(_Frozen):
    """Where a kind of message goes instead of correspondence (a report of concern
    to the municipality's reporting channel, a referral as a MedCom referral, ...)."""

    id: str
    label: str
    standard: str | None = None


class CorrespondenceRules(_Frozen):
    """What the policy needs to decide a message (rego/hoi/correspondence)."""

    message_topics: tuple[str, ...]
    """The topics sent as correspondence; the topics in `channels` are refused."""
    weighty_concern_min_reason_chars: int = Field(ge=1)
    channels: dict[str, Channel]
    legal_basis: tuple[str, ...] = ()
    review: str = ""


class Catalogue(_Frozen):
    roles: dict[str, RoleSpec]
    categories: dict[str, CategorySpec]
    purposes: tuple[str, ...]
    consent: ConsentRules
    regimes: dict[str, RegimeSpec]
    gp_window: GpWindow
    relations: RelationRules
    override: OverrideRules
    correspondence: CorrespondenceRules | None = None
    """Without it no message is sent (every send finds no route)."""
    fact_lifetimes: FactLifetimes = FactLifetimes(cpr_s=0, relations_s=0, staff_register_s=0)
    """Without it every decision reads its facts afresh."""
    kle_groups: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Per role, the KLE subject groups of municipal cases the role may learn of. "
        "A role not listed learns of no case (fail closed).",
    )

    def kle_groups_for(self, role: str) -> tuple[str, ...]:
        return self.kle_groups.get(role, ())


def load_catalogue(path: Path = POLICY_DATA_FILE) -> Catalogue:
    """Read and validate the policy data file."""
    return Catalogue.model_validate(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The catalogue of this checkout, read once."""
    return load_catalogue()
