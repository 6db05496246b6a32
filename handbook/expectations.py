"""What a scenario expects of an answer: per data category, the decision, its
rule, reasons and fields, and what the overview and the family's access log show.
Each expectation lists the ways an answer falls short, in words a lawyer reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    """A scenario file's part: a misspelt key is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class OverviewExpectation(Strict):
    """What the overview (GET /v1/children/{cpr}/overview) shows for the category."""

    records: int | None = Field(default=None, description="how many records it shows")
    withheld_by_block: bool | None = Field(
        default=None, description="whether it says records are withheld at the family's request"
    )
    write_to: list[str] | None = Field(
        default=None,
        description="the `write_to` handles of the records' recipients, in order",
    )

    def problems(self, category: str, overview: Mapping[str, Any]) -> list[str]:
        found: list[str] = []
        data = overview.get("data", {}).get(category)
        if self.records is not None:
            shown = len(data["records"]) if data else 0
            if shown != self.records:
                found.append(f"the overview shows {shown} record(s), expected {self.records}")
        if self.withheld_by_block is not None:
            flagged = withheld_by_block(category, overview)
            if flagged != self.withheld_by_block:
                said = "says" if flagged else "does not say"
                found.append(f"the overview {said} that records are withheld by a block")
        if self.write_to is not None:
            handles = [
                (r.get("recipient") or {}).get("write_to") for r in (data or {}).get("records", [])
            ]
            if handles != self.write_to:
                found.append(f"the overview's recipients are {handles}, expected {self.write_to}")
        return found


def withheld_by_block(category: str, overview: Mapping[str, Any]) -> bool:
    """Does the overview tell the professional that records of the category are
    withheld at the family's request (the whole category, or some of its records)?"""
    codes = {"blocked", "withheld_by_block"}
    withheld = overview.get("withheld", {}).get(category)
    if withheld and any(r.get("code") in codes for r in withheld.get("reasons", [])):
        return True
    data = overview.get("data", {}).get(category) or {}
    flag = data.get("withheld_by_block")
    if isinstance(flag, bool):
        return flag
    return any(r.get("code") in codes for r in data.get("reasons", []) or [])


class AccessLogExpectation(Strict):
    """What the citizen's access log (GET /v1/citizens/{cpr}/access-log) shows after
    everything the scenario did, read with the citizen login of `read_by`."""

    read_by: str | None = Field(
        default=None,
        description="who reads it (unset: the young person from 15, else the first custody holder)",
    )
    entries: int | None = Field(default=None, description="how many entries it lists")
    includes_override: bool | None = Field(
        default=None, description="whether an entry is flagged as an override"
    )
    summary_includes: str | None = Field(
        default=None, description="words one entry's summary contains (a message sent, ...)"
    )

    def problems(self, log: Mapping[str, Any]) -> list[str]:
        entries = list(log.get("entries", []))
        found: list[str] = []
        if self.entries is not None and len(entries) != self.entries:
            found.append(f"the access log lists {len(entries)} entries, expected {self.entries}")
        if self.includes_override is not None:
            flagged = any(e.get("override") for e in entries)
            if flagged != self.includes_override:
                said = "flags" if flagged else "does not flag"
                found.append(f"the access log {said} an override")
        summaries = [e.get("summary") or "" for e in entries]
        if self.summary_includes is not None and not any(
            self.summary_includes in s for s in summaries
        ):
            found.append(f"no access-log entry says {self.summary_includes!r}: {summaries}")
        return found


