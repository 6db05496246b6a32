"""Signing in and out, and the language switch.

Three ways in, one at a time, each ending in the same session (the verified token):

- OpenID Connect (HOI_OIDC_*, or the sandbox's provider with HOI_SANDBOX_IDP): one
  button; the browser goes to the identity provider and comes back with a code
  (pages/oidc.py). Then there is no picker and no token form: both are refused.
- Development (a provider injected by the sandbox): pick a synthetic person; the
  page mints their development token.
- Neither: the access token an integrating portal obtained is handed over to the
  token form (`POST /pages/sign-in/token`) and verified like any bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pages.frame import (
    checked_form,
    config_of,
    guarded,
    one,
    redirect,
    render,
    safe_next,
    signed_in,
)
from pages.i18n import LANGUAGES
from pages.oidc import FLOW_MAX_AGE_S, Flow, OidcClient
from pages.ports import services_of
from pages.security import (
    FLOW_COOKIE,
    LANGUAGE_COOKIE,
    NEXT_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
    SIGN_IN,
    session_caller,
    verify_token,
)
from policy.caller import Caller
from policy.errors import Forbidden, NotFound, Unauthenticated

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Next = Annotated[str | None, Query(max_length=500)]
Answer = Annotated[str | None, Query(max_length=2000)]


def home_of(caller: Caller) -> str:
    if caller.is_professional:
        return f"{PREFIX}/professional"
    if caller.kind == "citizen":
        return f"{PREFIX}/family"
    if caller.kind == "auditor":
        return f"{PREFIX}/auditor"
    raise Forbidden("there is no page for this kind of caller yet")


@router.get("")
async def start(request: Request) -> Response:
    async def page() -> Response:
        caller = await session_caller(request)
        return redirect(home_of(caller) if caller else f"{PREFIX}/sign-in")

    return await guarded(request, page)


@router.get("/sign-in")
async def sign_in_page(request: Request, next: Next = None) -> Response:
    services = services_of(request)
    oidc = services.oidc is not None
    provider = services.sign_in if not oidc else None
    people = list(provider.people()) if provider is not None else []
    return render(
        request,
        "sign_in.html",
        people=people,
        oidc=oidc,
        next=safe_next(next) or "",
        invalid=False,
    )


async def _start_session(request: Request, token: str, landing: str | None) -> Response:
    caller = await verify_token(request, token)
    response = redirect(landing or home_of(caller))
    config_of(request).cookies.set(response, SESSION_COOKIE, token, SESSION_MAX_AGE_S)
    return response


def _without_identity_provider(request: Request) -> None:
    """Under OpenID Connect, the identity provider is the only way in."""
    if services_of(request).oidc is not None:
        raise Forbidden("this service signs you in through your organisation's login")


def _identity_provider(request: Request) -> OidcClient:
    oidc = services_of(request).oidc
    if oidc is None:
        raise NotFound("this service has no identity provider to sign in through")
    return oidc


@router.get("/sign-in/start")
async def oidc_start(request: Request, next: Next = None) -> Response:
    """The sign-in button: off to the identity provider, with a new flow cookie."""

    async def page() -> Response:
        oidc = _identity_provider(request)
        redirect_uri = oidc.config.redirect_uri or str(request.url_for("oidc_callback"))
        location, flow = await oidc.begin(redirect_uri, safe_next(next))
        response = redirect(location)
        config_of(request).cookies.set(
            response, FLOW_COOKIE, flow.cookie(), FLOW_MAX_AGE_S, path=SIGN_IN, samesite="lax"
        )
        return response

    return await guarded(request, page)


@router.get("/sign-in/callback")
async def oidc_callback(
    request: Request,
    code: Answer = None,
    state: Answer = None,
    error: Answer = None,
    error_description: Answer = None,
    error_uri: Answer = None,
    iss: Answer = None,
    session_state: Answer = None,
) -> Response:
    """Back from the identity provider. The flow cookie goes whatever happens: a
    code is good for one try, and so is a flow."""

    async def page() -> Response:
        oidc = _identity_provider(request)
        try:
            flow = Flow.from_cookie(request.cookies.get(FLOW_COOKIE))
            if iss is not None and iss != oidc.config.issuer:  # RFC 9207
                raise Unauthenticated("the answer comes from another identity provider")
            token = await oidc.finish(flow, state=state, code=code, error=error)
            caller = await verify_token(request, token)
        except Unauthenticated:
            # Nothing of the cause is shown: start again (the flow is over).
            failed = render(
                request,
                "sign_in.html",
                status=401,
                people=[],
                oidc=True,
                next="",
                invalid=False,
                failed=True,
            )
            config_of(request).cookies.clear(failed, SESSION_COOKIE)
            return failed
        landing = safe_next(flow.next)
        # A page of our own moves on: the session cookie is SameSite=Strict, and a
        # browser holds it back on a redirect that began at the provider's site.
        # Where to (it may name a child) waits in a cookie, not in this page.
        response = render(
            request,
            "signed_in.html",
            caller=caller,
            landing=f"{SIGN_IN}/landing" if landing else home_of(caller),
        )
        cookies = config_of(request).cookies
        cookies.set(response, SESSION_COOKIE, token, SESSION_MAX_AGE_S)
        if landing:
            cookies.set(response, NEXT_COOKIE, landing, FLOW_MAX_AGE_S, path=SIGN_IN)
        return response

    response = await guarded(request, page)
    config_of(request).cookies.clear(response, FLOW_COOKIE, path=SIGN_IN, samesite="lax")
    return response


@router.get("/sign-in/landing")
async def oidc_landing(request: Request) -> Response:
    """Signed in: on to the page the person was on their way to."""

    async def page() -> Response:
        caller = await signed_in(request)
        return redirect(safe_next(request.cookies.get(NEXT_COOKIE)) or home_of(caller))

    response = await guarded(request, page)
    config_of(request).cookies.clear(response, NEXT_COOKIE, path=SIGN_IN)
    return response


@router.post("/sign-in")
async def sign_in_as(request: Request) -> Response:
    """Development: sign in as a synthetic person (the provider mints the token)."""

    async def page() -> Response:
        form = await checked_form(request)
        _without_identity_provider(request)
        provider = services_of(request).sign_in
        if provider is None:
            raise Forbidden("this service has no development sign-in; use your login")
        key = one(form, "person")
        token = provider.token(key)
        if token is None:
            raise Unauthenticated("no synthetic person has this key")
        landing = safe_next(one(form, "next")) or provider.landing(key)
        return await _start_session(request, token, landing)

    return await guarded(request, page)


@router.post("/sign-in/token")
async def sign_in_with_token(request: Request) -> Response:
    """An access token, handed over to the page (no identity provider configured)."""

    async def page() -> Response:
        form = await checked_form(request)
        _without_identity_provider(request)
        return await _start_session(
            request, one(form, "access_token"), safe_next(one(form, "next"))
        )

    return await guarded(request, page)


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    async def page() -> Response:
        await checked_form(request)
        response = redirect(f"{PREFIX}/sign-in")
        config_of(request).cookies.clear(response, SESSION_COOKIE)
        return response

    return await guarded(request, page)


@router.get("/language")
async def switch_language(
    request: Request,
    to: Annotated[str, Query(max_length=2)],
    next: Next = None,
) -> Response:
    language = to if to in LANGUAGES else "da"
    response = redirect(safe_next(next) or f"{PREFIX}/sign-in")
    config_of(request).cookies.set(response, LANGUAGE_COOKIE, language, 365 * 24 * 3600)
    return response
