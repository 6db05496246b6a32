"""Shared fixtures: engines, an app per test, the OPA server, bearer tokens."""

from __future__ import annotations

import atexit
import base64
import json
import logging
import logging.config
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import ECKey

from api.logs import CPR_LIKE, logging_config
from api.settings import DEV_ISSUER, Settings
from auth.keys import dev_signing_key
from auth.tokens import mint
from engine.bundle import PolicyBundle
from engine.opa import OpaServer, build_bundle, bundle_signing_key, find_opa, verification_key
from policy.cpr import CprError, birth_date
from policy.paths import REGO_DIR
from sandbox.app import create_app
from sandbox.pilot import DIRECTORY_FILE
from sandbox.population import SURNAMES, Population

IN_CI = os.environ.get("CI") == "true"
ENGINES = ["embedded", "opa"]


def require_opa() -> str:
    """The opa binary; skip without it, except in CI where it must be there."""
    opa = find_opa()
    if opa is None:
        if IN_CI:
            pytest.fail("CI=true but no opa binary: OPA tests must run in CI")
        pytest.skip("opa is not installed (CI installs it)")
    return opa


@pytest.fixture(scope="session")
def opa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpaServer]:
    """One OPA for the session, as production runs it: token authentication on and
    only a bundle signed with this run's key (generated here) accepted."""
    opa = require_opa()
    folder = tmp_path_factory.mktemp("opa")
    signing_key = bundle_signing_key(folder / "signing-key.pem")
    bundle = folder / "bundle.tar.gz"
    build_bundle(opa, PolicyBundle(REGO_DIR), bundle, signing_key=signing_key)
    server = OpaServer(
        opa,
        bundle,
        token=secrets.token_urlsafe(32),
        verification_key=verification_key(signing_key, folder / "verification-key.pem"),
    ).start()
    yield server
    server.stop()


def opa_headers(server: OpaServer) -> dict[str, str]:
    """What the service sends to OPA to be admitted."""
    return {"Authorization": f"Bearer {server.token}"}


AUDIENCE = "hoi-policy"
IDP_ISSUER = "https://idp.region.example"
"""The issuer of production-like tests (an identity provider, not `hoi token`)."""


def jwks(*keys: ECKey) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


def idp_key(kid: str) -> ECKey:
    """A signing key of a made-up identity provider."""
    return ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig"})


def production(tmp_path: Path, **changes: Any) -> Settings:
    """Settings production would accept: the identity provider's issuer, its own
    database and audit key, real source systems (never the sandbox)."""
    sources = tmp_path / "sources.yaml"
    template = (Path(__file__).resolve().parents[1] / "broker" / "sources.yaml").read_text()
    sources.write_text(template.replace("{sandbox}", "https://sources.example"))
    values: dict[str, Any] = {
        "source_registry": sources,
        "organisation_register": DIRECTORY_FILE,
        "environment": "production",
        "person_handle_key": "h" * 40,
        "seed_demo_data": False,
        "database_url": f"sqlite:///{tmp_path / 'prod.db'}",
        "var_dir": tmp_path / "var",
        "auth_issuer": IDP_ISSUER,
        "audit_key": "k" * 40,
        **changes,
    }
    return Settings(**values)


DEFAULT_SUBJECT: dict[str, Any] = {
    "id": "cw-851-family-1",
    "role": "municipal_caseworker",
    "organisation": {"type": "municipality", "id": "851-family"},
    "health_professional": False,
}
"""The professional a test client is, unless the test says otherwise."""


