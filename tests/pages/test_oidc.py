"""Production sign-in for the pages: OpenID Connect's authorization-code flow with
PKCE (S256), state and nonce, against the sandbox identity provider (sandbox/idp.py)
over real loopback HTTP, and against a made-up provider that misbehaves.

Abuse tests first. Seen failing before the fix: every test here failed against the
branch's starting point (no `/pages/sign-in/start` nor `/pages/sign-in/callback`, no
sandbox identity provider, the picker and the token form open whatever was
configured). Then, with the fix in place, each check was taken out once and its
test seen failing (tests/pages/test_oidc.py, one mutation at a time): the state
comparison in pages/oidc.py (wrong state test); the callback's deletion of the flow
cookie, and apart from it the provider's single-use code (`pop` made `get`) (replay
test, each alone); `safe_next` on the flow's `next` at the start and at the
callback, both taken out (off-site test); the ID token's nonce check (nonce test);
the provider's PKCE comparison (verifier mismatch test); and the pages' refusal of
the picker, and apart from it of the token form, under OpenID Connect (picker
test, each alone)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey

from api.settings import Settings
from pages.oidc import OidcClient, OidcConfig
from tests.conftest import AppFactory, idp_key, jwks, production, token_for
from tests.pages.helpers import csrf, stories

REDIRECT = "http://testserver/pages/sign-in/callback"
FLOW_COOKIE = "hoi_oidc"


def oidc_client(make_client: AppFactory) -> TestClient:
    """The development service signing in through the sandbox identity provider,
    as production signs in through its own."""
    return make_client(anonymous=True, sandbox_idp=True, oidc_redirect_uri=REDIRECT)


def issuer_of(client: TestClient) -> str:
    oidc: OidcClient = client.app.state.services.oidc  # type: ignore[attr-defined]
    return oidc.config.issuer


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def start(client: TestClient, next: str | None = None) -> str:
    """Press the sign-in button: the page sends the browser to the provider."""
    answer = client.get(
        "/pages/sign-in/start", params={"next": next} if next else None, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def pick(authorize_url: str, person: str) -> str:
    """At the sandbox provider: open its picker and choose a person; the provider
    sends the browser back with a code. Returns where it sends it."""
    shown = httpx.get(authorize_url)
    assert shown.status_code == 200, shown.text
    assert f'value="{person}"' in shown.text
    endpoint = authorize_url.split("?", 1)[0]
    chosen = httpx.post(endpoint, data={**query(authorize_url), "person": person})
    assert chosen.status_code == 303, chosen.text
    location: str = chosen.headers["location"]
    return location


def back(client: TestClient, location: str) -> httpx.Response:
    """The browser arrives back at the service's callback."""
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def session_set(answer: httpx.Response) -> bool:
    return any(
        c.startswith("hoi_session=") and not c.startswith('hoi_session=""')
        for c in answer.headers.get_list("set-cookie")
    )


# --- abuse: the service's side ------------------------------------------------


def test_a_callback_with_a_wrong_or_missing_state_is_refused(make_client: AppFactory) -> None:
    client = oidc_client(make_client)
    arrived = pick(start(client), "caseworker")
    params = query(arrived)
    flow = client.cookies.get(FLOW_COOKIE)
    assert flow
    for state in ({"state": params["state"][:-2] + "xx"}, {}):
        client.cookies.set(FLOW_COOKIE, flow, path="/pages/sign-in")
        answer = client.get("/pages/sign-in/callback", params={"code": params["code"], **state})
        assert answer.status_code == 401
        assert "Log-ind kunne ikke gennemføres" in answer.text
        assert not session_set(answer)
    # A callback in a browser that never started a flow (login CSRF) is refused too.
    stranger = make_client(anonymous=True, sandbox_idp=True, oidc_redirect_uri=REDIRECT)
    answer = back(stranger, pick(start(client), "gp"))
    assert answer.status_code == 401
    assert "Log-ind kunne ikke gennemføres" in answer.text
    assert not session_set(answer)


