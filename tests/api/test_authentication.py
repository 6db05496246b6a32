"""Who may call: every API route but the public ones needs a valid bearer token,
and the token, not the body, says who the caller is."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from auth.keys import dev_signing_key
from auth.tokens import mint
from sandbox.app import create_app
from tests.audit.helpers import pilot
from tests.conftest import (
    DEFAULT_SUBJECT,
    IDP_ISSUER,
    AppFactory,
    auditor_headers,
    auth_headers,
    citizen_headers,
    idp_key,
    jwks,
    production,
    signing_key_file,
    token_for,
)

ALMA = "6809144615"  # the seeded child of examples/caseworker-psychiatry.json
QUESTION: dict[str, Any] = {
    "resource": {"child_cpr": ALMA, "categories": ["psychiatry_appointments"]},
    "context": {"purpose": "social_case_work"},
}
PSYCHIATRIST = {
    "id": "bup-psychiatrist-1",
    "role": "bup_psychiatrist",
    "organisation": {"type": "region_psychiatry", "id": "bup-rn-aalborg-amb"},
    "health_professional": True,
}


@pytest.fixture
def anonymous(make_client: AppFactory) -> TestClient:
    return make_client(anonymous=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthenticated(response: Any, says: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="hoi-policy"')
    problem = response.json()
    assert problem["status"] == 401
    assert says in problem["detail"]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- tokens that must be refused -------------------------------------------------------


def test_a_request_without_a_token_is_refused_with_a_bearer_challenge(
    anonymous: TestClient,
) -> None:
    response = anonymous.post("/v1/decisions", json={**QUESTION, "subject": DEFAULT_SUBJECT})
    assert_unauthenticated(response, "needs a bearer token")
    # RFC 6750: no error code when no token was sent at all.
    assert "error=" not in response.headers["www-authenticate"]


def test_a_forged_token_is_refused(anonymous: TestClient) -> None:
    """Signed by someone else's key that claims the trusted key's id."""
    trusted = dev_signing_key(signing_key_file())
    forger = ECKey.generate_key("P-256", parameters={"kid": trusted.kid or ""})
    token = jwt.encode(
        {"alg": "ES256", "kid": trusted.kid},
        jwt.decode(token_for(), trusted).claims,
        forger,
        algorithms=["ES256"],
    )
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(token))
    assert_unauthenticated(response, "signature does not verify")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_token_with_a_tampered_payload_is_refused(anonymous: TestClient) -> None:
    header, payload, signature = token_for().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "bup_psychiatrist"
    forged = ".".join([header, _b64(claims), signature])
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(forged))
    assert_unauthenticated(response, "signature does not verify")


def test_an_expired_token_is_refused(anonymous: TestClient) -> None:
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    token = token_for(now=two_hours_ago, lifetime=timedelta(hours=1))
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(token))
    assert_unauthenticated(response, "expired")


def test_a_token_for_another_audience_is_refused(anonymous: TestClient) -> None:
    token = token_for(audience="the-correspondence-module")
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(token))
    assert_unauthenticated(response, "another audience")


def test_a_token_from_another_issuer_is_refused(anonymous: TestClient) -> None:
    token = token_for(issuer="https://idp.someone-else.example")
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(token))
    assert_unauthenticated(response, "issuer this service does not trust")


def test_a_token_not_valid_yet_is_refused(anonymous: TestClient) -> None:
    token = token_for(now=datetime.now(UTC) + timedelta(hours=1))
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"] in (
        "the token is not valid yet",
        "the token was issued in the future",
    )


def test_an_unsigned_token_is_refused(anonymous: TestClient) -> None:
    claims = jwt.decode(token_for(), dev_signing_key(signing_key_file())).claims
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(unsigned))
    assert response.status_code == 401


def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(
    anonymous: TestClient,
) -> None:
    """The classic algorithm-confusion attack: HS256 keyed with our public key."""
    trusted = dev_signing_key(signing_key_file())
    public = json.dumps(trusted.as_dict(private=False)).encode()
    claims = jwt.decode(token_for(), trusted).claims
    token = jwt.encode(
        {"alg": "HS256", "kid": trusted.kid}, claims, OctKey.import_key(public), ["HS256"]
    )
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(token))
    assert_unauthenticated(response, "not accepted")


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt", "Bearer a.b.c", "Token abc"],
)
def test_malformed_authorization_headers_are_refused(anonymous: TestClient, header: str) -> None:
    response = anonymous.post("/v1/decisions", json=QUESTION, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_professional_token_without_an_organisation_is_refused(anonymous: TestClient) -> None:
    token = token_for({"id": "cw-1", "role": "municipal_caseworker"})
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(token))
    assert_unauthenticated(response, "organisation")


def test_a_citizen_token_without_a_cpr_claim_is_refused(anonymous: TestClient) -> None:
    token = token_for({"id": "citizen-1", "role": "citizen"})
    response = anonymous.get(f"/v1/children/{ALMA}/consents", headers=bearer(token))
    assert_unauthenticated(response, "cpr claim")


def test_the_token_is_checked_before_the_body_is_read(anonymous: TestClient) -> None:
    response = anonymous.post(
        "/v1/decisions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 401


def test_public_routes_need_no_token(anonymous: TestClient) -> None:
    for path in (
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/docs",
        "/.well-known/authzen-configuration",
    ):
        assert anonymous.get(path).status_code == 200, path


# --- the token, not the body, says who asks -----------------------------------------


def test_the_subject_comes_from_the_token_when_the_body_leaves_it_out(
    make_client: AppFactory,
) -> None:
    client = make_client()
    response = client.post("/v1/decisions", json=QUESTION)
    assert response.status_code == 200, response.text
    assert response.json()["categories"]["psychiatry_appointments"]["decision"] == "permit"


def test_a_body_subject_that_matches_the_token_is_accepted(make_client: AppFactory) -> None:
    client = make_client()
    response = client.post("/v1/decisions", json={**QUESTION, "subject": DEFAULT_SUBJECT})
    assert response.status_code == 200, response.text


def test_a_body_claiming_a_stronger_role_than_the_token_is_refused(
    make_client: AppFactory,
) -> None:
    """A caseworker's token with a body that says 'psychiatrist' gets nothing."""
    client = make_client()
    claimed = {**DEFAULT_SUBJECT, "role": "bup_psychiatrist", "health_professional": True}
    response = client.post("/v1/decisions", json={**QUESTION, "subject": claimed})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "subject.role"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "cw-851-family-2"}, "subject.id"),
        ({"organisation": {"type": "municipality", "id": "849-family"}}, "subject.organisation"),
        ({"health_professional": True}, "subject.health_professional"),
    ],
)
def test_a_body_naming_anyone_else_is_refused(
    make_client: AppFactory, change: dict[str, Any], field: str
) -> None:
    client = make_client()
    response = client.post(
        "/v1/decisions", json={**QUESTION, "subject": {**DEFAULT_SUBJECT, **change}}
    )
    assert response.status_code == 403
    assert response.json()["field"] == field


