"""The web pages: server-rendered HTML for the people the service serves, beside
the JSON API and on the same service layer.

- `entry`: signing in (through the identity provider with OpenID Connect, see
  `oidc`; a development picker through an injected provider; or a token handed
  over) and out, the language switch;
- `professional`: the professional's overview (the HOI view), the override
  dialog, writing to a contact point;
- `family`: the family's page (access log, consents, objections, blocks);
- `auditor`: the auditor's page (search of the audit trail, the chain's state,
  the pilot's evaluation).

Registered by `api.app.create_app` through `install`. Nothing is fetched from
the internet: the stylesheet is served from `static/`, and there is no script.

A further page (the lawyers' what-if bench, the auditor's page) is one more module
here: an `APIRouter(prefix=PREFIX, include_in_schema=False)` whose routes get the
person from `frame.signed_in`, check the kind of caller, call an application
service in `decisions/` (never a looser path), render a template with
`frame.render` inside `frame.guarded`, and check `frame.checked_form` on every
POST; then add its router to `install` and its words to `i18n.MESSAGES`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pages import auditor, entry, family, professional, whatif
from pages.frame import PagesConfig
from pages.security import PREFIX, CookiePolicy, PageHeaders

STATIC = __path__[0] + "/static"


def install(app: FastAPI, *, secure_cookies: bool, show_employee: bool) -> None:
    """Add the pages to the app: their routes, stylesheet and security headers."""
    app.state.pages_config = PagesConfig(
        cookies=CookiePolicy(secure=secure_cookies), show_employee=show_employee
    )
    for router in (entry.router, professional.router, family.router, auditor.router):
        app.include_router(router)
    app.include_router(whatif.router)  # public: synthetic situations only (pages/whatif.py)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="pages-static")
    app.add_middleware(PageHeaders)
