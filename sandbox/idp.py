"""A sandbox identity provider: OpenID Connect's authorization-code flow with PKCE,
for the development stack and the tests, in place of a region's or municipality's.

Served by the sandbox server at `/idp` (HOI_SANDBOX_IDP=true); the pages then sign
in through it exactly as production signs in through its own (pages/oidc.py):

- `GET /idp/.well-known/openid-configuration`: the metadata; `GET /idp/jwks`: the
  development key's public half;
- `GET /idp/authorize`: checks the client and its redirect URI (a wrong one is an
  error page, never a redirect), then the request (response type `code`, scope
  `openid`, a nonce, an S256 code challenge; otherwise back with an error), and
  shows a picker of the synthetic people (sandbox/signin.py);
- `POST /idp/authorize`: the chosen person; back to the client with a one-time
  code (and the `iss` parameter, RFC 9207);
- `POST /idp/token`: the code, once only and within a minute, for the client it
  was issued to, with the same redirect URI and the PKCE verifier whose S256
  challenge was sent; answers with an access token in the service's profile,
  signed with the development key the service trusts (the same token the picker
  mints), and an ID token carrying the nonce.

Codes live in memory: one sandbox server serves every worker of the service."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc import jwt

from api.settings import Settings
from auth.keys import DEV_ALGORITHM, dev_key_set, dev_signing_key
from sandbox.signin import SandboxSignIn
from tracing.setup import FASTAPI_TELEMETRY

CLIENT_ID = "hoi-pages"
CALLBACK_PATH = "/pages/sign-in/callback"
CODE_LIFETIME_S = 60
ID_TOKEN_LIFETIME_S = 300
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
PAGE_HEADERS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    **NO_STORE,
}


@dataclass(frozen=True)
class _Grant:
    """What a code was issued for."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    person: str
    expires: float


class _Refused(Exception):
    """An authorization request to answer with an error page, not a redirect."""


