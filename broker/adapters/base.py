"""What every adapter takes and gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from broker.client import SourceClient, SourceError


@dataclass(frozen=True)
class FetchQuery:
    """What an adapter may know about the lookup."""

    child_cpr: str
    role: str
    organisation_id: str
    today: date
    kle_groups: tuple[str, ...] = ()
    """KLE subject groups of municipal cases this role may learn of (policy data)."""


@dataclass(frozen=True)
class SourceRecord:
    """One record from a source, in catalogue field names, with its origin organisation."""

    origin: str | None
    data: dict[str, Any]
    addressable: bool = True
    """Whether the origin is a contact point to write to about this record (a
    closed case's unit is no longer responsible: no `recipient` for it)."""
    contact_via: tuple[str, str] | None = None
    """(organisation id, KLE task area): the record is written about to the unit of
    that organisation which answers for the area, not to its origin. A school is
    not on the MedCom network; its municipality's unit for school support is."""


class Adapter(Protocol):
    async def __call__(self, client: SourceClient, query: FetchQuery) -> list[SourceRecord]: ...


class SourceShape(BaseModel):
    """Base for the models of a source's answer: unknown keys are ignored, wrong
    types are an error (the source answered something we do not understand)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


T = TypeVar("T", bound=BaseModel)


def parse(model: type[T], body: Any) -> T:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise SourceError(f"bad_response: {exc.error_count()} field(s) not as expected") from exc
