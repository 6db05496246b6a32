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
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
