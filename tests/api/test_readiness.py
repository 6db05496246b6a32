"""/readyz tells a load balancer ready or not, and nothing an attacker could use."""

from __future__ import annotations

from sandbox.server import SandboxServer
from tests.broker.conftest import OverviewApp, sandbox, service  # noqa: F401 - fixtures
from tests.conftest import AppFactory


def test_ready_publishes_no_revision_versions_or_source_names(make_client: AppFactory) -> None:
    response = make_client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_not_ready_when_the_cpr_source_is_down(
    service: OverviewApp,  # noqa: F811
    sandbox: SandboxServer,  # noqa: F811
) -> None:
    client = service()
    assert client.get("/readyz").status_code == 200
    sandbox.control("cpr").control.fail_status = 503
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "failing": ["facts"]}


def test_not_ready_when_the_relation_source_is_unreachable(
    service: OverviewApp,  # noqa: F811
    sandbox: SandboxServer,  # noqa: F811
) -> None:
    client = service()
    sandbox.control("brs").control.fail_status = 500
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "failing": ["facts"]}
    assert "brs" not in response.text and "treatment-relations" not in response.text


def test_a_source_that_answers_slowly_but_answers_is_ready(
    service: OverviewApp,  # noqa: F811
    sandbox: SandboxServer,  # noqa: F811
) -> None:
    client = service()
    sandbox.control("fhir").control.fail_status = 503  # not a facts source: the overview degrades
    assert client.get("/readyz").status_code == 200
