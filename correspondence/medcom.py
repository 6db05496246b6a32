"""MedCom CareCommunication 5.0 (korrespondancemeddelelse) as a FHIR R4 message Bundle.

`build_message(draft, ...)` turns a typed draft into the Bundle: MessageHeader first
(event `care-communication-message`, the primary destination with the receiver's SOR
endpoint, sender and source), then the Communication (status `unknown`, a `urn:uuid`
identifier, one category, topic, the payload segments), the Patient (the child, by CPR
number), the sender's and the receiver's Organization (SOR and GLN identifiers), the
author's PractitionerRole and Practitioner, and one Provenance per message in the
thread. Every resource carries its MedCom profile and a generated narrative, escaped:
nothing the sender wrote becomes markup.

A reply or a forward is built from the preceding message's Bundle (`thread_of`): its
segments are repeated before the new ones (oldest first), its Provenances and the
resources its segments name (authors, their practitioners, assigning organisations)
are carried over, and the new Provenance has an entity with role `revision` pointing
at the preceding MessageHeader. Each Provenance also lists the segments its message
added (entities with role `source`, by the segment's `urn:uuid`), as MedCom's
CareCommunication Provenance profile requires. An organisation that appears in the
thread under the same SOR id keeps its resource id, so references in the carried
segments still resolve and the Bundle has one resource per organisation.

Deterministic: every id comes from the injected `new_id` (UUID version 4, in a fixed
order) and every time from the injected `now`, so the same inputs give the same
Bundle.

Models: fhir.resources 8 ships R5 (the top-level package), R4B (4.3.0) and STU3, and
no R4. MedCom's guides are R4 (4.0.1). We validate with the R4B models, as the audit
export and the Appointment source do: every element this module writes in Bundle,
MessageHeader, Communication, Patient, Organization, Practitioner, PractitionerRole
and Provenance has the same name, type and cardinality in R4 and R4B (R4B's changes
are in other resources). A conformance run against MedCom's own R4 package is still
to do (see the open questions of issue 13). R5 would be wrong: it renamed
`MessageHeader.destination.endpoint` (to `endpointUrl`/`endpointReference`) and
dropped `Communication.payload.contentString`.

Not built here: the `medcom-core-sender-extension`, `Communication.recipient` (a more
specific receiver), Encounter (episode of care), CareTeam, copy destinations, the
Patient's address, attachments by `url`, the retract/modify activities, and the
Acknowledgement message.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fhir.resources.R4B.bundle import Bundle
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from correspondence.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_MESSAGE_ATTACHMENT_BYTES,
    AcceptedAttachment,
    detect,
)
from policy.cpr import IDENTIFIER_SYSTEM as CPR_SYSTEM
from policy.cpr import Cpr
from policy.errors import InvalidRequest
from policy.gln import valid_gln

# Profiles.
_CC = "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/"
_CORE = "http://medcomfhir.dk/ig/core/StructureDefinition/"
_MESSAGING = "http://medcomfhir.dk/ig/messaging/StructureDefinition/"
MESSAGE_PROFILE = f"{_CC}medcom-careCommunication-message"
HEADER_PROFILE = f"{_CC}medcom-careCommunication-messageHeader"
COMMUNICATION_PROFILE = f"{_CC}medcom-careCommunication-communication"
PROVENANCE_PROFILE = f"{_CC}medcom-careCommunication-provenance"
ORGANIZATION_PROFILE = f"{_MESSAGING}medcom-messaging-organization"
PATIENT_PROFILE = f"{_CORE}medcom-core-patient"
PRACTITIONER_PROFILE = f"{_CORE}medcom-core-practitioner"
PRACTITIONER_ROLE_PROFILE = f"{_CORE}medcom-core-practitionerrole"

# Extensions.
DESTINATION_USE_EXTENSION = f"{_MESSAGING}medcom-messaging-destinationUseExtension"
DATETIME_EXTENSION = f"{_CORE}medcom-core-datetime-extension"
IDENTIFIER_EXTENSION = f"{_CORE}medcom-core-identifier-extension"
AUTHOR_EXTENSION = f"{_CORE}medcom-core-practitioner-extension"
CONTACT_EXTENSION = f"{_CORE}medcom-core-contact-extension"

# Code systems and identifiers.
_TERMINOLOGY = "http://medcomfhir.dk/ig/terminology/CodeSystem/"
EVENT_SYSTEM = f"{_TERMINOLOGY}medcom-messaging-eventCodes"
EVENT_CODE = "care-communication-message"
DESTINATION_USE_SYSTEM = f"{_TERMINOLOGY}medcom-messaging-destinationUse"
CATEGORY_SYSTEM = f"{_TERMINOLOGY}medcom-careCommunication-categoryCodes"
ACTIVITY_SYSTEM = f"{_TERMINOLOGY}medcom-messaging-activityCodes"
ROLE_SYSTEM = f"{_TERMINOLOGY}medcom-core-PractitionerRolesSKSadministrativ"
PRIORITY_SYSTEM = "http://hl7.org/fhir/request-priority"
DEFINITION = (
    "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/"
    "MedComCareCommunicationMessageDefinition|5.0"
)
SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
GLN_SYSTEM = "https://www.gs1.org/gln"
SOR_ENDPOINT = "https://sor2.sum.dsdn.dk/#id="
XHTML = "http://www.w3.org/1999/xhtml"
BASE = "https://hoi-policy.example/fhir"
"""Where our resources' fullUrls live (`{BASE}/{type}/{id}`); references inside the
Bundle are relative (`Patient/{id}`) and resolve against it."""

Category = Literal[
    "alcohol-and-drug-treatment",
    "assistive-devices",
    "carecoordination",
    "decease",
    "discharge",
    "examination-results",
    "healthcare",
    "home-care-assessment",
    "medicine",
    "nursing",
    "outpatient",
    "psychiatry-social-disability",
    "regarding-referral",
    "telemedicine",
    "training",
    "acute-ambulant",
    "extended-care-responsibility",
    "other",
]
CATEGORY_DISPLAY: dict[str, str] = {
    "alcohol-and-drug-treatment": "Rusmiddelbehandling",
    "assistive-devices": "Hjælpemidler",
    "carecoordination": "Forløbskoordinering",
    "decease": "Dødsfald",
    "discharge": "Udskrivelse",
    "examination-results": "Undersøgelsessvar",
    "healthcare": "Sundhedspleje",
    "home-care-assessment": "Visitation",
    "medicine": "Medicin",
    "nursing": "Sygepleje",
    "outpatient": "Ambulant",
    "psychiatry-social-disability": "Psykiatri, social, handicap",
    "regarding-referral": "Vedr. henvisning",
    "telemedicine": "Telemedicin",
    "training": "Træning",
    "acute-ambulant": "Akut ambulant",
    "extended-care-responsibility": "Udvidet behandlingsansvar",
    "other": "Andet",
}

Activity = Literal["new", "reply", "forward"]
ACTIVITY_CODE: dict[Activity, tuple[str, str]] = {
    "new": ("new-message", "Ny meddelelse"),
    "reply": ("reply-message", "Svar på meddelelse"),
    "forward": ("forward-message", "Videresendt meddelelse"),
}
"""MedCom's activity code and our Danish words for the narrative."""


