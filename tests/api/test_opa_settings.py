"""Production talks to OPA only over https or loopback, with a token."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from api.settings import Settings

PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "person_handle_key": "h" * 40,
    "seed_demo_data": False,
    "database_url": "sqlite:///prod.db",
    "audit_key": "k" * 40,
    "auth_jwks_file": "jwks.json",
    "auth_issuer": "https://idp.region.example",
    "engine": "opa",
    "opa_token": "t" * 43,
}


@pytest.mark.parametrize(
    "url",
    [
        "http://opa.region.example:8181",
        "http://10.0.0.5:8181",
        "http://127.0.0.1.opa.example:8181",
        "ftp://127.0.0.1:8181",
        "opa.region.example:8181",
    ],
)
def test_production_refuses_an_opa_url_that_is_neither_https_nor_loopback(url: str) -> None:
    with pytest.raises(ValidationError, match="HOI_OPA_URL must be https"):
        Settings(**PRODUCTION, opa_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "https://opa.region.example",
        "http://127.0.0.1:8181",
        "http://127.8.9.10:8181",
        "http://localhost:8181",
        "http://[::1]:8181",
    ],
)
def test_production_accepts_https_or_loopback(url: str) -> None:
    assert Settings(**PRODUCTION, opa_url=url).opa_url == url


@pytest.mark.parametrize("token", [None, "short"])
def test_production_with_opa_needs_a_token(token: str | None) -> None:
    with pytest.raises(ValidationError, match="HOI_OPA_TOKEN"):
        Settings(**{**PRODUCTION, "opa_token": token}, opa_url="https://opa.region.example")


def test_production_that_starts_its_own_opa_needs_a_signing_key() -> None:
    with pytest.raises(ValidationError, match="HOI_OPA_SIGNING_KEY"):
        Settings(**PRODUCTION)


@pytest.mark.parametrize(
    "settings",
    [{"engine": "opa"}, {"engine": "embedded", "opa_url": "http://127.0.0.1:8181"}],
    ids=["no sidecar", "embedded engine"],
)
def test_following_bundles_needs_an_opa_sidecar(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="HOI_OPA_FOLLOW_BUNDLES"):
        Settings(opa_follow_bundles=True, **settings)


def test_a_sidecar_that_follows_the_bundle_server_is_accepted() -> None:
    settings = Settings(**PRODUCTION, opa_url="http://127.0.0.1:8181", opa_follow_bundles=True)
    assert settings.opa_follow_bundles
