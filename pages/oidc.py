"""Signing in through the identity provider: the pages as an OpenID Connect relying
party, with the authorization-code flow, PKCE (RFC 7636, S256), state and nonce.

1. `begin`: a fresh state, nonce and PKCE verifier; the browser goes to the
   provider's authorization endpoint with the state, the nonce and the verifier's
   S256 challenge. The flow (state, nonce, verifier, where to land) is kept in a
   short-lived cookie of the browser's own (pages/entry.py), never in a URL.
2. `finish`: the browser comes back with a code and the state. The state must be
   the flow's; the code is exchanged at the token endpoint with the verifier (and
   the client secret, when there is one); the ID token must verify with the
   provider's published keys, name the provider and our client, and carry the
   flow's nonce. The access token it brings is then verified by the caller, with
   the service's own token verifier, exactly like an API bearer token.

HTTP: the service's httpx client, no library of its own. Authlib was considered:
its httpx integration (1.9) is deprecated in favour of httpx2 and warns on import,
and what it would add here is two HTTP calls and a SHA-256; the part that must be
right, verifying the ID token, is joserfc (by Authlib's authors), as for every
bearer token (auth/tokens.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auth.keys import RemoteJwks
from policy.errors import Unauthenticated, Unavailable

FLOW_MAX_AGE_S = 600
"""How long a sign-in at the provider may take, from the button to the callback."""
METADATA_TTL_S = 3600.0
DISCOVERY = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class OidcConfig:
    """The pages' registration at the identity provider (HOI_OIDC_*)."""

    issuer: str
    client_id: str
    client_secret: str | None = None
    redirect_uri: str | None = None
    """As registered at the provider; None: this service's callback, from the request."""
    scope: str = "openid"
    algorithms: Sequence[str] = ("ES256", "ES384", "RS256", "PS256")
    """The ID token's accepted signing algorithms (HOI_AUTH_ALGORITHMS)."""
    allow_dev_keys: bool = False
    """The provider may sign with a development key (the sandbox's; never production)."""
    require_https: bool = False
    """Every endpoint the metadata names must be https (production)."""