def test_a_replayed_code_is_refused(make_client: AppFactory) -> None:
    client = oidc_client(make_client)
    arrived = pick(start(client), "caseworker")
    flow = client.cookies.get(FLOW_COOKIE)
    assert flow
    first = back(client, arrived)
    assert first.status_code == 200 and session_set(first)
    assert FLOW_COOKIE not in client.cookies  # the flow is over
    client.cookies.clear()
    client.cookies.set(FLOW_COOKIE, flow, path="/pages/sign-in")  # as if kept by an attacker
    again = back(client, arrived)
    assert again.status_code == 401
    assert not session_set(again)


def test_a_next_pointing_off_site_is_dropped(make_client: AppFactory) -> None:
    for off_site in ("https://evil.example/pages/x", "//evil.example/pages/x", "/pages\\@evil"):
        client = oidc_client(make_client)
        authorize = start(client, next=off_site)
        assert "evil" not in authorize
        answer = back(client, pick(authorize, "caseworker"))
        assert answer.status_code == 200
        assert "evil" not in answer.text
        assert 'content="0;url=/pages/professional"' in answer.text


def test_the_picker_and_the_token_form_are_refused_under_openid_connect(
    make_client: AppFactory,
) -> None:
    client = oidc_client(make_client)
    page = client.get("/pages/sign-in")
    assert page.status_code == 200
    assert 'name="person"' not in page.text
    assert "access_token" not in page.text
    assert "Log ind med din organisations login" in page.text
    assert 'href="/pages/sign-in/start' in page.text
    token = csrf(client)
    picked = client.post(
        "/pages/sign-in", data={"csrf": token, "person": "caseworker"}, follow_redirects=False
    )
    assert picked.status_code == 403
    assert not session_set(picked)
    handed = client.post(
        "/pages/sign-in/token",
        data={"csrf": token, "access_token": token_for()},
        follow_redirects=False,
    )
    assert handed.status_code == 403
    assert not session_set(handed)
    # A service that has a picker too (a development one) refuses it all the same.
    both, _ = with_fake(make_client, lambda fake, nonce: {})
    assert both.app.state.services.sign_in is not None  # type: ignore[attr-defined]
    assert 'name="person"' not in both.get("/pages/sign-in").text
    picked = both.post(
        "/pages/sign-in", data={"csrf": csrf(both), "person": "caseworker"}, follow_redirects=False
    )
    assert picked.status_code == 403
    assert not session_set(picked)


def test_the_sign_in_button_in_english(make_client: AppFactory) -> None:
    client = oidc_client(make_client)
    client.cookies.set("hoi_lang", "en", path="/pages")
    page = client.get("/pages/sign-in")
    assert "Sign in with your organisation&#39;s login" in page.text
    assert 'name="person"' not in page.text


# --- abuse: a made-up provider that misbehaves --------------------------------

FAKE_ISSUER = "https://idp.fake.example"
CLIENT_ID = "hoi-pages"


class FakeProvider:
    """An identity provider answering through httpx's MockTransport; each test
    says what its token endpoint hands out."""

    def __init__(self, tokens: Callable[[str], dict[str, Any]]) -> None:
        self.key = idp_key("fake-idp-1")
        self.tokens = tokens
        self.nonce = ""
        self.token_requests: list[httpx.Request] = []

    def id_token(self, nonce: str, issuer: str = FAKE_ISSUER) -> str:
        now = int(datetime.now(UTC).timestamp())
        claims = {
            "iss": issuer,
            "aud": CLIENT_ID,
            "sub": "person-1",
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
        }
        return jwt.encode({"alg": "ES256", "kid": "fake-idp-1"}, claims, self.key)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": FAKE_ISSUER,
                    "authorization_endpoint": f"{FAKE_ISSUER}/authorize",
                    "token_endpoint": f"{FAKE_ISSUER}/token",
                    "jwks_uri": f"{FAKE_ISSUER}/jwks",
                    "code_challenge_methods_supported": ["S256"],
                },
            )
        if path == "/jwks":
            return httpx.Response(200, json=jwks(self.key))
        if path == "/token":
            self.token_requests.append(request)
            return httpx.Response(200, json={"token_type": "Bearer", **self.tokens(self.nonce)})
        return httpx.Response(404)


