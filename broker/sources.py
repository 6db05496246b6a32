"""The source list: which source system serves which data category, and how to reach it.

(Not the consent registry, `registry/`: this is the broker's list of the systems
it reads from.)

Read from YAML (`broker/sources.yaml`) and validated here. Adding a source is
an entry in that file (plus, for a new kind of system, one adapter); the
policy and the engine do not change, because they decide on categories, not
sources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from policy.catalogue import catalogue
from policy.errors import ConfigError

DEFAULT_SOURCES = Path(__file__).resolve().parent / "sources.yaml"

SourceId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9.\-]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoAuth(_Strict):
    """The source needs no credentials (the sandbox, open institution data)."""

    kind: Literal["none"] = "none"


class BearerFromEnv(_Strict):
    """A static bearer token read from an environment variable when the broker starts.
    Unset or empty: the source is not called (fail closed) and is reported as an error."""

    kind: Literal["bearer_env"]
    env: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]


class MutualTls(_Strict):
    """Client-certificate TLS. Until certificate, key and CA are configured and
    readable the source is not called (fail closed)."""

    kind: Literal["mtls"]
    cert_file: Path | None = None
    key_file: Path | None = None
    ca_file: Path | None = None


Auth = Annotated[NoAuth | BearerFromEnv | MutualTls, Field(discriminator="kind")]


class RetryPolicy(_Strict):
    """Retries for idempotent reads only, with exponential backoff and jitter."""

    attempts: Annotated[int, Field(ge=1, le=5)] = 3
    wait_initial_s: Annotated[float, Field(ge=0, le=5)] = 0.05
    wait_max_s: Annotated[float, Field(ge=0, le=10)] = 0.5


class BreakerPolicy(_Strict):
    """After `failure_threshold` failed fetches in a row the source is not called
    for `reset_after_s`; then one trial fetch decides whether it is back."""

    failure_threshold: Annotated[int, Field(ge=1, le=100)] = 5
    reset_after_s: Annotated[float, Field(gt=0, le=3600)] = 30.0


class SourceSpec(_Strict):
    id: SourceId
    label: str
    category: str | None = Field(
        description="The data category this source serves; null for a source only the "
        "policy information point reads (never disclosed)."
    )
    adapter: Annotated[str, Field(min_length=1, max_length=64)]
    base_url: Annotated[str, Field(min_length=1, max_length=512)]
    timeout_s: Annotated[float, Field(gt=0, le=30)] = 2.0
    auth: Auth = NoAuth()
    retry: RetryPolicy = RetryPolicy()
    breaker: BreakerPolicy = BreakerPolicy()


class FactSources(_Strict):
    """The sources the policy information point reads for a decision."""

    person: SourceId
    """The CPR source: the child's birth date, custody holders, registered GP."""
    relations: SourceId
    """The relation-evidence source (BRS style)."""
    staff: SourceId
    """The staff register: who works where, with their health-professional authorisation.
    Asked when a requester claims an authorisation or a secretary names a clinician."""


class SourceList(_Strict):
    """The source systems the broker reads from, and which of them give the decision's facts."""

    sources: list[SourceSpec]
    facts: FactSources

    @model_validator(mode="after")
    def _consistent(self) -> SourceList:
        ids = [s.id for s in self.sources]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"source ids must be unique: {', '.join(duplicates)}")
        known = catalogue().categories
        for source in self.sources:
            if source.category is not None and source.category not in known:
                raise ValueError(
                    f"source {source.id} serves {source.category!r}, which is not a data "
                    "category of the policy; add the category to the policy first"
                )
        for role, ref in (
            ("person", self.facts.person),
            ("relations", self.facts.relations),
            ("staff", self.facts.staff),
        ):
            if ref not in ids:
                raise ValueError(f"facts.{role} names {ref!r}, which is not a source")
        return self

    def source(self, source_id: str) -> SourceSpec:
        return next(s for s in self.sources if s.id == source_id)

    def for_category(self, category: str) -> list[SourceSpec]:
        return [s for s in self.sources if s.category == category]

    def categories(self) -> list[str]:
        """Every category some source serves, in catalogue order."""
        served = {s.category for s in self.sources}
        return [c for c in catalogue().categories if c in served]


SANDBOX = "{sandbox}"


def parse_sources(text: str, *, sandbox_url: str | None = None) -> SourceList:
    """Validate the source list's YAML. `{sandbox}` in a base URL is replaced by the sandbox's URL;
    without a sandbox such a source stays unconfigured: it is never called and is
    reported as an error (fail closed), so the service still starts and decides."""
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise ConfigError("the source list must be a mapping", field="sources")
    for entry in raw.get("sources") or []:
        url = entry.get("base_url") if isinstance(entry, dict) else None
        if isinstance(url, str) and SANDBOX in url and sandbox_url is not None:
            entry["base_url"] = url.replace(SANDBOX, sandbox_url.rstrip("/"))
    return SourceList.model_validate(raw)


def load_sources(path: Path = DEFAULT_SOURCES, *, sandbox_url: str | None = None) -> SourceList:
    return parse_sources(path.read_text(encoding="utf-8"), sandbox_url=sandbox_url)