class MessageRefused(InvalidRequest):
    """The draft breaks a CareCommunication rule (an invariant of the profile, or a
    thread that does not fit); `field` names the draft's field at fault."""


class Organisation(BaseModel):
    """A sender or receiver: its SOR id (the MedCom address) and its EAN/GLN
    location number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sor_id: str = Field(pattern=r"^[0-9]{6,20}$")
    gln: str = Field(pattern=r"^[0-9]{13}$")
    name: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _check_digit(self) -> Organisation:
        if not valid_gln(self.gln):
            raise ValueError("the GLN's check digit is wrong")
        return self


class Author(BaseModel):
    """Who writes the segment: a name (invariant careCommunication-8) and either a
    coded role from MedCom's SKS role list or a role in words, not both
    (careCommunication-7 is an exclusive or), and a phone number for the contact
    extension."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    given: str = Field(min_length=1, max_length=100)
    family: str = Field(min_length=1, max_length=100)
    role_code: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,64}$")
    role_text: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str = Field(pattern=r"^\+?[0-9 ]{8,20}$")

    @model_validator(mode="after")
    def _one_role(self) -> Author:
        if (self.role_code is None) == (self.role_text is None):
            raise ValueError("give the author's role either as a code or as text, exactly one")
        return self


class Child(BaseModel):
    """The patient: the child the message is about."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpr: Cpr
    given: str = Field(min_length=1, max_length=100)
    family: str = Field(min_length=1, max_length=100)


class Draft(BaseModel):
    """What the sender wrote and to whom. Attachments are given already accepted
    (`correspondence.attachments.accept_attachments`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sender: Organisation
    receiver: Organisation
    author: Author
    child: Child
    category: Category
    topic: str | None = Field(default=None, min_length=1, max_length=200)
    asap: bool = False
    text: str = Field(min_length=1, max_length=100_000)
    attachments: tuple[AcceptedAttachment, ...] = ()

    @model_validator(mode="after")
    def _invariants(self) -> Draft:
        # careCommunication-6: a topic when the category is 'other'.
        if self.category == "other" and self.topic is None:
            raise MessageRefused("the category 'other' needs a topic", field="topic")
        # careCommunication-5: priority only with 'regarding-referral'.
        if self.asap and self.category != "regarding-referral":
            raise MessageRefused(
                "priority ASAP is only allowed for the category 'regarding-referral'",
                field="asap",
            )
        # Attachments are checked when accepted; a draft made any other way (from
        # JSON, by hand) must not smuggle content or size past that check.
        if len(self.attachments) > MAX_ATTACHMENTS:
            raise MessageRefused(
                f"a message may carry at most {MAX_ATTACHMENTS} attachments", field="attachments"
            )
        if sum(len(a.data) for a in self.attachments) > MAX_MESSAGE_ATTACHMENT_BYTES:
            raise MessageRefused(
                f"a message may carry at most {MAX_MESSAGE_ATTACHMENT_BYTES} bytes of attachments",
                field="attachments",
            )
        for index, attachment in enumerate(self.attachments):
            if len(attachment.data) > MAX_ATTACHMENT_BYTES:
                raise MessageRefused(
                    f"attachment {index + 1} is larger than {MAX_ATTACHMENT_BYTES} bytes",
                    field=f"attachments[{index}]",
                )
            if detect(attachment.data) != attachment.content_type:
                raise MessageRefused(
                    f"attachment {index + 1} is not the {attachment.content_type} it claims",
                    field=f"attachments[{index}]",
                )
        return self


@dataclass(frozen=True)
class Thread:
    """What a reply or forward takes from the preceding message's Bundle."""

    header_id: str
    cpr: str
    segments: tuple[dict[str, Any], ...]
    carried: tuple[dict[str, Any], ...] = field(default=())
    """Bundle entries carried over: the thread's Provenances and the resources its
    segments reference (PractitionerRole, Practitioner, Organization)."""
    organisations: dict[str, str] = field(default_factory=dict)
    """SOR id -> resource id of the organisations in the preceding message."""


def _ref(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def _narrative(*paragraphs: str) -> dict[str, str]:
    """Generated XHTML: one paragraph each, line breaks kept, everything escaped."""
    body = "".join(
        "<p>" + "<br/>".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{body}</div>'}


def _meta(profile: str) -> dict[str, list[str]]:
    return {"profile": [profile]}


def _organisation(ident: str, org: Organisation) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": ident,
        "meta": _meta(ORGANIZATION_PROFILE),
        "text": _narrative(org.name, f"SOR {org.sor_id}", f"GLN {org.gln}"),
        "identifier": [
            {"system": SOR_SYSTEM, "value": org.sor_id},
            {"system": GLN_SYSTEM, "value": org.gln},
        ],
        "name": org.name,
    }


def _patient(ident: str, child: Child) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": ident,
        "meta": _meta(PATIENT_PROFILE),
        "text": _narrative(f"{child.given} {child.family}", f"CPR {child.cpr}"),
        "identifier": [{"system": CPR_SYSTEM, "value": child.cpr}],
        "name": [{"use": "official", "family": child.family, "given": [child.given]}],
    }


def _practitioner(ident: str, author: Author) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": ident,
        "meta": _meta(PRACTITIONER_PROFILE),
        "text": _narrative(f"{author.given} {author.family}"),
        "name": [{"family": author.family, "given": [author.given]}],
    }


