"""The web pages: server-rendered HTML for the people the service serves, beside
the JSON API and on the same service layer.

- `entry`: signing in (development picker through an injected provider, or the
  identity provider's token) and out, the language switch;
- `professional`: the professional's overview (the HOI view), the override
  dialog, writing to a contact point;
- `family`: the family's page (access log, consents, objections, blocks).

Registered by `api.app.create_app` through `install`. Nothing is fetched from
the internet: the stylesheet is served from `static/`, and there is no script."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pages import entry, family, professional
from pages.frame import PagesConfig
from pages.security import PREFIX, CookiePolicy, PageHeaders

STATIC = __path__[0] + "/static"


def install(app: FastAPI, *, secure_cookies: bool, show_employee: bool) -> None:
    """Add the pages to the app: their routes, stylesheet and security headers."""
    app.state.pages_config = PagesConfig(
        cookies=CookiePolicy(secure=secure_cookies), show_employee=show_employee
    )
    for router in (entry.router, professional.router, family.router):
        app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="pages-static")
    app.add_middleware(PageHeaders)
