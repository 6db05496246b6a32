"""Signing keys: the development key, JWKS files and URLs, and what production refuses."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey, KeySet
from pydantic import ValidationError

from api.settings import DEV_ISSUER, Settings
from auth.keys import (
    DEV_KID_PREFIX,
    KeyConfigError,
    RemoteJwks,
    StaticKeys,
    dev_signing_key,
    parse_key_set,
)
from auth.tokens import TokenVerifier, mint
from policy.errors import Unauthenticated, Unavailable
from sandbox.app import build_dev_services
from tests.conftest import IDP_ISSUER as ISSUER
from tests.conftest import idp_key, jwks, production


def test_the_development_key_is_made_once_private_to_its_owner_and_marked_dev(
    tmp_path: Path,
) -> None:
    path = tmp_path / "var" / "dev-signing-key.jwk.json"
    first = dev_signing_key(path)
    assert (first.kid or "").startswith(DEV_KID_PREFIX)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert dev_signing_key(path).thumbprint() == first.thumbprint()


def test_a_published_key_set_with_private_keys_is_refused() -> None:
    key = idp_key("idp-1")
    with pytest.raises(KeyConfigError, match="private key material"):
        parse_key_set({"keys": [key.as_dict(private=True)]}, allow_dev=True, origin="test")


def test_development_keys_are_refused_where_dev_is_not_allowed(tmp_path: Path) -> None:
    dev = dev_signing_key(tmp_path / "dev.json")
    parse_key_set(jwks(dev), allow_dev=True, origin="test")
    with pytest.raises(KeyConfigError, match="development key"):
        parse_key_set(jwks(dev), allow_dev=False, origin="test")


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({}, "development signing key"),
        ({"auth_jwks_url": "https://idp.example/jwks", "auth_issuer": DEV_ISSUER}, "issuer"),
        ({"auth_jwks_url": "http://idp.example/jwks"}, "https only"),
        (
            {"auth_jwks_url": "https://idp.example/jwks", "auth_require_jti": False},
            "requires a jti",
        ),
    ],
)
def test_production_settings_refuse_development_auth(
    tmp_path: Path, changes: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValidationError, match=says):
        production(tmp_path, **changes)


@pytest.mark.parametrize("algorithms", [["HS256"], ["none"], ["ES256", "HS512"], []])
def test_symmetric_or_no_algorithms_are_refused_everywhere(algorithms: list[str]) -> None:
    with pytest.raises(ValidationError, match="asymmetric"):
        Settings(environment="development", auth_algorithms=algorithms)


def test_production_refuses_to_start_with_the_development_key_in_its_jwks_file(
    tmp_path: Path,
) -> None:
    dev = dev_signing_key(tmp_path / "var" / "dev-signing-key.jwk.json")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(dev)))
    with pytest.raises(KeyConfigError, match="development key"):
        build_dev_services(production(tmp_path, auth_jwks_file=path))


def test_production_refuses_the_development_key_even_renamed(tmp_path: Path) -> None:
    dev = dev_signing_key(tmp_path / "var" / "dev-signing-key.jwk.json")
    renamed = ECKey.import_key({**dev.as_dict(private=False), "kid": "looks-official"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(renamed)))
    with pytest.raises(KeyConfigError, match="development key"):
        build_dev_services(production(tmp_path, auth_jwks_file=path))


def test_production_starts_with_the_identity_providers_keys(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(idp_key("idp-1"))))
    services = build_dev_services(production(tmp_path, auth_jwks_file=path))
    asyncio.run(services.aclose())


class FakeIdp:
    """A JWKS endpoint that counts its fetches and can roll its key."""

    def __init__(self) -> None:
        self.key = idp_key("idp-1")
        self.fetches = 0
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        if self.down:
            return httpx.Response(503)
        return httpx.Response(200, json=jwks(self.key))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def remote(idp: FakeIdp, clock: Clock) -> RemoteJwks:
    client = httpx.AsyncClient(transport=httpx.MockTransport(idp.handler))
    return RemoteJwks(
        "https://idp.example/jwks", client, allow_dev=False, ttl_s=300, monotonic=clock
    )


def verifier(keys: RemoteJwks | StaticKeys) -> TokenVerifier:
    return TokenVerifier(keys=keys, issuer=ISSUER, audience="hoi-policy", algorithms=["ES256"])


def token(key: ECKey) -> str:
    return mint(
        key,
        issuer=ISSUER,
        audience="hoi-policy",
        subject="gp-1",
        role="gp",
        organisation={"type": "gp_clinic", "id": "gp-laegerne-i-nibe"},
    )


def test_a_jwks_url_is_cached_and_fetched_again_when_the_provider_rolls_its_key() -> None:
    idp, clock = FakeIdp(), Clock()
    check = verifier(remote(idp, clock))

    async def run() -> None:
        assert (await check.verify(token(idp.key))).id == "gp-1"
        assert (await check.verify(token(idp.key))).id == "gp-1"
        assert idp.fetches == 1
        idp.key = idp_key("idp-2")
        clock.now = 60  # past the minimum refresh interval
        assert (await check.verify(token(idp.key))).role == "gp"
        assert idp.fetches == 2

    asyncio.run(run())


def test_unknown_key_ids_cannot_make_us_hammer_the_identity_provider() -> None:
    idp, clock = FakeIdp(), Clock()
    check = verifier(remote(idp, clock))

    async def run() -> None:
        await check.verify(token(idp.key))
        for n in range(5):
            with pytest.raises(Unauthenticated, match="does not trust"):
                await check.verify(token(idp_key(f"made-up-{n}")))
        assert idp.fetches == 1

    asyncio.run(run())


def test_an_unreachable_identity_provider_is_unavailable_not_a_permit() -> None:
    idp, clock = FakeIdp(), Clock()
    idp.down = True
    keys = remote(idp, clock)

    async def run() -> None:
        with pytest.raises(Unavailable):
            await verifier(keys).verify(token(idp.key))
        assert await keys.ready() is False

    asyncio.run(run())


def test_a_static_key_set_verifies_its_own_tokens_only() -> None:
    key = idp_key("idp-1")
    check = verifier(StaticKeys(KeySet.import_key_set(jwks(key))))  # type: ignore[arg-type]

    async def run() -> None:
        assert (await check.verify(token(key))).kind == "professional"
        with pytest.raises(Unauthenticated):
            await check.verify(token(idp_key("idp-1")))

    asyncio.run(run())