def honest(fake: FakeProvider, nonce: str) -> dict[str, Any]:
    """What a provider that follows the protocol answers: our token and its ID token."""
    return {"access_token": token_for(), "id_token": fake.id_token(nonce)}


def with_fake(
    make_client: AppFactory,
    tokens: Callable[[FakeProvider, str], dict[str, Any]],
    secret: str | None = None,
) -> tuple[TestClient, FakeProvider]:
    client = make_client(anonymous=True)
    fake = FakeProvider(lambda nonce: tokens(fake, nonce))
    client.app.state.services.oidc = OidcClient(  # type: ignore[attr-defined]
        OidcConfig(
            issuer=FAKE_ISSUER,
            client_id=CLIENT_ID,
            client_secret=secret,
            redirect_uri=REDIRECT,
            algorithms=("ES256",),
            allow_dev_keys=True,
        ),
        httpx.AsyncClient(transport=httpx.MockTransport(fake.handle)),
    )
    return client, fake


def through_fake(client: TestClient, fake: FakeProvider) -> httpx.Response:
    authorize = query(start(client))
    fake.nonce = authorize["nonce"]
    return client.get(
        "/pages/sign-in/callback",
        params={"code": "a-code", "state": authorize["state"]},
        follow_redirects=False,
    )


@pytest.mark.parametrize(
    "claims",
    [{"issuer": "https://another-idp.example"}, {"audience": "another-service"}],
    ids=["another-issuer", "wrong-audience"],
)
def test_an_access_token_of_another_issuer_or_audience_is_refused(
    make_client: AppFactory, claims: dict[str, str]
) -> None:
    client, fake = with_fake(
        make_client,
        lambda fake, nonce: {
            "access_token": token_for(None, **claims),
            "id_token": fake.id_token(nonce),
        },
    )
    answer = through_fake(client, fake)
    assert answer.status_code == 401
    assert not session_set(answer)


def test_the_same_token_from_the_right_issuer_starts_a_session(make_client: AppFactory) -> None:
    """The fake provider's flow works when nothing is wrong: the refusals above
    are the token's fault, not the fake's."""
    client, fake = with_fake(
        make_client,
        honest,
    )
    answer = through_fake(client, fake)
    assert answer.status_code == 200
    assert session_set(answer)


def test_a_confidential_client_authenticates_and_sends_the_verifier(
    make_client: AppFactory,
) -> None:
    """client_secret_basic (RFC 6749, 2.3.1: both parts form-encoded), the PKCE
    verifier whose challenge went out, and the redirect URI of the flow."""
    client, fake = with_fake(
        make_client,
        honest,
        secret="s3cret:with/odd&chars",
    )
    authorize = query(start(client))
    fake.nonce = authorize["nonce"]
    answer = client.get(
        "/pages/sign-in/callback",
        params={"code": "a-code", "state": authorize["state"]},
        follow_redirects=False,
    )
    assert answer.status_code == 200 and session_set(answer), answer.text
    (sent,) = fake.token_requests
    expected = base64.b64encode(b"hoi-pages:s3cret%3Awith%2Fodd%26chars").decode()
    assert sent.headers["authorization"] == f"Basic {expected}"
    form = {k: v[0] for k, v in parse_qs(sent.content.decode()).items()}
    assert "client_id" not in form and "client_secret" not in form
    assert form["redirect_uri"] == REDIRECT and form["code"] == "a-code"
    assert challenge(form["code_verifier"]) == authorize["code_challenge"]


