"""What a verified token says about the caller: kinds of caller and both identities."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from api.deps import CurrentCaller
from api.settings import DEV_ISSUER, Settings
from auth.keys import StaticKeys, dev_key_set, dev_signing_key
from auth.tokens import TokenVerifier, caller_from_claims
from policy.errors import Unauthenticated
from sandbox.app import create_app
from tests.conftest import (
    AUDIENCE,
    DEFAULT_SUBJECT,
    auth_headers,
    citizen_headers,
    signing_key_file,
)

BASE = {"iss": "hoi-policy-dev", "sub": "cw-851-family-1"}
ORG = {"type": "municipality", "id": "851-family"}


def test_a_professional_calling_directly() -> None:
    caller = caller_from_claims({**BASE, "role": "municipal_caseworker", "organisation": ORG})
    assert caller.kind == "professional"
    assert caller.acting_system is None
    assert caller.subject().role == "municipal_caseworker"


def test_a_system_acting_for_a_professional_keeps_both_identities() -> None:
    claims = {
        **BASE,
        "role": "municipal_caseworker",
        "organisation": ORG,
        "act": {"sub": "sys-sapa"},
    }
    caller = caller_from_claims(claims)
    assert caller.kind == "delegated"
    assert caller.id == "cw-851-family-1"
    assert caller.acting_system is not None and caller.acting_system.id == "sys-sapa"
    assert caller.subject().id == "cw-851-family-1"  # decided as the professional


def test_the_identity_providers_on_behalf_claim_is_kept_as_asserted() -> None:
    """A secretary's token names the clinician she works for; a system relaying her
    request keeps it."""
    bup = {"type": "region_psychiatry", "id": "bup-rn-aalborg-amb"}
    claims = {
        **BASE,
        "sub": "secretary-1",
        "role": "bup_medical_secretary",
        "organisation": bup,
        "acting_for": {"sub": "psychiatrist-1", "role": "bup_psychiatrist"},
        "act": {"sub": "sys-epj"},
    }
    subject = caller_from_claims(claims).subject()
    assert subject.acting_for is not None
    assert (subject.acting_for.id, subject.acting_for.role) == (
        "psychiatrist-1",
        "bup_psychiatrist",
    )
    assert subject.acting_for.asserted_by == "token"


@pytest.mark.parametrize("role", ["citizen", "auditor", "system"])
def test_only_a_professionals_token_may_say_on_whose_behalf(role: str) -> None:
    claims = {**BASE, "role": role, "cpr": "6809144615", "acting_for": {"sub": "p", "role": "gp"}}
    with pytest.raises(Unauthenticated, match="acting_for"):
        caller_from_claims(claims)


def test_a_citizen_is_known_by_cpr_but_never_shows_it() -> None:
    caller = caller_from_claims({**BASE, "sub": "c-1", "role": "citizen", "cpr": "6809144615"})
    assert caller.kind == "citizen"
    assert caller.cpr == "6809144615"
    assert "6809144615" not in repr(caller)


def test_a_cpr_claim_is_dropped_for_anyone_but_a_citizen() -> None:
    claims = {**BASE, "role": "gp", "organisation": ORG, "cpr": "6809144615"}
    assert caller_from_claims(claims).cpr is None


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        ({"role": "citizen", "cpr": "123"}, "cpr"),
        ({"role": "system", "act": {"sub": "sys-2"}}, "act claim"),
        ({"role": "Municipal Caseworker", "organisation": ORG}, "role"),
        ({"role": "gp", "organisation": {"type": "hospital", "id": "x"}}, "organisation"),
        ({"role": "gp", "organisation": ORG, "sub": "has spaces"}, "sub"),
    ],
)
def test_unusable_claims_are_refused_without_echoing_them(
    claims: dict[str, Any], says: str
) -> None:
    with pytest.raises(Unauthenticated, match=says) as raised:
        caller_from_claims({**BASE, **claims})
    assert "123" not in raised.value.detail


def test_current_caller_gives_routes_both_identities(tmp_path: Any) -> None:
    """How another route (the audit) reads who called."""
    app = create_app(
        Settings(environment="test", var_dir=tmp_path, dev_key_file=signing_key_file())
    )

    @app.get("/v1/test-whoami")
    def whoami(caller: CurrentCaller) -> dict[str, Any]:
        return caller.model_dump(mode="json", exclude={"cpr"})

    with TestClient(app) as client:
        direct = client.get("/v1/test-whoami", headers=auth_headers()).json()
        through = client.get("/v1/test-whoami", headers=auth_headers(act="sys-gp-system")).json()
        citizen = client.get("/v1/test-whoami", headers=citizen_headers("6809144615")).json()
        nobody = client.get("/v1/test-whoami")
    assert (direct["kind"], direct["id"], direct["role"]) == (
        "professional",
        DEFAULT_SUBJECT["id"],
        DEFAULT_SUBJECT["role"],
    )
    assert through["kind"] == "delegated"
    assert through["acting_system"]["id"] == "sys-gp-system"
    assert citizen["kind"] == "citizen"
    assert nobody.status_code == 401  # a route added later is protected by default


# --- lifetime and jti --------------------------------------------------------------


def dev_verifier(**options: Any) -> TokenVerifier:
    return TokenVerifier(
        keys=StaticKeys(dev_key_set(signing_key_file())),
        issuer=DEV_ISSUER,
        audience=AUDIENCE,
        algorithms=["ES256"],
        **options,
    )


def signed(drop: tuple[str, ...] = (), **claims: Any) -> str:
    """A development token with exactly these claims (a professional's by default)."""
    key = dev_signing_key(signing_key_file())
    now = int(time.time())
    body: dict[str, Any] = {
        **BASE,
        "aud": AUDIENCE,
        "role": "municipal_caseworker",
        "organisation": ORG,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    for name in drop:
        body.pop(name)
    return jwt.encode({"alg": "ES256", "kid": key.kid}, body, key, algorithms=["ES256"])


def verify(token: str, **options: Any) -> Any:
    return asyncio.run(dev_verifier(**options).verify(token))


def test_a_token_that_lives_an_hour_is_accepted() -> None:
    now = int(time.time())
    assert verify(signed(iat=now, exp=now + 3600)).id == BASE["sub"]


@pytest.mark.parametrize(
    ("changes", "drop", "says"),
    [
        pytest.param({"exp_in": 3601}, (), "lives longer", id="iat-to-exp-over-an-hour"),
        pytest.param({"exp_in": 24 * 3600}, (), "lives longer", id="a-day"),
        pytest.param({"exp_in": 3600, "nbf_at": -60}, ("iat",), "lives longer", id="from-nbf"),
        pytest.param({}, ("iat", "nbf"), "iat", id="no-iat-nor-nbf"),
        pytest.param({}, ("exp",), "exp", id="no-exp"),
    ],
)
def test_a_token_whose_lifetime_is_too_long_or_unknown_is_refused(
    changes: dict[str, int], drop: tuple[str, ...], says: str
) -> None:
    now = int(time.time())
    claims: dict[str, Any] = {"iat": now, "nbf": now + changes.get("nbf_at", 0)}
    claims["exp"] = now + changes.get("exp_in", 600)
    with pytest.raises(Unauthenticated, match=says):
        verify(signed(drop=drop, **claims))


def test_without_iat_the_lifetime_counts_from_nbf() -> None:
    now = int(time.time())
    assert verify(signed(drop=("iat",), nbf=now, exp=now + 3600)).id == BASE["sub"]


def test_the_maximum_lifetime_is_configured() -> None:
    token = signed()  # ten minutes
    with pytest.raises(Unauthenticated, match="lives longer"):
        verify(token, max_lifetime_s=300)
    assert verify(token, max_lifetime_s=600).id == BASE["sub"]


def test_a_token_without_jti_is_refused_where_jti_is_required() -> None:
    with pytest.raises(Unauthenticated, match="jti"):
        verify(signed(drop=("jti",)), require_jti=True)
    assert verify(signed(drop=("jti",)), require_jti=False).id == BASE["sub"]


@pytest.mark.parametrize("jti", ["", 42, "x" * 257])
def test_an_unusable_jti_is_refused(jti: Any) -> None:
    with pytest.raises(Unauthenticated, match="jti"):
        verify(signed(jti=jti))


# --- signatures kept ------------------------------------------------------------


class _SwappableKeys:
    """A key source whose key set the identity provider can change."""

    def __init__(self, keys: Any) -> None:
        self.keys = keys

    async def key_set(self, *, refresh: bool = False) -> Any:
        return self.keys

    async def ready(self) -> bool:
        return True


def test_a_kept_signature_does_not_outlive_the_key_set_that_verified_it() -> None:
    source = _SwappableKeys(dev_key_set(signing_key_file()))
    verifier = dev_verifier()
    verifier.keys = source
    token = signed()
    assert asyncio.run(verifier.verify(token)).id == BASE["sub"]
    source.keys = KeySet([ECKey.generate_key("P-256", private=False)])  # the key is withdrawn
    with pytest.raises(Unauthenticated):
        asyncio.run(verifier.verify(token))


def test_a_kept_signature_does_not_keep_an_expired_token_alive() -> None:
    verifier = dev_verifier()
    now = int(time.time())
    token = signed(iat=now - 100, nbf=now - 100, exp=now + 5)
    assert asyncio.run(verifier.verify(token)).id == BASE["sub"]
    verifier.clock = lambda: datetime.now(UTC) + timedelta(seconds=120)  # past exp and leeway
    with pytest.raises(Unauthenticated, match="expired"):
        asyncio.run(verifier.verify(token))
