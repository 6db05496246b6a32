"""Signing in to the pages from a test client, and the story children's numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from sandbox.population import Child, population

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def stories() -> list[Child]:
    """The README's five story children (Alma first)."""
    return list(population(datetime.now(UTC).date()).children.values())[:5]


def csrf(client: TestClient) -> str:
    """The CSRF token the pages gave this client (fetching the sign-in page sets it)."""
    if "hoi_csrf" not in client.cookies:
        client.get("/pages/sign-in")
    return client.cookies["hoi_csrf"]


def sign_in(client: TestClient, token: str) -> None:
    """Start a page session with an access token, as the identity provider hands it over."""
    answer = client.post(
        "/pages/sign-in/token",
        data={"csrf": csrf(client), "access_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
