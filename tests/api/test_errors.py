"""Every error is RFC 9457 problem+json, and none shows a stack trace."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from sandbox.app import create_app
from tests.conftest import AppFactory, auditor_headers, auth_headers, signing_key_file

ALMA = "6809144615"
QUESTION = {
    "resource": {"child_cpr": ALMA, "categories": ["psychiatry_appointments"]},
    "context": {"purpose": "social_case_work"},
}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def test_401_no_token(make_client: AppFactory) -> None:
    response = make_client(anonymous=True).get(f"/v1/children/{ALMA}/consents")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_403_not_allowed(make_client: AppFactory) -> None:
    client = make_client(anonymous=True)
    assert_problem(client.post("/v1/decisions", json=QUESTION, headers=auditor_headers()), 403)


def test_404_unknown_child(make_client: AppFactory) -> None:
    body = assert_problem(make_client().get("/v1/children/6101804321/consents"), 404)
    assert body["field"] == "cpr"


def test_404_unknown_route(make_client: AppFactory) -> None:
    assert_problem(make_client().get("/v1/nothing-here"), 404)


def test_405_wrong_method_names_the_allowed_ones(make_client: AppFactory) -> None:
    response = make_client().get("/v1/decisions")
    assert_problem(response, 405)
    assert response.headers["allow"] == "POST"


def test_413_body_too_large(make_client: AppFactory) -> None:
    client = make_client(max_body_bytes=1024)
    padded = {**QUESTION, "context": {"purpose": "social_case_work", "case_reference": "x" * 2000}}
    assert_problem(client.post("/v1/decisions", json=padded), 413)


def test_415_body_not_json(make_client: AppFactory) -> None:
    response = make_client().post(
        "/v1/decisions", content=b"purpose=social_case_work", headers={"content-type": "text/plain"}
    )
    body = assert_problem(response, 415)
    assert body["field"] == "content-type"


def test_422_names_the_field(make_client: AppFactory) -> None:
    bad = {**QUESTION, "resource": {"child_cpr": ALMA, "categories": ["diaries"]}}
    body = assert_problem(make_client().post("/v1/decisions", json=bad), 422)
    assert body["field"] == "resource.categories.0"


def test_422_malformed_json(make_client: AppFactory) -> None:
    response = make_client().post(
        "/v1/decisions", content=b"{", headers={"content-type": "application/json"}
    )
    assert_problem(response, 422)


class BrokenEngine:
    """An engine with a bug: raises something that is not an EngineError."""

    name = "broken"
    revision = "sha256:broken"

    async def evaluate(self, document: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("secret internal detail at /srv/app/engine.py line 42")

    async def ready(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


def test_500_says_nothing_of_the_cause(tmp_path: Path) -> None:
    settings = Settings(environment="test", var_dir=tmp_path, dev_key_file=signing_key_file())
    app = create_app(settings, engine=BrokenEngine())
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/decisions", json=QUESTION, headers=auth_headers())
    body = assert_problem(response, 500)
    assert "secret" not in response.text and "engine.py" not in response.text
    assert body["detail"] == "The service failed; nothing was changed."


@pytest.mark.parametrize("path", ["/v1/decisions", "/access/v1/evaluation"])
def test_problem_responses_are_declared_in_openapi(make_client: AppFactory, path: str) -> None:
    operation = make_client().get("/openapi.json").json()["paths"][path]["post"]
    for status in ("401", "403", "413", "415", "422", "500", "503"):
        content = operation["responses"][status]["content"]
        assert list(content) == ["application/problem+json"], status
    assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
    assert operation["security"] == [{"bearerAuth": []}]


# --- input that passed validation and failed inside (each was a 500) ----------------


@pytest.mark.parametrize(
    "cpr",
    [
        pytest.param("6809144615%0A", id="trailing-newline"),
        pytest.param("%D9%A6%D9%A8%D9%A0%D9%A9%D9%A1%D9%A4%D9%A4%D9%A6%D9%A1%D9%A5", id="arabic"),
        pytest.param("%EF%BC%96809144615", id="fullwidth-digit"),
    ],
)
@pytest.mark.parametrize(
    "path",
    ["/v1/children/{cpr}/consents", "/v1/children/{cpr}/overview?purpose=social_case_work"],
)
def test_a_cpr_that_is_not_ten_ascii_digits_is_a_422(
    make_client: AppFactory, cpr: str, path: str
) -> None:
    body = assert_problem(make_client().get(path.format(cpr=cpr)), 422)
    assert body["field"] == "cpr"


def test_a_cpr_with_a_trailing_newline_in_a_query_is_a_422(make_client: AppFactory) -> None:
    client = make_client(anonymous=True)
    response = client.get("/v1/audit?child_cpr=6809144615%0A", headers=auditor_headers())
    assert assert_problem(response, 422)["field"] == "child_cpr"


def test_an_overview_asking_for_too_many_categories_is_a_422(make_client: AppFactory) -> None:
    query = "&".join(["purpose=social_case_work", *["categories=school_daycare"] * 17])
    response = make_client().get(f"/v1/children/{ALMA}/overview?{query}")
    assert assert_problem(response, 422)["field"] == "categories"


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-01T00:00:00+00:00|" + "9" * 40,  # more than a database integer holds
        "2026-01-01T00:00:00+00:00|-" + "9" * 40,
        "0001-01-01T00:00:00+05:00|1",  # before year 1 in UTC
        "9999-12-31T23:59:59-05:00|1",  # after year 9999 in UTC
    ],
)
def test_an_audit_cursor_that_overflows_is_a_422(make_client: AppFactory, raw: str) -> None:
    client = make_client(anonymous=True)
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    response = client.get(f"/v1/audit?cursor={cursor}", headers=auditor_headers())
    assert assert_problem(response, 422)["field"] == "cursor"


@pytest.mark.parametrize(
    ("name", "moment"),
    [("since", "0001-01-01T00:00:00%2B05:00"), ("until", "9999-12-31T23:59:59-05:00")],
)
def test_an_audit_time_outside_the_calendar_in_utc_is_a_422(
    make_client: AppFactory, name: str, moment: str
) -> None:
    client = make_client(anonymous=True)
    response = client.get(f"/v1/audit?{name}={moment}", headers=auditor_headers())
    assert assert_problem(response, 422)["field"] == name


@pytest.mark.parametrize("page", ["%C3%A6bler.html", "%C3%A6bler", "%E2%80%AE.html", "x%00.html"])
def test_a_handbook_page_name_outside_ascii_is_a_404(make_client: AppFactory, page: str) -> None:
    body = assert_problem(make_client(anonymous=True).get(f"/policy/{page}"), 404)
    assert body["field"] == "page"


def test_an_unknown_query_parameter_is_refused_naming_it(make_client: AppFactory) -> None:
    """A misspelt filter must not silently widen an auditor's search."""
    client = make_client()
    response = client.get("/v1/audit", params={"child": "6809144615"}, headers=auditor_headers())
    body = assert_problem(response, 422)
    assert body["field"] == "child"
    assert (
        client.get("/v1/audit", params={"limit": 5}, headers=auditor_headers()).status_code == 200
    )
