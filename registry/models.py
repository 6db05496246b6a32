"""API shapes of the registry: one model per purpose (create / public)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from policy.cpr import Cpr
from policy.decision import Category, Identifier, OrganisationType, Purpose


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_type: OrganisationType | None = None
    organisation_id: Identifier | None = None

    @model_validator(mode="after")
    def _one_named(self) -> Recipient:
        if self.organisation_type is None and self.organisation_id is None:
            raise ValueError("name an organisation_type or an organisation_id")
        return self


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regime: Annotated[str, Field(min_length=1, max_length=32)]
    given_by: Cpr
    categories: Annotated[list[Category], Field(min_length=1)]
    recipient: Recipient
    purposes: list[Purpose] = Field(default_factory=list)
    form: Literal["written", "oral"]
    valid_from: date
    valid_until: date

    @model_validator(mode="after")
    def _ordered(self) -> ConsentCreate:
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


ConsentStatus = Literal["active", "expired", "revoked", "pending"]


class ConsentPublic(BaseModel):
    id: str
    child_cpr: str
    regime: str
    given_by: str
    capacity: Literal["child", "custody_holder"]
    categories: list[str]
    recipient: Recipient
    purposes: list[str]
    form: str
    valid_from: date
    valid_until: date
    recorded_at: datetime
    revoked_at: datetime | None
    status: ConsentStatus


class ObjectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_by: Cpr
    categories: list[Category] = Field(default_factory=list)
    recipient: Recipient | None = None


class ObjectionPublic(BaseModel):
    id: str
    child_cpr: str
    given_by: str
    categories: list[str]
    recipient: Recipient | None
    recorded_at: datetime
    withdrawn_at: datetime | None


class BlockCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_kind: Literal["professional", "organisation"]
    target_id: Identifier
    include_sub_units: bool = False
    categories: list[Category] = Field(default_factory=list)
    valid_from: date
    valid_until: date | None = None


class BlockPublic(BaseModel):
    id: str
    child_cpr: str
    target_kind: str
    target_id: str
    include_sub_units: bool
    categories: list[str]
    valid_from: date
    valid_until: date | None
    recorded_at: datetime
    lifted_at: datetime | None
