"""The source client: retries only for idempotent reads; credentials fail closed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.client import SourceClient, SourceError, SourceNotConfigured
from broker.sources import BearerFromEnv, MutualTls, RetryPolicy, SourceSpec
from sandbox.server import SandboxServer
from sandbox.sources import SourceControl

FAST = RetryPolicy(attempts=3, wait_initial_s=0.001, wait_max_s=0.002)


def _spec(sandbox: SandboxServer, **changes: object) -> SourceSpec:
    base = SourceSpec(
        id="fhir",
        label="test",
        category="psychiatry_appointments",
        adapter="fhir_r4_appointment",
        base_url=sandbox.base_url("fhir"),
        retry=FAST,
    )
    return base.model_copy(update=changes)


pytestmark = pytest.mark.anyio


@pytest.fixture
def fhir(sandbox: SandboxServer) -> Iterator[SourceControl]:
    sandbox.reset()
    yield sandbox.control("fhir").control
    sandbox.reset()


async def test_get_is_retried_after_a_transient_failure(
    sandbox: SandboxServer, fhir: SourceControl
) -> None:
    fhir.fail_next = 2
    client = SourceClient(_spec(sandbox))
    try:
        body = await client.get_json("Appointment", {"patient:identifier": "x"})
    finally:
        await client.aclose()
    assert body["resourceType"] == "Bundle"
    assert fhir.count("GET /Appointment") == 3


async def test_post_is_sent_once_even_when_it_fails(
    sandbox: SandboxServer, fhir: SourceControl
) -> None:
    fhir.fail_next = 1
    client = SourceClient(_spec(sandbox))
    try:
        with pytest.raises(SourceError) as failed:
            await client.request_json(
                "POST", "Appointment/_search", form={"patient:identifier": "x"}
            )
    finally:
        await client.aclose()
    assert failed.value.detail == "http_503"
    assert fhir.count("POST /Appointment/_search") == 1


async def test_post_declared_idempotent_is_retried(
    sandbox: SandboxServer, fhir: SourceControl
) -> None:
    """FHIR's POST _search is a read; an adapter may declare it idempotent."""
    fhir.fail_next = 1
    client = SourceClient(_spec(sandbox))
    try:
        body = await client.request_json(
            "POST", "Appointment/_search", form={"patient:identifier": "x"}, idempotent=True
        )
    finally:
        await client.aclose()
    assert body["total"] == 0
    assert fhir.count("POST /Appointment/_search") == 2


async def test_client_errors_are_not_retried(sandbox: SandboxServer, fhir: SourceControl) -> None:
    fhir.fail_status = 404
    client = SourceClient(_spec(sandbox))
    try:
        with pytest.raises(SourceError):
            await client.get_json("Appointment")
    finally:
        await client.aclose()
    assert fhir.count("GET /Appointment") == 1


async def test_bearer_from_env_is_sent(
    sandbox: SandboxServer, fhir: SourceControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    fhir.required_bearer = "synthetic-token"
    monkeypatch.setenv("HOI_TEST_FHIR_TOKEN", "synthetic-token")
    client = SourceClient(
        _spec(sandbox, auth=BearerFromEnv(kind="bearer_env", env="HOI_TEST_FHIR_TOKEN"))
    )
    try:
        assert (await client.get_json("Appointment"))["resourceType"] == "Bundle"
    finally:
        await client.aclose()
        fhir.required_bearer = None


async def test_missing_bearer_fails_closed_without_a_call(
    sandbox: SandboxServer, fhir: SourceControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOI_TEST_FHIR_TOKEN", raising=False)
    client = SourceClient(
        _spec(sandbox, auth=BearerFromEnv(kind="bearer_env", env="HOI_TEST_FHIR_TOKEN"))
    )
    try:
        with pytest.raises(SourceNotConfigured):
            await client.get_json("Appointment")
    finally:
        await client.aclose()
    assert fhir.total() == 0


async def test_unconfigured_mtls_fails_closed_without_a_call(
    sandbox: SandboxServer, fhir: SourceControl, tmp_path: Path
) -> None:
    auth = MutualTls(kind="mtls", cert_file=tmp_path / "missing.pem")
    client = SourceClient(_spec(sandbox, auth=auth))
    try:
        with pytest.raises(SourceNotConfigured):
            await client.get_json("Appointment")
    finally:
        await client.aclose()
    assert fhir.total() == 0