def test_the_tokens_role_decides_not_the_bodys(make_client: AppFactory) -> None:
    """A psychiatrist's token asking for school data is judged as a psychiatrist."""
    client = make_client(subject=PSYCHIATRIST)
    body = {**QUESTION, "resource": {"child_cpr": ALMA, "categories": ["school_daycare"]}}
    response = client.post(
        "/v1/decisions", json={**body, "context": {"purpose": "current_treatment"}}
    )
    assert response.status_code == 200
    outcome = response.json()["categories"]["school_daycare"]
    assert outcome["decision"] == "deny"


def test_a_system_acting_for_a_professional_gets_the_professionals_decision(
    make_client: AppFactory,
) -> None:
    client = make_client(anonymous=True)
    headers = auth_headers(DEFAULT_SUBJECT, act="sys-sapa-municipal-view")
    response = client.post("/v1/decisions", json=QUESTION, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["categories"]["psychiatry_appointments"]["decision"] == "permit"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda: citizen_headers(ALMA), id="citizen"),
        pytest.param(auditor_headers, id="auditor"),
        pytest.param(lambda: auth_headers({"id": "sys-epj", "role": "system"}), id="system"),
    ],
)
def test_only_professionals_ask_for_decisions(make_client: AppFactory, headers: Any) -> None:
    client = make_client(anonymous=True)
    response = client.post("/v1/decisions", json=QUESTION, headers=headers())
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


# --- who may use the registry ----------------------------------------------------------

CONSENT = {
    "regime": "sul-43-1",
    "categories": ["psychiatry_appointments"],
    "recipient": {"organisation_id": "851-family"},
    "form": "written",
    "given_on": "2026-11-01",
}


def test_a_professional_in_an_unknown_role_records_nothing(make_client: AppFactory) -> None:
    client = make_client(
        subject={
            "id": "t-1",
            "role": "teacher",
            "organisation": {"type": "municipality", "id": "851-ppr"},
        }
    )
    response = client.post(f"/v1/children/{ALMA}/consents", json=CONSENT)
    assert response.status_code == 403


def test_a_child_under_15_records_nothing_a_custody_holder_does(make_client: AppFactory) -> None:
    client = make_client(anonymous=True)
    response = client.post(
        f"/v1/children/{ALMA}/consents", json=CONSENT, headers=citizen_headers(ALMA)
    )
    assert response.status_code == 422
    assert response.json()["type"].endswith("/not-entitled")
    mother = pilot().children[ALMA].record.custody_holders[0]
    response = client.post(
        f"/v1/children/{ALMA}/consents", json=CONSENT, headers=citizen_headers(mother)
    )
    assert response.status_code == 201, response.text