class Expectation(Strict):
    """The expected answer for one data category. Every field given must hold;
    `any_of` holds when at least one of its alternatives does."""

    decision: Literal["permit", "deny"] | None = None
    any_of: list[Expectation] | None = Field(
        default=None,
        description="alternatives, e.g. deny, or permit only by a clinician's route",
    )
    rule_id: str | None = None
    legal_basis: list[str] | None = None
    reasons: list[str] | None = Field(default=None, description="reason codes, in order")
    reasons_include: list[str] | None = Field(
        default=None, description="reason codes that must be among the reasons, in any order"
    )
    missing: list[str] | None = Field(default=None, description="whose consent is missing")
    fields: list[str] | None = None
    fields_never: list[str] | None = Field(
        default=None, description="fields that must not be permitted"
    )
    override: bool | None = None
    obligations: list[str] | None = None
    exclude_organisations: list[str] | None = Field(
        default=None, description="organisations whose records are withheld"
    )
    relied_on: dict[Literal["consents", "objections", "blocks"], int] | None = Field(
        default=None, description="how many consents, objections and blocks it relied on"
    )
    override_refusal: str | None = Field(
        default=None, description="the start of the message saying why an override was refused"
    )
    overview: OverviewExpectation | None = Field(
        default=None, description="what the overview shows for the category"
    )

    @model_validator(mode="after")
    def _says_something(self) -> Expectation:
        if self.decision is None and not self.any_of:
            raise ValueError("give the expected decision, or alternatives (any_of)")
        return self

    def problems(
        self,
        got: Mapping[str, Any],
        *,
        person: Callable[[str], str] = str,
        overview: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """What differs between the expectation and a category's decision (its JSON
        form); empty when it holds. `person` names a handle in the scenario's words;
        without an overview, overview expectations are not checked."""
        found: list[str] = []
        codes = [r["code"] for r in got.get("reasons", [])]
        if self.decision is not None and got.get("decision") != self.decision:
            found.append(f"expected {self.decision}, got {got.get('decision')} ({codes})")
        expected_values = {
            "rule_id": self.rule_id,
            "legal_basis": self.legal_basis,
            "fields": self.fields,
            "override": self.override,
            "obligations": self.obligations,
            "exclude_organisations": self.exclude_organisations,
        }
        for key, value in expected_values.items():
            if value is not None and got.get(key) != value:
                found.append(f"{key}: expected {value}, got {got.get(key)}")
        if self.reasons is not None and codes != self.reasons:
            found.append(f"reasons: expected {self.reasons}, got {codes}")
        if self.reasons_include is not None:
            absent = [c for c in self.reasons_include if c not in codes]
            if absent:
                found.append(f"reasons: expected to include {absent}, got {codes}")
        if self.fields_never is not None:
            leaked = [f for f in self.fields_never if f in got.get("fields", [])]
            if leaked:
                found.append(f"fields permitted that never may be: {leaked}")
        if self.relied_on is not None:
            relied = got.get("relied_on", {})
            counts = {k: len(relied.get(k, [])) for k in self.relied_on}
            if counts != self.relied_on:
                found.append(f"relied_on: expected {self.relied_on}, got {counts}")
        if self.override_refusal is not None:
            refusals = [r.get("override_refusal") or "" for r in got.get("reasons", [])]
            if not any(r.startswith(self.override_refusal) for r in refusals):
                wanted = self.override_refusal
                found.append(f"override refusal: expected {wanted!r}, got {refusals}")
        if self.missing is not None:
            missing = [
                person(m["person"])
                for r in got.get("reasons", [])
                if r["code"] == "missing_consent"
                for m in r.get("missing", [])
            ]
            if sorted(missing) != sorted(self.missing):
                found.append(f"missing consent of: expected {self.missing}, got {missing}")
        if self.overview is not None and overview is not None:
            found += self.overview.problems(got.get("category", ""), overview)
        if self.any_of:
            tried = [
                alternative.problems(got, person=person, overview=overview)
                for alternative in self.any_of
            ]
            if all(tried):
                said = "; or ".join(", ".join(t) for t in tried)
                found.append(f"none of the alternatives holds: {said}")
        return found

    def needs_overview(self) -> bool:
        return self.overview is not None or any(a.needs_overview() for a in self.any_of or [])