class Flow(BaseModel):
    """One sign-in under way, as kept in the browser's flow cookie."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str = Field(min_length=32, max_length=128)
    nonce: str = Field(min_length=32, max_length=128)
    verifier: str = Field(min_length=43, max_length=128)
    redirect_uri: str = Field(max_length=1000)
    next: str | None = Field(default=None, max_length=500)
    started: int

    def cookie(self) -> str:
        return base64.urlsafe_b64encode(self.model_dump_json().encode()).decode().rstrip("=")

    @classmethod
    def from_cookie(cls, value: str | None) -> Flow:
        """The flow this browser started; none (or a damaged cookie) is a refusal."""
        if not value or len(value) > 4000:
            raise Unauthenticated("no sign-in was started in this browser; start again")
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            return cls.model_validate_json(raw)
        except (ValueError, ValidationError) as exc:
            raise Unauthenticated("the sign-in under way is unreadable; start again") from exc


@dataclass(frozen=True)
class Metadata:
    """What the pages use of the provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def s256(verifier: str) -> str:
    """The PKCE code challenge of a verifier (RFC 7636, section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class OidcClient:
    """The pages' relying party at one identity provider."""

    def __init__(
        self,
        config: OidcConfig,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._http = http
        self._clock = clock
        self._monotonic = monotonic
        self._metadata: Metadata | None = None
        self._fetched_at = float("-inf")
        self._keys: RemoteJwks | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, headers={"accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unavailable(f"the identity provider's {what} cannot be read") from exc
        if not isinstance(document, dict):
            raise Unavailable(f"the identity provider's {what} is not a JSON object")
        return document

    async def metadata(self) -> Metadata:
        """The provider's metadata, read from its discovery document and kept an hour.
        Its issuer must be the configured one (OpenID Connect Discovery, 4.3)."""
        if self._metadata is not None and self._monotonic() - self._fetched_at < METADATA_TTL_S:
            return self._metadata
        issuer = self.config.issuer
        document = await self._get_json(issuer.rstrip("/") + DISCOVERY, "metadata")
        names = ("authorization_endpoint", "token_endpoint", "jwks_uri")
        values = [document.get(name) for name in names]
        if document.get("issuer") != issuer:
            raise Unavailable("the identity provider's metadata names another issuer")
        if not all(isinstance(v, str) and v for v in values):
            raise Unavailable("the identity provider's metadata lacks an endpoint")
        endpoints = [str(v) for v in values]
        if self.config.require_https and not all(e.startswith("https://") for e in endpoints):
            raise Unavailable("the identity provider's endpoints must be https")
        metadata = Metadata(issuer, *endpoints)
        if self._keys is None or self._keys.url != metadata.jwks_uri:
            self._keys = RemoteJwks(
                metadata.jwks_uri, self._http, allow_dev=self.config.allow_dev_keys
            )
        self._metadata, self._fetched_at = metadata, self._monotonic()
        return metadata

    async def begin(self, redirect_uri: str, next: str | None) -> tuple[str, Flow]:
        """Where to send the browser, and the flow to keep in its cookie."""
        metadata = await self.metadata()
        flow = Flow(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(64),  # 86 characters of [A-Za-z0-9_-]
            redirect_uri=redirect_uri,
            next=next,
            started=int(self._clock()),
        )
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.config.scope,
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": s256(flow.verifier),
            "code_challenge_method": "S256",
        }
        endpoint = metadata.authorization_endpoint
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}", flow

    async def finish(
        self, flow: Flow, *, state: str | None, code: str | None, error: str | None
    ) -> str:
        """The access token the provider issues for this flow's code. Everything
        that does not belong to this browser's flow is a refusal."""
        age = self._clock() - flow.started
        if not 0 <= age <= FLOW_MAX_AGE_S:
            raise Unauthenticated("the sign-in took too long; start again", reason="expired")
        if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
            raise Unauthenticated("the sign-in's state is not this browser's; start again")
        if error is not None:
            raise Unauthenticated("the identity provider did not sign you in")
        if not code:
            raise Unauthenticated("the identity provider sent no code", missing=True)
        metadata = await self.metadata()
        tokens = await self._redeem(metadata, flow, code)
        access = tokens.get("access_token")
        if str(tokens.get("token_type", "")).lower() != "bearer" or not isinstance(access, str):
            raise Unauthenticated("the identity provider sent no bearer access token")
        await self._check_id_token(metadata, tokens.get("id_token"), flow.nonce)
        return access

    async def _redeem(self, metadata: Metadata, flow: Flow, code: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.redirect_uri,
            "code_verifier": flow.verifier,
        }
        headers = {"accept": "application/json"}
        secret = self.config.client_secret
        if secret is None:
            form["client_id"] = self.config.client_id
        else:  # client_secret_basic: both form-encoded first (RFC 6749, 2.3.1)
            pair = f"{quote(self.config.client_id, safe='')}:{quote(secret, safe='')}"
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        try:
            response = await self._http.post(metadata.token_endpoint, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise Unavailable("the identity provider's token endpoint cannot be reached") from exc
        if response.status_code != 200:
            # Its error (invalid_grant: a used, expired or foreign code) is not echoed.
            raise Unauthenticated("the identity provider did not accept the sign-in's code")
        try:
            tokens = response.json()
        except ValueError as exc:
            raise Unauthenticated("the identity provider's token answer is not JSON") from exc
        if not isinstance(tokens, dict):
            raise Unauthenticated("the identity provider's token answer is not an object")
        return tokens

    async def _check_id_token(self, metadata: Metadata, id_token: object, nonce: str) -> None:
        """The ID token is the provider's statement that this sign-in is this
        flow's (the nonce), for this client, from this provider."""
        if not isinstance(id_token, str) or id_token.count(".") != 2:
            raise Unauthenticated("the identity provider sent no ID token", reason="malformed")
        assert self._keys is not None  # made with the metadata
        try:
            keys = await self._keys.key_set()
            decoded = jwt.decode(id_token, keys, algorithms=list(self.config.algorithms))
            jwt.JWTClaimsRegistry(
                now=int(self._clock()),
                leeway=60,
                iss={"essential": True, "value": metadata.issuer},
                aud={"essential": True, "value": self.config.client_id},
                exp={"essential": True},
                sub={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError, TypeError) as exc:
            raise Unauthenticated(
                "the identity provider's ID token does not belong to this sign-in"
            ) from exc
