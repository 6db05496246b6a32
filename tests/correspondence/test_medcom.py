"""The CareCommunication message: each structure rule of the conformance notes
(/work/shared/conformance/medcom-carecommunication/README.md) checked on built
messages, one test per rule; round trip through fhir.resources; determinism."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from uuid import UUID

import pytest
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from correspondence.medcom import (
    CATEGORY_DISPLAY,
    MessageRefused,
    build_message,
    message_json,
)
from policy.cpr import IDENTIFIER_SYSTEM
from tests.correspondence.helpers import (
    BUP,
    CASEWORKER,
    CHILD,
    MUNICIPALITY,
    PSYCHIATRIST,
    SENT,
    accepted,
    build,
    clock,
    draft,
    entries,
    jpeg_bytes,
    one,
    pdf_bytes,
    png_bytes,
    resolve,
    uuids,
)

CC = "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/"
CORE = "http://medcomfhir.dk/ig/core/StructureDefinition/"
TERMINOLOGY = "http://medcomfhir.dk/ig/terminology/CodeSystem/"
PROFILES = {
    "MessageHeader": f"{CC}medcom-careCommunication-messageHeader",
    "Communication": f"{CC}medcom-careCommunication-communication",
    "Provenance": f"{CC}medcom-careCommunication-provenance",
    "Organization": "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization",
    "Patient": f"{CORE}medcom-core-patient",
    "Practitioner": f"{CORE}medcom-core-practitioner",
    "PractitionerRole": f"{CORE}medcom-core-practitionerrole",
}
UUID_URN = re.compile(
    r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)


def resources(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in message["entry"]]


def extension(segment: dict[str, Any], name: str) -> Any:
    [found] = [e for e in segment["extension"] if e["url"] == f"{CORE}medcom-core-{name}-extension"]
    return found


def organisation_by_sor(message: dict[str, Any], sor_id: str) -> dict[str, Any]:
    [found] = [
        o
        for o in entries(message, "Organization")
        if {"system": "urn:oid:1.2.208.176.1.1", "value": sor_id} in o["identifier"]
    ]
    return found


# The message.


def test_the_message_is_a_message_bundle_with_its_profile_and_timestamp() -> None:
    message = build()
    assert message["resourceType"] == "Bundle"
    assert message["type"] == "message"
    assert message["meta"] == {"profile": [f"{CC}medcom-careCommunication-message"]}
    assert message["timestamp"] == "2026-11-30T09:15:00+01:00"


def test_every_entry_has_a_full_url_naming_its_resource() -> None:
    message = build()
    assert [e["fullUrl"] for e in message["entry"]] == [
        f"https://hoi-policy.example/fhir/{r['resourceType']}/{r['id']}" for r in resources(message)
    ]


def test_the_first_entry_is_the_message_header() -> None:
    assert resources(build())[0]["resourceType"] == "MessageHeader"


def test_the_message_holds_the_resources_the_profile_lists() -> None:
    kinds = sorted(r["resourceType"] for r in resources(build()))
    assert kinds == sorted(
        [
            "MessageHeader",
            "Communication",
            "Patient",
            "Organization",
            "Organization",
            "Practitioner",
            "PractitionerRole",
            "Provenance",
        ]
    )


def test_every_resource_carries_its_medcom_profile() -> None:
    message = build(attachments=(accepted(pdf_bytes(), "application/pdf"),))
    assert {r["resourceType"]: r["meta"]["profile"] for r in resources(message)} == {
        kind: [profile] for kind, profile in PROFILES.items()
    }


def test_every_resource_carries_a_generated_xhtml_narrative() -> None:
    for resource in resources(build()):
        assert resource["text"]["status"] == "generated", resource["resourceType"]
        assert resource["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')


def test_what_the_sender_wrote_never_becomes_markup_in_a_narrative() -> None:
    message = build(
        category="other",
        topic="<img src=x onerror=alert(1)>",
        text="Se <script>alert('x')</script>\nmvh",
    )
    div = one(message, "Communication")["text"]["div"]
    assert "<script" not in div and "<img" not in div
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<br/>mvh" in div
    assert "&lt;img src=x onerror=alert(1)&gt;" in div


# MessageHeader.


def test_the_header_names_the_care_communication_event_and_definition() -> None:
    header = one(build(), "MessageHeader")
    assert header["eventCoding"] == {
        "system": f"{TERMINOLOGY}medcom-messaging-eventCodes",
        "code": "care-communication-message",
    }
    assert header["definition"] == (
        "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/"
        "MedComCareCommunicationMessageDefinition|5.0"
    )


def test_the_primary_destination_is_the_receivers_sor_endpoint_and_organisation() -> None:
    message = build()
    [destination] = one(message, "MessageHeader")["destination"]
    receiver = organisation_by_sor(message, MUNICIPALITY.sor_id)
    assert destination == {
        "extension": [
            {
                "url": "http://medcomfhir.dk/ig/messaging/StructureDefinition/"
                "medcom-messaging-destinationUseExtension",
                "valueCoding": {
                    "system": f"{TERMINOLOGY}medcom-messaging-destinationUse",
                    "code": "primary",
                },
            }
        ],
        "endpoint": "https://sor2.sum.dsdn.dk/#id=900000000000202",
        "receiver": {"reference": f"Organization/{receiver['id']}"},
    }


def test_the_header_names_the_sender_and_its_sor_endpoint() -> None:
    message = build()
    header = one(message, "MessageHeader")
    assert resolve(message, header["sender"]["reference"]) == organisation_by_sor(
        message, BUP.sor_id
    )
    assert header["source"] == {"endpoint": "https://sor2.sum.dsdn.dk/#id=900000000000101"}


def test_the_header_focuses_on_the_communication() -> None:
    message = build()
    [focus] = one(message, "MessageHeader")["focus"]
    assert resolve(message, focus["reference"]) == one(message, "Communication")


# Organization.


def test_organisations_carry_sor_and_gln_identifiers_and_a_name() -> None:
    message = build()
    sender = organisation_by_sor(message, BUP.sor_id)
    assert {k: sender[k] for k in ("identifier", "name")} == {
        "identifier": [
            {"system": "urn:oid:1.2.208.176.1.1", "value": "900000000000101"},
            {"system": "https://www.gs1.org/gln", "value": "0200000001018"},
        ],
        "name": "BUP Testafdeling (syntetisk)",
    }


def test_a_gln_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(ValidationError, match="check digit"):
        BUP.model_validate({**BUP.model_dump(), "gln": "0200000001019"})


# Patient.


def test_the_patient_is_the_child_by_cpr_number_with_a_name() -> None:
    patient = one(build(), "Patient")
    assert patient["identifier"] == [{"system": "urn:oid:1.2.208.176.1.2", "value": CHILD.cpr}]
    assert IDENTIFIER_SYSTEM == "urn:oid:1.2.208.176.1.2"
    assert patient["name"] == [{"use": "official", "family": "Syntetisk", "given": ["Testbarn"]}]


# Communication.


def test_the_communication_status_is_unknown() -> None:
    assert one(build(), "Communication")["status"] == "unknown"


def test_the_communication_has_exactly_one_uuid_v4_urn_identifier() -> None:
    [identifier] = one(build(), "Communication")["identifier"]
    assert set(identifier) == {"value"}
    assert UUID_URN.fullmatch(identifier["value"])


def test_ids_that_are_not_uuid_v4_are_refused() -> None:
    with pytest.raises(ValueError, match="version 4"):
        build_message(draft(), new_id=lambda: UUID(int=7), now=clock())


@pytest.mark.parametrize("category", sorted(CATEGORY_DISPLAY))
def test_the_category_is_exactly_one_medcom_coding(category: str) -> None:
    topic = "Andet emne" if category == "other" else None
    communication = one(build(category=category, topic=topic), "Communication")
    assert communication["category"] == [
        {
            "coding": [
                {
                    "system": f"{TERMINOLOGY}medcom-careCommunication-categoryCodes",
                    "code": category,
                    "display": CATEGORY_DISPLAY[category],
                }
            ]
        }
    ]


def test_the_categories_are_medcoms_eighteen_with_danish_displays() -> None:
    assert len(CATEGORY_DISPLAY) == 18
    assert CATEGORY_DISPLAY["psychiatry-social-disability"] == "Psykiatri, social, handicap"
    assert CATEGORY_DISPLAY["regarding-referral"] == "Vedr. henvisning"


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(ValidationError):
        draft(category="underretning")


def test_category_other_without_a_topic_is_refused() -> None:
    with pytest.raises(MessageRefused) as caught:
        draft(category="other")
    assert caught.value.field == "topic"


def test_a_topic_is_optional_text_beside_another_category() -> None:
    assert "topic" not in one(build(), "Communication")
    with_topic = one(build(topic="Status på udredning"), "Communication")
    assert with_topic["topic"] == {"text": "Status på udredning"}


def test_priority_asap_is_refused_outside_regarding_referral() -> None:
    with pytest.raises(MessageRefused) as caught:
        draft(asap=True)
    assert caught.value.field == "asap"


def test_priority_asap_is_sent_with_regarding_referral_and_absent_otherwise() -> None:
    assert one(build(category="regarding-referral", asap=True), "Communication")["priority"] == (
        "asap"
    )
    assert "priority" not in one(build(category="regarding-referral"), "Communication")


def test_the_subject_is_the_patient_in_the_bundle() -> None:
    message = build()
    subject = one(message, "Communication")["subject"]["reference"]
    assert resolve(message, subject) == one(message, "Patient")


def test_without_an_encounter_the_communication_names_none() -> None:
    """careCommunication-9 and -15: no Encounter in the bundle, no encounter element."""
    message = build()
    assert entries(message, "Encounter") == []
    assert "encounter" not in one(message, "Communication")


def test_recipient_is_not_set_beyond_the_header_receiver() -> None:
    """At most one recipient; this slice sends none (the header's receiver is the
    addressee)."""
    assert "recipient" not in one(build(), "Communication")


def test_the_text_segment_keeps_line_breaks_and_carries_the_four_extensions() -> None:
    message = build(text="Linje et\nLinje to")
    [segment] = one(message, "Communication")["payload"]
    assert segment["contentString"] == "Linje et\nLinje to"
    assert '"Linje et\\nLinje to"' in json.dumps(message)
    assert extension(segment, "datetime") == {
        "url": f"{CORE}medcom-core-datetime-extension",
        "valueDateTime": "2026-11-30T09:15:00+01:00",
    }
    identifier = extension(segment, "identifier")["valueIdentifier"]
    assert UUID_URN.fullmatch(identifier["value"])
    assert resolve(message, identifier["assigner"]["reference"]) == organisation_by_sor(
        message, BUP.sor_id
    )
    author = extension(segment, "practitioner")["valueReference"]["reference"]
    assert resolve(message, author) == one(message, "PractitionerRole")
    assert extension(segment, "contact")["valueContactPoint"] == {
        "system": "phone",
        "value": "+45 11 22 33 44",
    }


def test_attachment_segments_carry_the_file_its_detected_type_and_title() -> None:
    pdf, png, jpeg = pdf_bytes(), png_bytes(), jpeg_bytes()
    message = build(
        attachments=(
            accepted(pdf, "application/pdf", title="Udredningsnotat"),
            accepted(png, "image/png", title="Tegning"),
            accepted(jpeg, "image/jpeg", title="Foto.jpeg"),
        )
    )
    text, *files = one(message, "Communication")["payload"]
    assert "contentString" in text
    assert [
        (
            f["contentAttachment"]["title"],
            f["contentAttachment"]["contentType"],
            base64.b64decode(f["contentAttachment"]["data"]),
        )
        for f in files
    ] == [
        ("Udredningsnotat", "application/pdf", pdf),
        ("Tegning", "image/png", png),
        ("Foto.jpeg", "image/jpeg", jpeg),  # the title as given: nothing added or removed
    ]
    for segment in files:
        assert extension(segment, "datetime")["valueDateTime"] == "2026-11-30T09:15:00+01:00"
        assert UUID_URN.fullmatch(extension(segment, "identifier")["valueIdentifier"]["value"])


def test_segment_identifiers_are_unique() -> None:
    message = build(attachments=(accepted(pdf_bytes(), "application/pdf"),) * 2)
    ids = [
        extension(s, "identifier")["valueIdentifier"]["value"]
        for s in one(message, "Communication")["payload"]
    ]
    assert len(set(ids)) == 3


def test_the_authors_role_is_a_code_or_text_never_both() -> None:
    """careCommunication-7 is an exclusive or."""
    coded = one(build(author=PSYCHIATRIST), "PractitionerRole")["code"]
    assert coded == [
        {
            "coding": [
                {
                    "system": f"{TERMINOLOGY}medcom-core-PractitionerRolesSKSadministrativ",
                    "code": "overlaege",
                }
            ]
        }
    ]
    assert one(build(author=CASEWORKER), "PractitionerRole")["code"] == [{"text": "Sagsbehandler"}]
    for both_or_neither in ({"role_text": "Overlæge"}, {"role_code": None}):
        with pytest.raises(ValidationError, match="exactly one"):
            PSYCHIATRIST.model_validate({**PSYCHIATRIST.model_dump(), **both_or_neither})


def test_the_author_practitioner_has_a_name_and_the_role_belongs_to_the_sender() -> None:
    """careCommunication-8."""
    message = build()
    role = one(message, "PractitionerRole")
    practitioner = resolve(message, role["practitioner"]["reference"])
    assert practitioner["name"] == [{"family": "Lægesen", "given": ["Lise"]}]
    assert resolve(message, role["organization"]["reference"]) == organisation_by_sor(
        message, BUP.sor_id
    )


# Provenance.


def test_a_new_message_has_one_provenance_for_itself() -> None:
    message = build()
    provenance = one(message, "Provenance")
    header = one(message, "MessageHeader")
    [text_segment] = one(message, "Communication")["payload"]
    segment_id = extension(text_segment, "identifier")["valueIdentifier"]["value"]
    sender = organisation_by_sor(message, BUP.sor_id)
    assert {k: v for k, v in provenance.items() if k not in ("id", "meta", "text")} == {
        "resourceType": "Provenance",
        "target": [{"reference": f"MessageHeader/{header['id']}"}],
        "occurredDateTime": "2026-11-30T09:15:00+01:00",
        "recorded": "2026-11-30T09:15:00+01:00",
        "activity": {
            "coding": [
                {"system": f"{TERMINOLOGY}medcom-messaging-activityCodes", "code": "new-message"}
            ]
        },
        "agent": [{"who": {"reference": f"Organization/{sender['id']}"}}],
        "entity": [{"role": "source", "what": {"identifier": {"value": segment_id}}}],
    }


# Whole messages: determinism and the round trip.


def test_the_same_inputs_give_the_same_message() -> None:
    assert build() == build()


def test_the_message_survives_a_round_trip_through_json_and_fhir_resources() -> None:
    bundle = build_message(
        draft(attachments=(accepted(png_bytes(), "image/png"),)), new_id=uuids(), now=clock()
    )
    again = Bundle.model_validate_json(bundle.model_dump_json())
    assert again == bundle
    assert message_json(again) == message_json(bundle)
    assert json.loads(bundle.model_dump_json()) == message_json(bundle)


def test_a_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        build_message(draft(), new_id=uuids(), now=lambda: SENT.replace(tzinfo=None))
