"""Settings: one class, read from HOI_* environment variables, cached."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOI_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    engine: Literal["embedded", "opa"] = "embedded"
    opa_url: str | None = None
    """An OPA server already running our bundle. Unset: start a local one."""
    var_dir: Path = Path("var")
    database_url: str | None = None
    """SQLAlchemy URL; unset means a SQLite file under var_dir."""
    decision_timeout_s: float = 2.0
    max_body_bytes: int = 64 * 1024
    seed_demo_data: bool = True
    demo_reference_date: date | None = None
    """The day the synthetic population's events are laid around; unset: today."""
    sources: Literal["sandbox", "configured"] = "sandbox"
    """Data sources for the broker and the facts: `sandbox` serves the synthetic
    sources over HTTP on loopback (development, tests); `configured` uses the
    registry's base URLs as written."""
    source_registry: Path | None = None
    """The source registry YAML; unset: broker/sources.yaml."""
    sandbox_url: str | None = None
    """With sources=sandbox: a sandbox already running there; unset: start one in-process."""
    sandbox_port: int = 0
    """With sources=sandbox and no sandbox_url: the loopback port (0: any free port)."""
    facts: Literal["auto", "sources", "local"] = "auto"
    """Where the child and relation facts come from: the CPR and relation sources, or
    the in-process population (`local`). `auto`: local when a test passes its own
    population (the compliance scenarios), the sources otherwise."""

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'hoi.db'}"

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.environment == "production":
            if self.seed_demo_data:
                raise ValueError(
                    "production must not load synthetic demo data (set HOI_SEED_DEMO_DATA=false)"
                )
            if self.database_url is None:
                raise ValueError("production needs HOI_DATABASE_URL")
            if self.sources == "sandbox":
                raise ValueError("production must not use sandbox sources (set HOI_SOURCES)")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
