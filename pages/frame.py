"""What every page shares: the templates, the language, the signed-in caller,
form reading, and turning a refusal into a page that says why."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError

from pages.explain import Explain
from pages.i18n import Words, language_of
from pages.ports import services_of
from pages.security import (
    CSRF_COOKIE,
    LANGUAGE_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    CookiePolicy,
    check_csrf,
    csrf_token,
    session_caller,
)
from policy.caller import Caller
from policy.errors import (
    Conflict,
    Forbidden,
    HoiError,
    InvalidRequest,
    NotEntitled,
    NotFound,
    Unauthenticated,
    Unavailable,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_FORM_FIELDS = 64

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class PagesConfig:
    cookies: CookiePolicy
    show_employee: bool = False
    """The family's log names the employee who looked (HOI_AUDIT_LOG_SHOWS_EMPLOYEE)."""


def config_of(request: Request) -> PagesConfig:
    config: PagesConfig = request.app.state.pages_config
    return config


class NeedsSignIn(Exception):
    """No session: the page sends the person to the sign-in page."""


def words(request: Request) -> Words:
    return Words(language_of(request.cookies.get(LANGUAGE_COOKIE)))


def render(
    request: Request,
    template: str,
    *,
    caller: Caller | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    t = words(request)
    csrf, new = csrf_token(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    organisation = None
    if caller is not None and caller.organisation is not None:
        org_id = caller.organisation.id
        organisation = services_of(request).organisation_name(org_id) or org_id
    html = _environment.get_template(template).render(
        t=t,
        lang=t.language,
        csrf=csrf,
        caller=caller,
        organisation=organisation
        or (caller.organisation.id if caller and caller.organisation else None),
        here=here,
        explain=Explain(t),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if new:
        config_of(request).cookies.set(response, CSRF_COOKIE, csrf, None)
    return response


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


async def read_form(request: Request) -> dict[str, list[str]]:
    """An application/x-www-form-urlencoded body (the size limit applies before)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise InvalidRequest("send the form as application/x-www-form-urlencoded")
    body = (await request.body()).decode("utf-8", errors="strict")
    try:
        return parse_qs(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:
        raise InvalidRequest("the form has too many fields") from exc


def one(form: dict[str, list[str]], name: str, default: str = "") -> str:
    values = form.get(name)
    return values[0] if values else default


async def checked_form(request: Request) -> dict[str, list[str]]:
    """The posted form, once its CSRF token is checked."""
    form = await read_form(request)
    check_csrf(request, {"csrf": one(form, "csrf")})
    return form


async def signed_in(request: Request) -> Caller:
    caller = await session_caller(request)
    if caller is None:
        raise NeedsSignIn
    return caller


_STATUS: tuple[tuple[type[HoiError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (NotEntitled, 422),
    (InvalidRequest, 422),
    (Unavailable, 503),
)


def _status(exc: HoiError) -> int:
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)


async def guarded(
    request: Request, page: Callable[[], Awaitable[Response]], *, caller: Caller | None = None
) -> Response:
    """Run a page; a refusal becomes a page that says why (fail closed)."""
    try:
        return await page()
    except NeedsSignIn:
        return redirect(f"{PREFIX}/sign-in?next={quote(_here(request), safe='')}")
    except Unauthenticated:
        oidc = services_of(request).oidc is not None
        response = render(
            request, "sign_in.html", status=401, invalid=True, people=[], oidc=oidc, next=""
        )
        config_of(request).cookies.clear(response, SESSION_COOKIE)
        return response
    except HoiError as exc:
        return render(request, "error.html", caller=caller, status=_status(exc), detail=str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return render(
            request, "error.html", caller=caller, status=422, detail=f"{where}: {first['msg']}"
        )


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def safe_next(value: str | None) -> str | None:
    """A place under /pages to go back to; anything else (another site) is dropped."""
    if not value or not value.startswith(PREFIX + "/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 32 for c in value):
        return None
    return value
