"""Signing in and out, and the language switch.

Development: pick a synthetic person the injected provider offers; the page mints
their development token. Production (no provider): the identity provider's access
token is handed over to the sign-in form and verified like any bearer token."""

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
)
from pages.i18n import LANGUAGES
from pages.ports import services_of
from pages.security import (
    LANGUAGE_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
    session_caller,
    verify_token,
)
from policy.caller import Caller
from policy.errors import Forbidden, Unauthenticated

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Next = Annotated[str | None, Query(max_length=500)]


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
    provider = services_of(request).sign_in
    people = list(provider.people()) if provider is not None else []
    return render(request, "sign_in.html", people=people, next=safe_next(next) or "", invalid=False)


async def _start_session(request: Request, token: str, landing: str | None) -> Response:
    caller = await verify_token(request, token)
    response = redirect(landing or home_of(caller))
    config_of(request).cookies.set(response, SESSION_COOKIE, token, SESSION_MAX_AGE_S)
    return response


@router.post("/sign-in")
async def sign_in_as(request: Request) -> Response:
    """Development: sign in as a synthetic person (the provider mints the token)."""

    async def page() -> Response:
        form = await checked_form(request)
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
    """The identity provider's access token, handed over to the page."""

    async def page() -> Response:
        form = await checked_form(request)
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