def test_a_refusal_at_the_provider_starts_no_session(make_client: AppFactory) -> None:
    client, fake = with_fake(
        make_client,
        honest,
    )
    authorize = query(start(client))
    answer = client.get(
        "/pages/sign-in/callback",
        params={"error": "access_denied", "state": authorize["state"]},
        follow_redirects=False,
    )
    assert answer.status_code == 401
    assert not session_set(answer)
    assert fake.token_requests == []


def test_an_answer_naming_another_provider_is_refused(make_client: AppFactory) -> None:
    """RFC 9207: the `iss` parameter, when the provider sends it, must be ours."""
    client, _ = with_fake(
        make_client,
        honest,
    )
    authorize = query(start(client))
    answer = client.get(
        "/pages/sign-in/callback",
        params={"code": "a-code", "state": authorize["state"], "iss": "https://mix-up.example"},
        follow_redirects=False,
    )
    assert answer.status_code == 401
    assert not session_set(answer)


@pytest.mark.parametrize("which", ["nonce", "issuer", "missing"])
def test_an_id_token_of_another_flow_or_issuer_is_refused(
    make_client: AppFactory, which: str
) -> None:
    def tokens(fake: FakeProvider, nonce: str) -> dict[str, Any]:
        if which == "missing":
            return {"access_token": token_for()}
        if which == "nonce":
            return {"access_token": token_for(), "id_token": fake.id_token("another-flow")}
        return {
            "access_token": token_for(),
            "id_token": fake.id_token(nonce, issuer="https://another-idp.example"),
        }

    client, fake = with_fake(make_client, tokens)
    answer = through_fake(client, fake)
    assert answer.status_code == 401
    assert not session_set(answer)


# --- abuse: the sandbox provider ----------------------------------------------


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def code_for(issuer: str, verifier: str, person: str = "caseworker") -> str:
    params = {
        "response_type": "code",
        "client_id": "hoi-pages",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s" * 32,
        "nonce": "n" * 32,
        "code_challenge": challenge(verifier),
        "code_challenge_method": "S256",
    }
    location = pick(f"{issuer}/authorize?{urlencode(params)}", person)
    assert location.startswith(REDIRECT + "?")
    return query(location)["code"]


def redeem(issuer: str, code: str, verifier: str, **changes: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "hoi-pages",
        "code_verifier": verifier,
        **changes,
    }
    return httpx.post(f"{issuer}/token", data=form)


