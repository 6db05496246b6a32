"""The pages' security: the session cookie (the verified access token itself),
CSRF protection (a double-submit token), and the response headers every page
carries (a strict Content-Security-Policy: no inline script, no inline style).

The session holds the identity provider's access token (brought back by the
OpenID Connect flow, pages/oidc.py; in development: one the sign-in page minted),
HttpOnly and SameSite=Strict, Secure in production. Each
request verifies it again with the service's token verifier, exactly as the API
verifies a bearer token: a forged or expired cookie is refused, and the caller is
never anything a form says."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from fastapi import Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pages.ports import services_of
from policy.caller import Caller
from policy.errors import Forbidden, Unauthenticated

PREFIX = "/pages"
SESSION_COOKIE = "hoi_session"
CSRF_COOKIE = "hoi_csrf"
LANGUAGE_COOKIE = "hoi_lang"
FLOW_COOKIE = "hoi_oidc"
"""A sign-in under way at the identity provider (pages/oidc.py): its state, nonce
and PKCE verifier. SameSite=Lax, because the provider sends the browser back with a
cross-site navigation; path the sign-in's own; it lives as long as a flow may."""
NEXT_COOKIE = "hoi_next"
"""Where a person signing in through the identity provider was going (a path under
/pages that may name a child): kept out of the page that moves them on."""
SIGN_IN = PREFIX + "/sign-in"
CSRF_FIELD = "csrf"
SESSION_MAX_AGE_S = 3600  # the longest a token lives (HOI_AUTH_MAX_TOKEN_LIFETIME_S default)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class CookiePolicy:
    secure: bool
    """Secure cookies: always in production (HOI_ENVIRONMENT=production)."""

    def set(
        self,
        response: Response,
        name: str,
        value: str,
        max_age: int | None,
        *,
        path: str = PREFIX,
        samesite: Literal["strict", "lax"] = "strict",
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=path,
            secure=self.secure,
            httponly=True,
            samesite=samesite,
        )

    def clear(
        self,
        response: Response,
        name: str,
        *,
        path: str = PREFIX,
        samesite: Literal["strict", "lax"] = "strict",
    ) -> None:
        response.delete_cookie(
            name, path=path, secure=self.secure, httponly=True, samesite=samesite
        )


class PageHeaders:
    """Sets the security headers on every response under /pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def is_page(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


async def session_caller(request: Request) -> Caller | None:
    """The caller the session cookie's token proves; None without a session.
    A cookie that does not verify (forged, expired, another issuer) is
    Unauthenticated, never a guess."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await services_of(request).verifier.verify(token)


async def verify_token(request: Request, token: str) -> Caller:
    """A token offered at sign-in, verified like a bearer token."""
    if not token.strip():
        raise Unauthenticated("no token was given", missing=True)
    return await services_of(request).verifier.verify(token.strip())


def csrf_token(request: Request) -> tuple[str, bool]:
    """The request's CSRF token, and whether it is new (then set the cookie)."""
    known = request.cookies.get(CSRF_COOKIE)
    if known and len(known) >= 32:
        return known, False
    return secrets.token_urlsafe(32), True


def check_csrf(request: Request, form: dict[str, str]) -> None:
    """A state-changing form must carry the CSRF cookie's value (double submit):
    another site can make the browser post, but cannot read or set the cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = form.get(CSRF_FIELD, "")
    if not cookie or not given or not hmac.compare_digest(cookie, given):
        raise Forbidden("the form's CSRF token is missing or wrong; reload the page and try again")