def test_custody_holders_and_auditors_read_the_childs_consents_others_do_not(
    make_client: AppFactory,
) -> None:
    client = make_client()
    parent = pilot().children[ALMA].record.custody_holders[1]
    assert (
        client.get(f"/v1/children/{ALMA}/consents", headers=citizen_headers(parent)).status_code
        == 200
    )
    assert client.get(f"/v1/children/{ALMA}/blocks", headers=auditor_headers()).status_code == 200
    stranger = citizen_headers("6101804321")
    assert client.get(f"/v1/children/{ALMA}/consents", headers=stranger).status_code == 403


# --- token lifetime and replay -----------------------------------------------------


def test_a_token_that_lives_longer_than_an_hour_is_refused(anonymous: TestClient) -> None:
    token = token_for(lifetime=timedelta(hours=8))
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(token))
    assert_unauthenticated(response, "lives longer")


def test_a_token_without_exp_is_refused(anonymous: TestClient) -> None:
    key = dev_signing_key(signing_key_file())
    claims = jwt.decode(token_for(), key).claims
    del claims["exp"]
    token = jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key, algorithms=["ES256"])
    response = anonymous.post("/v1/decisions", json=QUESTION, headers=bearer(token))
    assert_unauthenticated(response, "exp")


CATALOGUE = "/v1/policy/catalogue"  # needs a token, and nothing from the sources


@pytest.fixture
def idp(tmp_path: Path) -> ECKey:
    key = idp_key("idp-1")
    (tmp_path / "jwks.json").write_text(json.dumps(jwks(key)))
    return key


def production_client(tmp_path: Path, **changes: Any) -> Iterator[TestClient]:
    settings = production(tmp_path, auth_jwks_file=tmp_path / "jwks.json", **changes)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def in_production(tmp_path: Path, idp: ECKey) -> Iterator[TestClient]:
    """The service as production configures it (HOI_ENVIRONMENT=production)."""
    yield from production_client(tmp_path)


def idp_token(key: ECKey, **claims: Any) -> str:
    """A professional's token from the identity provider, with `claims` set or,
    when None, left out."""
    token = mint(
        key,
        issuer=IDP_ISSUER,
        audience="hoi-policy",
        subject="gp-1",
        role="gp",
        organisation={"type": "gp_clinic", "id": "gp-laegerne-i-nibe"},
    )
    body = {**jwt.decode(token, key).claims, **claims}
    body = {name: value for name, value in body.items() if value is not None}
    return jwt.encode({"alg": "ES256", "kid": key.kid}, body, key, algorithms=["ES256"])


def test_production_accepts_a_token_from_the_identity_provider_again_and_again(
    in_production: TestClient, idp: ECKey
) -> None:
    """A bearer token is reused by its client for its lifetime (RFC 9068)."""
    headers = bearer(idp_token(idp))
    for _ in range(3):
        assert in_production.get(CATALOGUE, headers=headers).status_code == 200


def test_production_refuses_a_token_without_jti(in_production: TestClient, idp: ECKey) -> None:
    response = in_production.get(CATALOGUE, headers=bearer(idp_token(idp, jti=None)))
    assert_unauthenticated(response, "jti")


def test_production_refuses_another_token_that_replays_a_used_jti(
    in_production: TestClient, idp: ECKey
) -> None:
    """A second token carrying a jti already seen (re-signed, altered or issued
    twice) is a replay of that jti: refused for the first token's lifetime."""
    first = idp_token(idp, jti="idp-token-1")
    assert in_production.get(CATALOGUE, headers=bearer(first)).status_code == 200
    replay = idp_token(idp, jti="idp-token-1", health_professional=True)
    assert_unauthenticated(in_production.get(CATALOGUE, headers=bearer(replay)), "already used")
    assert in_production.get(CATALOGUE, headers=bearer(first)).status_code == 200


def test_production_refuses_a_single_use_token_the_second_time(
    in_production: TestClient, idp: ECKey
) -> None:
    headers = bearer(idp_token(idp, single_use=True))
    assert in_production.get(CATALOGUE, headers=headers).status_code == 200
    assert_unauthenticated(in_production.get(CATALOGUE, headers=headers), "already used")


def test_with_single_use_tokens_configured_every_token_is_refused_the_second_time(
    tmp_path: Path, idp: ECKey
) -> None:
    for client in production_client(tmp_path, auth_token_single_use=True):
        headers = bearer(idp_token(idp))
        assert client.get(CATALOGUE, headers=headers).status_code == 200
        assert_unauthenticated(client.get(CATALOGUE, headers=headers), "already used")


def test_a_replay_at_another_replica_is_refused(tmp_path: Path, idp: ECKey) -> None:
    """Two replicas share the production database, and so the replay store."""
    token = idp_token(idp, single_use=True)
    for first in production_client(tmp_path):
        assert first.get(CATALOGUE, headers=bearer(token)).status_code == 200
        for second in production_client(tmp_path):
            assert_unauthenticated(second.get(CATALOGUE, headers=bearer(token)), "already used")