def test_the_sandbox_provider_refuses_a_pkce_verifier_mismatch(make_client: AppFactory) -> None:
    issuer = issuer_of(oidc_client(make_client))
    verifier = secrets.token_urlsafe(48)
    code = code_for(issuer, verifier)
    wrong = redeem(issuer, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert "access_token" not in wrong.json()
    # The failed attempt used the code up: the right verifier comes too late.
    assert redeem(issuer, code, verifier).status_code == 400


def test_the_sandbox_provider_hands_out_a_code_once(make_client: AppFactory) -> None:
    issuer = issuer_of(oidc_client(make_client))
    verifier = secrets.token_urlsafe(48)
    code = code_for(issuer, verifier)
    first = redeem(issuer, code, verifier)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    assert redeem(issuer, code, verifier).json()["error"] == "invalid_grant"
    other = code_for(issuer, verifier)
    assert redeem(issuer, other, verifier, client_id="another-client").status_code == 401
    other = code_for(issuer, verifier)
    assert (
        redeem(issuer, other, verifier, redirect_uri="http://testserver/elsewhere").status_code
        == 400
    )


def test_the_sandbox_provider_refuses_a_flow_without_pkce_or_elsewhere(
    make_client: AppFactory,
) -> None:
    issuer = issuer_of(oidc_client(make_client))
    good = {
        "response_type": "code",
        "client_id": "hoi-pages",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s" * 32,
        "nonce": "n" * 32,
        "code_challenge": challenge("v" * 50),
        "code_challenge_method": "S256",
    }
    # An unregistered redirect URI or client: an error page, never a redirect.
    for bad in ({"redirect_uri": "https://evil.example/cb"}, {"client_id": "someone"}):
        answer = httpx.get(f"{issuer}/authorize", params={**good, **bad})
        assert answer.status_code == 400
        assert "location" not in answer.headers
    # No PKCE, or the plain method: sent back with an error, no code.
    for bad in ({"code_challenge": ""}, {"code_challenge_method": "plain"}):
        answer = httpx.get(f"{issuer}/authorize", params={**good, **bad})
        assert answer.status_code == 303
        sent = query(answer.headers["location"])
        assert sent["error"] == "invalid_request" and "code" not in sent


# --- the happy path -------------------------------------------------------------


def test_a_professional_signs_in_through_the_provider(make_client: AppFactory) -> None:
    alma = stories()[0]
    client = oidc_client(make_client)
    overview = f"/pages/overview?cpr={alma.record.cpr}&purpose=social_case_work"
    authorize = start(client, next=overview)
    issuer = issuer_of(client)
    assert authorize.startswith(f"{issuer}/authorize?")
    sent = query(authorize)
    assert sent["code_challenge_method"] == "S256"
    assert sent["client_id"] == "hoi-pages" and sent["redirect_uri"] == REDIRECT
    assert len(sent["state"]) >= 32 and len(sent["nonce"]) >= 32
    assert "code_verifier" not in sent and "next" not in sent
    flow_cookie = next(
        c for c in client.cookies.jar if c.name == FLOW_COOKIE
    )  # HttpOnly and SameSite=Lax below
    assert flow_cookie.path == "/pages/sign-in"
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == issuer
    assert discovery["code_challenge_methods_supported"] == ["S256"]

    answer = back(client, pick(authorize, "caseworker"))
    assert answer.status_code == 200
    assert 'content="0;url=/pages/sign-in/landing"' in answer.text
    assert alma.record.cpr not in answer.text
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("hoi_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session
    assert any(c.startswith(f'{FLOW_COOKIE}=""') for c in cookies)  # the flow is over
    landing = client.get("/pages/sign-in/landing", follow_redirects=False)
    assert landing.status_code == 303
    assert landing.headers["location"] == overview
    page = client.get(overview)
    assert page.status_code == 200
    assert "Aftaler i børne- og ungdomspsykiatrien" in page.text


def test_the_flow_cookie_is_httponly_lax_and_short_lived(make_client: AppFactory) -> None:
    client = oidc_client(make_client)
    answer = client.get("/pages/sign-in/start", follow_redirects=False)
    flow = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(FLOW_COOKIE))
    assert "HttpOnly" in flow and "SameSite=lax" in flow and "Path=/pages/sign-in" in flow
    assert "Max-Age=600" in flow


# --- settings -------------------------------------------------------------------


def test_production_openid_connect_settings_are_checked(tmp_path: Path) -> None:
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(jwks(ECKey.generate_key("P-256", parameters={"kid": "idp-1"}))))
    ok = {
        "auth_jwks_file": keys,
        "oidc_issuer": "https://idp.region.example",
        "oidc_client_id": "hoi-pages",
        "oidc_redirect_uri": "https://hoi.region.example/pages/sign-in/callback",
    }
    assert production(tmp_path, **ok).oidc_issuer == "https://idp.region.example"
    for bad in (
        {"oidc_issuer": "http://idp.region.example"},
        {"oidc_redirect_uri": "http://hoi.region.example/pages/sign-in/callback"},
        {"oidc_redirect_uri": None},
        {"oidc_client_id": None},
        {"sandbox_idp": True},
    ):
        with pytest.raises(ValueError):
            production(tmp_path, **{**ok, **bad})
    with pytest.raises(ValueError):
        Settings(oidc_issuer="https://idp.example")  # no client id