def _practitioner_role(
    ident: str, author: Author, practitioner_id: str, organisation_id: str
) -> dict[str, Any]:
    code: dict[str, Any] = (
        {"coding": [{"system": ROLE_SYSTEM, "code": author.role_code}]}
        if author.role_code is not None
        else {"text": author.role_text}
    )
    return {
        "resourceType": "PractitionerRole",
        "id": ident,
        "meta": _meta(PRACTITIONER_ROLE_PROFILE),
        "text": _narrative(
            f"{author.given} {author.family}", author.role_text or author.role_code or ""
        ),
        "practitioner": _ref("Practitioner", practitioner_id),
        "organization": _ref("Organization", organisation_id),
        "code": [code],
    }


def _segment_extensions(
    written: datetime, segment_id: str, assigner_id: str, role_id: str, phone: str | None
) -> list[dict[str, Any]]:
    extensions: list[dict[str, Any]] = [
        {"url": DATETIME_EXTENSION, "valueDateTime": written.isoformat()},
        {
            "url": IDENTIFIER_EXTENSION,
            "valueIdentifier": {
                "value": segment_id,
                "assigner": _ref("Organization", assigner_id),
            },
        },
        {"url": AUTHOR_EXTENSION, "valueReference": _ref("PractitionerRole", role_id)},
    ]
    if phone is not None:
        extensions.append(
            {"url": CONTACT_EXTENSION, "valueContactPoint": {"system": "phone", "value": phone}}
        )
    return extensions


