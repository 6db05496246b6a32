"""Every error is RFC 9457 problem+json, and none shows a stack trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
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
