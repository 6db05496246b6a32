"""FHIR R4 Consent import and export.

Every official HL7 example in ../shared/conformance/fhir-r4-consent/ is sent to
the importer; the expected outcome per example is written down below, and the
per-example report (accepted or refused, and every reason) is printed in the
test output and written to var/fhir-r4-consent-import-report.md. Our own
consents round-trip: export, import, same consent."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.consent import Consent

from policy.errors import Unmappable
from policy.paths import PROJECT_ROOT
from registry import fhir
from tests.conftest import AppFactory, citizen_headers
from tests.registry.conftest import (
    FATHER,
    MOTHER,
    SIXTEEN,
    TODAY,
    YOUNG,
    Family,
    registry_population,
)


def _conformance_dir() -> Path:
    """The shared conformance data: beside the checkout (CI, main) or beside its
    parent (a worktree under wt/); HOI_CONFORMANCE_DIR overrides."""
    explicit = os.environ.get("HOI_CONFORMANCE_DIR")
    if explicit:
        return Path(explicit)
    candidates = [p / "shared" / "conformance" for p in PROJECT_ROOT.parents[:2]]
    return next((c for c in candidates if c.is_dir()), candidates[0])


EXAMPLES_DIR = _conformance_dir() / "fhir-r4-consent"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.json"))
REPORT = PROJECT_ROOT / "var" / "fhir-r4-consent-import-report.md"

# What each HL7 example is refused for: the elements that cannot be mapped.
# None of them names a Danish child by CPR number or a paragraph of Danish law,
# so none can be recorded; the report lists every reason.
EXPECTED_REFUSALS: dict[str, set[str]] = {
    "Consent-consent-example-Out.json": {
        "sourceAttachment",
        "patient",
        "performer",
        "organization",
        "policyRule",
        "extension",
        "provision",
    },
    "Consent-consent-example-grantor.json": {
        "sourceAttachment",
        "category",
        "patient",
        "performer",
        "organization",
        "policyRule",
        "extension",
        "provision",
    },
    "Consent-consent-example-notAuthor.json": {
        "sourceAttachment",
        "patient",
        "performer",
        "organization",
        "policyRule",
        "extension",
        "provision",
    },
    "Consent-consent-example-notThem.json": {
        "sourceAttachment",
        "patient",
        "performer",
        "organization",
        "policyRule",
        "extension",
        "provision",
    },
    "Consent-consent-example-signature.json": {
        "category",
        "patient",
        "performer",
        "organization",
        "policyRule",
        "extension",
        "provision",
    },
    "Consent-consent-example-smartonfhir.json": {
        "patient",
        "performer",
        "organization",
        "policyRule",
        "extension",
        "provision",
    },
}


def _outcome(path: Path) -> tuple[str, list[dict[str, str]], list[str]]:
    resource = json.loads(path.read_text(encoding="utf-8"))
    try:
        _, _, _, notes = fhir.consent_from_fhir(resource, YOUNG.record.cpr)
    except Unmappable as exc:
        return "refused", exc.errors, []
    return "accepted", [], notes


def test_every_hl7_example_is_covered() -> None:
    if not EXAMPLES and os.environ.get("CI") != "true":
        pytest.skip(f"no HL7 examples at {EXAMPLES_DIR}")
    assert {p.name for p in EXAMPLES} == set(EXPECTED_REFUSALS)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_hl7_example_is_refused_for_what_cannot_be_mapped(path: Path) -> None:
    verdict, errors, _ = _outcome(path)
    assert verdict == "refused"
    assert {e["field"].split(".")[0] for e in errors} == EXPECTED_REFUSALS[path.name]
    assert all(e["message"] for e in errors)


def test_hl7_example_report(capsys: pytest.CaptureFixture[str]) -> None:
    """Print and write the per-example import report."""
    lines = [
        "# FHIR R4 Consent import: the HL7 examples",
        "",
        f"Examples from {EXAMPLES_DIR.name}/ (HL7 FHIR R4 4.0.1 examples package).",
        "",
    ]
    for path in EXAMPLES:
        verdict, errors, notes = _outcome(path)
        lines.append(f"## {path.name}: {verdict.upper()}")
        lines += [f"- `{e['field']}`: {e['message']}" for e in errors]
        lines += [f"- note: {n}" for n in notes]
        lines.append("")
    report = "\n".join(lines)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report, encoding="utf-8")
    with capsys.disabled():
        print("\n" + report + f"(written to {REPORT.relative_to(PROJECT_ROOT)})\n")
    assert report.count(": REFUSED") == len(EXAMPLES)


# --- round trip and refusals through the API --------------------------------------


@pytest.fixture
def client(make_client: AppFactory, db_url: str) -> TestClient:
    return make_client(population=registry_population(), day=TODAY, database_url=db_url)


ROUND_TRIPS = {
    "custody-holder-health-act": (
        YOUNG.record.cpr,
        {
            "regime": "sul-43-1",
            "given_by": MOTHER,
            "categories": ["psychiatry_appointments", "psychiatry_contacts"],
            "recipient": {"organisation_id": "851-family"},
            "form": "written",
            "given_on": "2026-06-15",
            "valid_until": "2027-12-31",
        },
    ),
    "young-person-oral-between-health-professionals": (
        SIXTEEN.record.cpr,
        {
            "regime": "sul-41-1",
            "given_by": SIXTEEN.record.cpr,
            "categories": ["psychiatry_contacts"],
            "recipient": {"organisation_id": "gp-laegeklinikken-sulsted"},
            "purposes": ["current_treatment", "treatment_follow_up"],
            "form": "oral",
            "given_on": "2026-11-20",
            "valid_until": "2027-02-28",
            "custodian": "bup-rn-aalborg-amb",
        },
    ),
}

SAME = (
    "child_cpr",
    "regime",
    "given_by",
    "capacity",
    "categories",
    "recipient",
    "purposes",
    "form",
    "given_on",
    "valid_until",
    "custodian",
)


def _import(client: TestClient, cpr: str, resource: dict[str, Any], person: str = MOTHER) -> Any:
    """Import as `person`, with their citizen token (a citizen imports what they gave)."""
    return client.post(
        f"/v1/children/{cpr}/consents/fhir",
        content=json.dumps(resource),
        headers={"content-type": fhir.FHIR_JSON, **citizen_headers(person)},
    )


def _export(client: TestClient, cpr: str, consent_id: str) -> dict[str, Any]:
    response = Family(client).get(f"/v1/children/{cpr}/consents/{consent_id}/fhir")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(fhir.FHIR_JSON)
    resource: dict[str, Any] = response.json()
    return resource


@pytest.mark.parametrize("case", ROUND_TRIPS, ids=list(ROUND_TRIPS))
def test_our_consents_round_trip(client: TestClient, case: str) -> None:
    cpr, body = ROUND_TRIPS[case]
    original = Family(client).post(f"/v1/children/{cpr}/consents", json=body).json()
    exported = _export(client, cpr, original["id"])
    Consent.model_validate(exported)  # a valid R4(B) Consent
    assert exported["status"] == "active"
    assert exported["patient"]["identifier"] == {"system": fhir.CPR_SYSTEM, "value": cpr}
    assert exported["policyRule"]["coding"][0]["code"] == body["regime"]
    imported = _import(client, cpr, exported, str(body["given_by"]))
    assert imported.status_code == 201, imported.text
    result = imported.json()
    again = result["consent"]
    assert {k: again[k] for k in SAME} == {k: original[k] for k in SAME}
    assert again["source"] == "fhir"
    assert {"system": fhir.CONSENT_ID_SYSTEM, "value": original["id"]} in again[
        "source_identifiers"
    ]
    assert any("resource id" in n for n in result["notes"])
    # The same giver, regime, recipient and scope: the import replaces the original.
    replaced = Family(client).get(f"/v1/children/{cpr}/consents/{original['id']}").json()
    assert (replaced["status"], replaced["superseded_by"]) == ("superseded", again["id"])
    assert _export(client, cpr, original["id"])["status"] == "inactive"


def _valid_export(client: TestClient) -> dict[str, Any]:
    cpr, body = ROUND_TRIPS["custody-holder-health-act"]
    created = Family(client).post(f"/v1/children/{cpr}/consents", json=body).json()
    return _export(client, cpr, created["id"])


def _break(resource: dict[str, Any], change: str) -> dict[str, Any]:
    broken = copy.deepcopy(resource)
    if change == "nested-provision":
        broken["provision"]["provision"] = [{"type": "deny"}]
    elif change == "gdpr":
        broken["policyRule"] = {"coding": [{"system": fhir.REGIME_SYSTEM, "code": "gdpr-6-1-a"}]}
    elif change == "signed-document":
        broken["sourceAttachment"] = {"title": "Signed form", "url": "https://example.org/1"}
    elif change == "deny":
        broken["provision"]["type"] = "deny"
    elif change == "other-child":
        broken["patient"]["identifier"]["value"] = SIXTEEN.record.cpr
    elif change == "unknown-extension":
        broken["extension"].append({"url": "https://example.org/x", "valueBoolean": True})
    elif change == "modifier-extension":
        broken["modifierExtension"] = [{"url": "https://example.org/m", "valueBoolean": True}]
    elif change == "foreign-class":
        broken["provision"]["class"] = [{"system": "urn:ietf:bcp:13", "code": "text/plain"}]
    elif change == "security-label":
        broken["provision"]["securityLabel"] = [{"system": "urn:x", "code": "R"}]
    elif change == "draft":
        broken["status"] = "draft"
    return broken


BREAKS = {
    "nested-provision": ("provision.provision", "nested provisions"),
    "gdpr": ("policyRule", "GDPR consent is not a basis"),
    "signed-document": ("sourceAttachment", "signed document"),
    "deny": ("provision.type", "objection"),
    "other-child": ("patient", "another child"),
    "unknown-extension": ("extension.1", "not understood"),
    "modifier-extension": ("modifierExtension", "changes the meaning"),
    "foreign-class": ("provision.class.0", "cannot be mapped"),
    "security-label": ("provision.securityLabel", "security labels"),
    "draft": ("status", "only an active consent"),
}


@pytest.mark.parametrize("change", BREAKS, ids=list(BREAKS))
def test_what_cannot_be_mapped_is_refused_with_the_reason(client: TestClient, change: str) -> None:
    cpr = YOUNG.record.cpr
    before = len(Family(client).get(f"/v1/children/{cpr}/consents").json())
    resource = _break(_valid_export(client), change)
    response = _import(client, cpr, resource)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/unmappable")
    field, words = BREAKS[change]
    assert any(e["field"] == field and words in e["message"] for e in problem["errors"]), problem
    assert len(Family(client).get(f"/v1/children/{cpr}/consents").json()) == before + 1


def test_invalid_fhir_is_refused_naming_the_element(client: TestClient) -> None:
    resource = _valid_export(client)
    resource["provision"]["period"]["end"] = "31-12-2027"
    resource["unknownElement"] = 1
    response = _import(client, YOUNG.record.cpr, resource)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"provision.period.end", "unknownElement"} <= fields


def test_an_imported_consent_from_someone_not_entitled_is_refused(client: TestClient) -> None:
    resource = _valid_export(client)
    resource["patient"]["identifier"]["value"] = SIXTEEN.record.cpr
    resource["performer"][0]["identifier"] = {"system": fhir.CPR_SYSTEM, "value": FATHER}
    resource["dateTime"] = resource["provision"]["period"]["start"] = "2026-11-01"
    response = _import(client, SIXTEEN.record.cpr, resource, FATHER)
    assert response.status_code == 422
    assert response.json()["type"].endswith("/not-entitled")
    assert "decides alone" in response.json()["detail"]