def _segment_lines(segment: dict[str, Any]) -> list[str]:
    if "contentString" in segment:
        return [segment["contentString"]]
    attachment = segment.get("contentAttachment", {})
    return [f"Bilag: {attachment.get('title', '')} ({attachment.get('contentType', '')})"]


def _uuid4(value: UUID) -> str:
    if value.version != 4:
        raise ValueError(f"ids must be UUID version 4, got version {value.version}")
    return str(value)


def _only(by_type: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, Any]:
    found = by_type.get(kind, [])
    if len(found) != 1:
        raise MessageRefused(
            f"the preceding message has {len(found)} {kind} resources, not one",
            field="previous",
        )
    resource: dict[str, Any] = found[0]["resource"]
    return resource


def thread_of(previous: Bundle | dict[str, Any]) -> Thread:
    """The thread a reply to (or forward of) `previous` continues."""
    try:
        bundle = previous if isinstance(previous, Bundle) else Bundle.model_validate(previous)
    except ValidationError as exc:
        raise MessageRefused(
            "the preceding message is not a FHIR Bundle", field="previous"
        ) from exc
    data = bundle.model_dump(mode="json", exclude_none=True)
    entries: list[dict[str, Any]] = data.get("entry", [])
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry)
    if data.get("type") != "message" or not entries:
        raise MessageRefused("the preceding message is not a message Bundle", field="previous")
    header = entries[0]["resource"]
    if header["resourceType"] != "MessageHeader" or header.get("eventCoding", {}).get("code") != (
        EVENT_CODE
    ):
        raise MessageRefused("the preceding message is not a CareCommunication", field="previous")
    communication = _only(by_type, "Communication")
    patient = _only(by_type, "Patient")
    cprs = [i["value"] for i in patient.get("identifier", []) if i.get("system") == CPR_SYSTEM]
    if len(cprs) != 1:
        raise MessageRefused("the preceding message names no child by CPR number", field="previous")
    segments = tuple(communication.get("payload", []))
    referenced: set[str] = set()
    for segment in segments:
        for extension in segment.get("extension", []):
            if extension["url"] == AUTHOR_EXTENSION:
                referenced.add(extension["valueReference"]["reference"])
            if extension["url"] == IDENTIFIER_EXTENSION:
                assigner = extension["valueIdentifier"].get("assigner")
                if assigner:
                    referenced.add(assigner["reference"])
    for entry in by_type.get("PractitionerRole", []):
        role = entry["resource"]
        if f"PractitionerRole/{role['id']}" in referenced:
            for key in ("practitioner", "organization"):
                if key in role:
                    referenced.add(role[key]["reference"])
    for entry in by_type.get("Provenance", []):
        for agent in entry["resource"].get("agent", []):
            referenced.add(agent["who"]["reference"])
    carried = [
        entry
        for kind in ("PractitionerRole", "Practitioner", "Organization")
        for entry in by_type.get(kind, [])
        if f"{kind}/{entry['resource']['id']}" in referenced
    ]
    carried += by_type.get("Provenance", [])
    organisations = {
        i["value"]: e["resource"]["id"]
        for e in by_type.get("Organization", [])
        for i in e["resource"].get("identifier", [])
        if i.get("system") == SOR_SYSTEM
    }
    return Thread(
        header_id=header["id"],
        cpr=cprs[0],
        segments=segments,
        carried=tuple(carried),
        organisations=organisations,
    )


