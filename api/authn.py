"""Authentication at the edge: every route needs a bearer token unless it is public.

The check is ASGI middleware, so it runs before the body is read or parsed, and a
route added later is protected without having to remember to be: the default is
deny. Only the paths in `PUBLIC_PATHS` answer without a token.

Where the caller lives: `policy.caller.Caller` is the model; `auth.tokens`
alone turns a verified token into one; this module only reads the Authorization
header at the edge; `api.deps` holds the FastAPI dependencies routes declare.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import problem_for
from auth.tokens import TokenVerifier
from metrics.instruments import TOKENS_REFUSED
from policy.caller import Caller
from policy.errors import HoiError, Unauthenticated

PUBLIC_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        "/openapi.json",
        "/.well-known/authzen-configuration",
        "/policy",  # the lawyers' handbook (HTML): the policies and scenarios, no personal data
        "/pages",  # the web pages: they verify their own session cookie (pages/security.py)
    }
)
PUBLIC_PREFIXES = ("/policy/", "/pages/")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


CALLER_KEY = "caller"


async def authenticate(verifier: TokenVerifier, authorization: str | None) -> Caller:
    """The caller an Authorization header proves, or Unauthenticated."""
    if authorization is None or not authorization.strip():
        raise Unauthenticated("this endpoint needs a bearer token", missing=True)
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "send the token as 'Authorization: Bearer <token>'", reason="malformed"
        )
    return await verifier.verify(token.strip())


class RequireBearer:
    """Verifies the bearer token of every non-public request; puts the caller in
    the request state for `api.deps.CurrentCaller`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        verifier: TokenVerifier = scope["app"].state.services.verifier
        try:
            caller = await authenticate(verifier, Headers(scope=scope).get("authorization"))
        except HoiError as exc:
            if isinstance(exc, Unauthenticated):
                TOKENS_REFUSED.labels(exc.reason).inc()
            await problem_for(exc)(scope, receive, send)
            return
        scope.setdefault("state", {})[CALLER_KEY] = caller
        await self.app(scope, receive, send)