@lru_cache(maxsize=1)
def signing_key_file() -> Path:
    """One development signing key for the whole test session; every app trusts it."""
    folder = Path(tempfile.mkdtemp(prefix="hoi-test-key-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "dev-signing-key.jwk.json"
    dev_signing_key(path)
    return path


def token_for(
    subject: Mapping[str, Any] | None = None, *, act: str | None = None, **options: Any
) -> str:
    """A development token for a decision subject (id, role, organisation,
    health_professional); `options` go to `auth.tokens.mint` (cpr, lifetime, now,
    issuer, audience, extra, ...)."""
    subject = subject if subject is not None else DEFAULT_SUBJECT
    claims: dict[str, Any] = {
        "issuer": DEV_ISSUER,
        "audience": AUDIENCE,
        "subject": subject["id"],
        "role": subject["role"],
        "organisation": subject.get("organisation"),
        "health_professional": bool(subject.get("health_professional", False)),
        "actor": act,
    }
    claims.update(options)
    return mint(dev_signing_key(signing_key_file()), **claims)


def auth_headers(
    subject: Mapping[str, Any] | None = None, *, act: str | None = None, **options: Any
) -> dict[str, str]:
    """The Authorization header of a caller who is `subject` (see token_for)."""
    return {"Authorization": f"Bearer {token_for(subject, act=act, **options)}"}


def citizen_headers(cpr: str, person_id: str = "citizen-1") -> dict[str, str]:
    return auth_headers({"id": person_id, "role": "citizen"}, cpr=cpr)


def auditor_headers(person_id: str = "auditor-1") -> dict[str, str]:
    return auth_headers({"id": person_id, "role": "auditor"})


@pytest.fixture(scope="session", autouse=True)
def application_logs_leak_nothing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every application log record of the whole run goes, as in production,
    through the JSON formatter into one file; at the end the file must hold
    only JSON lines, no CPR number and no person's name from the synthetic
    population (source data)."""
    path = tmp_path_factory.mktemp("logs") / "application.log"
    logging.config.dictConfig(logging_config("INFO", filename=str(path)))
    yield
    logging.shutdown()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for number, line in enumerate(text.splitlines(), start=1):
        json.loads(line)  # each line is one JSON object
        assert not CPR_LIKE.search(line), f"a CPR-shaped number in log line {number}: {line}"
        assert not any(name in line for name in SURNAMES), f"a person's name in log line {number}"


def fixed_clock(day: date, at: time = time(10, 0)) -> Callable[[], datetime]:
    moment = datetime.combine(day, at, tzinfo=UTC)
    return lambda: moment


AppFactory = Callable[..., TestClient]

_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{10}(?![0-9A-Za-z])")
"""Ten digits standing alone: not part of an id, a hash or a UUID (hex runs)."""
PUBLIC_DOCUMENTS = ("/openapi.json", "/docs", "/redoc")
"""Pages that show the API's own example child number, asked by no one."""


def _cprs(text: str) -> set[str]:
    found = set()
    for number in _NUMBER.findall(text):
        try:
            birth_date(number)
        except CprError:
            continue
        found.add(number)
    return found


def _claims(request: httpx.Request) -> dict[str, Any]:
    """The bearer token's claims, unverified (the service verified them)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def _session_claims(request: httpx.Request) -> dict[str, Any]:
    """The claims of the pages' session cookie (the access token), unverified."""
    pairs = (part.strip().partition("=") for part in request.headers.get("cookie", "").split(";"))
    token = next((value for name, _, value in pairs if name == "hoi_session"), "")
    return _claims(httpx.Request("GET", "/", headers={"authorization": f"Bearer {token}"}))


def no_one_elses_cpr(response: httpx.Response) -> None:
    """Every answer of the whole test suite passes here: it may carry only CPR
    numbers the request itself named (the child asked about). An auditor reads
    records of many children, never of their parents."""
    request = response.request
    if request.url.path.startswith(PUBLIC_DOCUMENTS):
        return
    response.read()
    found = _cprs(response.text)
    if not found:
        return
    asked = _cprs(str(request.url)) | _cprs(request.content.decode("utf-8", "replace"))
    claims = _claims(request)
    if claims.get("role") == "auditor":
        asked |= _child_numbers(response.json())
    elif _session_claims(request).get("role") == "auditor":
        # The auditor's page marks each record's child (data-child); nothing else.
        asked |= set(re.findall(r'data-child="([0-9]{10})"', response.text))
    others = found - asked
    assert not others, (
        f"{request.method} {request.url.path} answered with {len(others)} CPR number(s) of "
        "people other than the child asked about"
    )


def _child_numbers(document: Any) -> set[str]:
    """The children's numbers anywhere in a JSON document: `child_cpr` in the
    audit records, and the identifier of a FHIR reference typed Patient (the
    AuditEvent's patient entity)."""
    if isinstance(document, dict):
        found = {v for k, v in document.items() if k == "child_cpr" and isinstance(v, str)}
        identifier = document.get("identifier")
        if document.get("type") == "Patient" and isinstance(identifier, dict):
            found.add(str(identifier.get("value")))
        for value in document.values():
            found |= _child_numbers(value)
        return found
    if isinstance(document, list):
        return set().union(*(_child_numbers(v) for v in document)) if document else set()
    return set()


@pytest.fixture
def make_client(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[AppFactory]:
    """Start the app on an engine, with its own SQLite file and optional population."""
    clients: list[TestClient] = []

    def factory(
        engine: str = "embedded",
        *,
        population: Population | None = None,
        day: date | None = None,
        subject: Mapping[str, Any] | None = None,
        anonymous: bool = False,
        **overrides: object,
    ) -> TestClient:
        """`subject`: who the client's bearer token says it is (default
        DEFAULT_SUBJECT); `anonymous`: send no token at all."""
        settings: dict[str, object] = {
            "environment": "test",
            "engine": engine,
            "var_dir": tmp_path / f"var-{len(clients)}",
            "seed_demo_data": population is None,
            "dev_key_file": signing_key_file(),
            # A decision that outlives the production timeout on a loaded CI
            # machine is not a policy outcome; tests of the timeout set their own.
            "decision_timeout_s": 20.0,
            **overrides,
        }
        if engine == "opa":
            server: OpaServer = request.getfixturevalue("opa_server")
            settings["opa_url"] = server.url
            settings["opa_token"] = server.token
        if day is not None:
            settings["demo_reference_date"] = day
        app = create_app(
            Settings(**settings),  # type: ignore[arg-type]
            population=population,
            clock=fixed_clock(day) if day else None,
        )
        client = TestClient(app, raise_server_exceptions=False)
        client.event_hooks["response"] = [no_one_elses_cpr]
        if not anonymous:
            client.headers.update(auth_headers(subject))
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)