def build_message(
    draft: Draft,
    *,
    new_id: Callable[[], UUID],
    now: Callable[[], datetime],
    activity: Activity = "new",
    thread: Thread | None = None,
) -> Bundle:
    """The CareCommunication message Bundle for a draft, validated with fhir.resources.

    Ids are taken from `new_id` in this order: bundle, message header, communication,
    communication identifier, patient, sender, receiver (each unless the thread already
    has the organisation), practitioner, practitioner role, provenance, then one per
    new segment (the text first, then the attachments in order).
    """
    if (activity == "new") != (thread is None):
        raise MessageRefused(
            "a new message has no preceding message; a reply or forward needs one",
            field="activity",
        )
    if thread is not None and thread.cpr != draft.child.cpr:
        raise MessageRefused("the preceding message is about another child", field="child.cpr")
    timestamp = now()
    if timestamp.tzinfo is None:
        raise ValueError("the clock must give aware datetimes")
    known = thread.organisations if thread else {}
    bundle_id = _uuid4(new_id())
    header_id = _uuid4(new_id())
    communication_id = _uuid4(new_id())
    communication_identifier = f"urn:uuid:{_uuid4(new_id())}"
    patient_id = _uuid4(new_id())
    sender_id = known.get(draft.sender.sor_id) or _uuid4(new_id())
    receiver_id = known.get(draft.receiver.sor_id) or _uuid4(new_id())
    practitioner_id = _uuid4(new_id())
    role_id = _uuid4(new_id())
    provenance_id = _uuid4(new_id())

    written = timestamp
    new_segments: list[dict[str, Any]] = []
    segment_ids: list[str] = []
    text_segment_id = f"urn:uuid:{_uuid4(new_id())}"
    segment_ids.append(text_segment_id)
    new_segments.append(
        {
            "extension": _segment_extensions(
                written, text_segment_id, sender_id, role_id, draft.author.phone
            ),
            "contentString": draft.text,
        }
    )
    for attachment in draft.attachments:
        segment_id = f"urn:uuid:{_uuid4(new_id())}"
        segment_ids.append(segment_id)
        new_segments.append(
            {
                "extension": _segment_extensions(written, segment_id, sender_id, role_id, None),
                "contentAttachment": attachment.fhir(),
            }
        )
    segments = [*(thread.segments if thread else ()), *new_segments]

    header: dict[str, Any] = {
        "resourceType": "MessageHeader",
        "id": header_id,
        "meta": _meta(HEADER_PROFILE),
        "text": _narrative(
            f"Korrespondancemeddelelse fra {draft.sender.name} til {draft.receiver.name}"
        ),
        "eventCoding": {"system": EVENT_SYSTEM, "code": EVENT_CODE},
        "definition": DEFINITION,
        "destination": [
            {
                "extension": [
                    {
                        "url": DESTINATION_USE_EXTENSION,
                        "valueCoding": {"system": DESTINATION_USE_SYSTEM, "code": "primary"},
                    }
                ],
                "endpoint": f"{SOR_ENDPOINT}{draft.receiver.sor_id}",
                "receiver": _ref("Organization", receiver_id),
            }
        ],
        "sender": _ref("Organization", sender_id),
        "source": {"endpoint": f"{SOR_ENDPOINT}{draft.sender.sor_id}"},
        "focus": [_ref("Communication", communication_id)],
    }
    communication: dict[str, Any] = {
        "resourceType": "Communication",
        "id": communication_id,
        "meta": _meta(COMMUNICATION_PROFILE),
        "text": _narrative(
            f"Kategori: {CATEGORY_DISPLAY[draft.category]}",
            *([f"Emne: {draft.topic}"] if draft.topic else []),
            *([line for segment in segments for line in _segment_lines(segment)]),
        ),
        "identifier": [{"value": communication_identifier}],
        "status": "unknown",
        "category": [
            {
                "coding": [
                    {
                        "system": CATEGORY_SYSTEM,
                        "code": draft.category,
                        "display": CATEGORY_DISPLAY[draft.category],
                    }
                ]
            }
        ],
        "subject": _ref("Patient", patient_id),
        "payload": segments,
    }
    if draft.asap:
        communication["priority"] = "asap"
    if draft.topic is not None:
        communication["topic"] = {"text": draft.topic}

    code, display = ACTIVITY_CODE[activity]
    entities: list[dict[str, Any]] = []
    if thread is not None:
        entities.append({"role": "revision", "what": _ref("MessageHeader", thread.header_id)})
    entities += [{"role": "source", "what": {"identifier": {"value": s}}} for s in segment_ids]
    provenance: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": provenance_id,
        "meta": _meta(PROVENANCE_PROFILE),
        "text": _narrative(f"{display} fra {draft.sender.name}, {timestamp.isoformat()}"),
        "target": [_ref("MessageHeader", header_id)],
        "occurredDateTime": timestamp.isoformat(),
        "recorded": timestamp.isoformat(),
        "activity": {"coding": [{"system": ACTIVITY_SYSTEM, "code": code}]},
        "agent": [{"who": _ref("Organization", sender_id)}],
        "entity": entities,
    }

    resources = [
        header,
        communication,
        _patient(patient_id, draft.child),
        _organisation(sender_id, draft.sender),
        _organisation(receiver_id, draft.receiver),
        _practitioner_role(role_id, draft.author, practitioner_id, sender_id),
        _practitioner(practitioner_id, draft.author),
    ]
    entries = [_entry(r) for r in resources]
    ours = {(r["resourceType"], r["id"]) for r in resources}
    entries += [
        e
        for e in (thread.carried if thread else ())
        if (e["resource"]["resourceType"], e["resource"]["id"]) not in ours
    ]
    entries.append(_entry(provenance))
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "id": bundle_id,
            "meta": _meta(MESSAGE_PROFILE),
            "type": "message",
            "timestamp": timestamp.isoformat(),
            "entry": entries,
        }
    )


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": f"{BASE}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
    }


def message_json(bundle: Bundle) -> dict[str, Any]:
    """The Bundle as FHIR JSON (what goes on the wire)."""
    return bundle.model_dump(mode="json", exclude_none=True)


__all__ = [
    "Author",
    "Child",
    "Draft",
    "MessageRefused",
    "Organisation",
    "Thread",
    "build_message",
    "message_json",
    "thread_of",
]