def _loopback_callback(uri: str) -> bool:
    parts = urlsplit(uri)
    if parts.scheme != "http" or parts.path != CALLBACK_PATH or parts.query or parts.fragment:
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class SandboxIdp:
    """The provider; `issuer` is set by the sandbox server once it listens."""

    def __init__(
        self,
        people: SandboxSignIn,
        settings: Settings,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str | None = None,
        redirect_uris: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = ""
        self._people = people
        self._settings = settings
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uris = tuple(redirect_uris)
        """Registered exactly; none: any loopback http URI of the pages' callback."""
        self._clock = clock
        self._codes: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self.app = self._build()

    def _allowed(self, redirect_uri: str) -> bool:
        if self._redirect_uris:
            return redirect_uri in self._redirect_uris
        return _loopback_callback(redirect_uri)

    def _check_client(self, params: dict[str, str]) -> str:
        if params.get("client_id") != self._client_id:
            raise _Refused("unknown client")
        redirect_uri = params.get("redirect_uri", "")
        if not self._allowed(redirect_uri):
            raise _Refused("this redirect URI is not registered for the client")
        return redirect_uri

    @staticmethod
    def _request_error(params: dict[str, str]) -> str | None:
        if params.get("response_type") != "code":
            return "unsupported_response_type"
        if "openid" not in params.get("scope", "").split():
            return "invalid_scope"
        if params.get("code_challenge_method") != "S256":
            return "invalid_request"
        if not CHALLENGE.fullmatch(params.get("code_challenge", "")):
            return "invalid_request"
        if not params.get("nonce") or not params.get("state"):
            return "invalid_request"
        return None

    def _back(self, redirect_uri: str, **answer: str) -> Response:
        return RedirectResponse(
            f"{redirect_uri}?{urlencode({**answer, 'iss': self.issuer})}",
            status_code=303,
            headers=NO_STORE,
        )

    def _picker(self, action: str, params: dict[str, str]) -> HTMLResponse:
        hidden = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
            for k, v in params.items()
            if k != "person"
        )
        items = "".join(
            f'<li><form method="post" action="{escape(action)}">{hidden}'
            f'<input type="hidden" name="person" value="{escape(p.key)}">'
            f'<button type="submit">{escape(p.name)} ({escape(p.role)}'
            f"{', ' + escape(p.organisation) if p.organisation else ''})</button></form></li>"
            for p in self._people.people()
        )
        html = (
            '<!doctype html><html lang="da"><head><meta charset="utf-8">'
            "<title>Sandkassens login</title></head><body><main>"
            "<h1>Sandkassens login</h1>"
            "<p>Syntetiske personer: vælg hvem du logger ind som. "
            '<span lang="en">Synthetic people: pick who you sign in as.</span></p>'
            f"<ul>{items}</ul></main></body></html>"
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)

    @staticmethod
    def _refused(reason: str) -> HTMLResponse:
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Sign-in refused</title></head><body><main>"
            f"<h1>Sign-in refused</h1><p>{escape(reason)}</p></main></body></html>"
        )
        return HTMLResponse(html, status_code=400, headers=PAGE_HEADERS)

    def _issue(self, params: dict[str, str], redirect_uri: str) -> str:
        code = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            for old in [c for c, g in self._codes.items() if g.expires < now]:
                del self._codes[old]
            self._codes[code] = _Grant(
                client_id=self._client_id,
                redirect_uri=redirect_uri,
                challenge=params["code_challenge"],
                nonce=params["nonce"],
                person=params["person"],
                expires=now + CODE_LIFETIME_S,
            )
        return code

    def _client_of(self, request: Request, form: dict[str, str]) -> str | None:
        """The authenticated client's id, or None."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                pair = base64.b64decode(value, validate=True).decode("utf-8")
            except ValueError:
                return None
            client, _, secret = pair.partition(":")
            client, secret = unquote(client), unquote(secret)
        else:
            client, secret = form.get("client_id", ""), form.get("client_secret", "")
        if not hmac.compare_digest(client.encode(), self._client_id.encode()):
            return None
        if self._client_secret is not None and not hmac.compare_digest(
            secret.encode(), self._client_secret.encode()
        ):
            return None
        return client

    def _tokens(self, grant: _Grant) -> dict[str, Any]:
        access = self._people.token(grant.person)
        subject = self._people.subject(grant.person)
        if access is None or subject is None:
            raise _Refused("unknown person")
        key = dev_signing_key(self._settings.resolved_dev_key_file)
        now = int(self._clock())
        id_token = jwt.encode(
            {"alg": DEV_ALGORITHM, "kid": key.kid, "typ": "JWT"},
            {
                "iss": self.issuer,
                "aud": grant.client_id,
                "sub": subject,
                "nonce": grant.nonce,
                "iat": now,
                "auth_time": now,
                "exp": now + ID_TOKEN_LIFETIME_S,
            },
            key,
            algorithms=[DEV_ALGORITHM],
        )
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self._settings.auth_max_token_lifetime_s,
            "id_token": id_token,
            "scope": "openid",
        }

    def _build(self) -> FastAPI:
        app = FastAPI(
            title="Sandbox identity provider",
            docs_url=None,
            redoc_url=None,
            telemetry=FASTAPI_TELEMETRY,
        )
        app.openapi_url = None

        @app.get("/.well-known/openid-configuration")
        async def metadata() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "scopes_supported": ["openid"],
                "id_token_signing_alg_values_supported": [DEV_ALGORITHM],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none", "client_secret_basic"],
                "authorization_response_iss_parameter_supported": True,
            }

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            keys = dev_key_set(self._settings.resolved_dev_key_file)
            return {"keys": [k.as_dict(private=False) for k in keys]}

        @app.get("/authorize")
        async def authorize(request: Request) -> Response:
            params = dict(request.query_params)
            try:
                redirect_uri = self._check_client(params)
            except _Refused as exc:
                return self._refused(str(exc))
            error = self._request_error(params)
            if error is not None:
                return self._back(redirect_uri, error=error, state=params.get("state", ""))
            return self._picker(request.url.path, params)

        @app.post("/authorize")
        async def chosen(request: Request) -> Response:
            params = _form(await request.body())
            try:
                redirect_uri = self._check_client(params)
                if self._people.token(params.get("person", "")) is None:
                    raise _Refused("unknown person")
            except _Refused as exc:
                return self._refused(str(exc))
            error = self._request_error(params)
            if error is not None:
                return self._back(redirect_uri, error=error, state=params.get("state", ""))
            code = self._issue(params, redirect_uri)
            return self._back(redirect_uri, code=code, state=params["state"])

        @app.post("/token")
        async def token(request: Request) -> Response:
            form = _form(await request.body())
            client = self._client_of(request, form)
            if client is None:
                return _oauth_error("invalid_client", 401)
            if form.get("grant_type") != "authorization_code":
                return _oauth_error("unsupported_grant_type")
            with self._lock:  # taken out whatever follows: a code is good for one try
                grant = self._codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            if (
                grant is None
                or grant.expires < self._clock()
                or grant.client_id != client
                or grant.redirect_uri != form.get("redirect_uri")
                or not VERIFIER.fullmatch(verifier)
                or not hmac.compare_digest(s256(verifier), grant.challenge)
            ):
                return _oauth_error("invalid_grant")
            try:
                return JSONResponse(self._tokens(grant), headers=NO_STORE)
            except _Refused:
                return _oauth_error("invalid_grant")

        return app


def _form(body: bytes) -> dict[str, str]:
    try:
        parsed = parse_qs(body.decode("utf-8"), max_num_fields=32)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items()}


def _oauth_error(error: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status, headers=NO_STORE)
