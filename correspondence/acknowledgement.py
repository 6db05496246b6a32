"""MedCom Acknowledgement (kvitteringsmeddelelse) as a FHIR R4 message Bundle.

The receiver of a MedCom message answers with an Acknowledgement message: a
message Bundle (profile `medcom-messaging-acknowledgement`) whose MessageHeader
(profile `medcom-messaging-acknowledgementHeader`, event `acknowledgement-message`)
has `response.identifier` = the acknowledged message's MessageHeader id and
`response.code` = `ok`, `transient-error` or `fatal-error`, addressed back to the
acknowledged message's sender, with both Organizations and a Provenance (activity
`acknowledgement`, entity `revision` pointing at the acknowledged MessageHeader).
A code other than `ok` references an OperationOutcome (profile
`medcom-acknowledgement-operationoutcome`) with the error code from MedCom's
acknowledgement error codes.

Filing ("automatisk journalisering på sag"): MedCom's acknowledgement has no element
for it, and its OperationOutcome profile is for failures only. Our sandbox municipality
says it in an *informational* OperationOutcome referenced by `response.details` of an
`ok` acknowledgement, without the MedCom profile: one issue, severity `information`,
code `informational`, `details.coding` from our own code system (`filed-on-case` or
`not-filed`), the case id in an extension (an Identifier) and the words in
`details.text`. A receiver that does not know it ignores it; `parse_acknowledgement`
reads it.

Validated with fhir.resources' R4B models, like the CareCommunication builder
(correspondence/medcom.py says why R4B stands in for R4).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from fhir.resources.R4B.bundle import Bundle
from pydantic import BaseModel, ConfigDict, ValidationError

from correspondence.medcom import (
    ACTIVITY_SYSTEM,
    BASE,
    DESTINATION_USE_EXTENSION,
    DESTINATION_USE_SYSTEM,
    EVENT_SYSTEM,
    GLN_SYSTEM,
    ORGANIZATION_PROFILE,
    SOR_ENDPOINT,
    SOR_SYSTEM,
    Organisation,
)
from policy.errors import InvalidRequest

_ACK = "http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/"
ACK_MESSAGE_PROFILE = f"{_ACK}medcom-messaging-acknowledgement"
ACK_HEADER_PROFILE = f"{_ACK}medcom-messaging-acknowledgementHeader"
ACK_OUTCOME_PROFILE = f"{_ACK}medcom-acknowledgement-operationoutcome"
PROVENANCE_PROFILE = (
    "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"
)
ACK_EVENT_CODE = "acknowledgement-message"
ACK_ACTIVITY_CODE = "acknowledgement"
ERROR_CODE_SYSTEM = (
    "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-error-codes"
)
FILING_SYSTEM = "https://hoi-policy.example/fhir/CodeSystem/filing"
"""Ours: `filed-on-case` / `not-filed` (the sandbox municipality's automatic filing)."""
FILED_CASE_EXTENSION = "https://hoi-policy.example/fhir/StructureDefinition/filed-on-case"
CASE_SYSTEM = "https://hoi-policy.example/fhir/sid/municipal-case"

AckCode = Literal["ok", "transient-error", "fatal-error"]
Filing = Literal["filed-on-case", "not-filed"]


class AcknowledgementRefused(InvalidRequest):
    """The answer is not a MedCom Acknowledgement message we can read."""


class Issue(BaseModel):
    """Why a message was not accepted: a MedCom error code and plain words (which
    must name no person)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    text: str
    issue_type: str = "processing"
    """FHIR issue type (`value`, `not-found`, `transient`, ...)."""


class Acknowledgement(BaseModel):
    """What an acknowledgement says, as the relay keeps it (no content, no CPR)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: str
    """The acknowledgement's own MessageHeader id."""
    acknowledges: str
    """The acknowledged message's MessageHeader id (`response.identifier`)."""
    code: AckCode
    received_at: datetime
    """When the receiver acknowledged (the acknowledgement Bundle's timestamp)."""
    filing: Filing | None = None
    filed_on_case: str | None = None
    issues: tuple[str, ...] = ()
    """MedCom error codes of a negative acknowledgement."""


def _narrative(text: str) -> dict[str, str]:
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{html.escape(text)}</p></div>',
    }


def _organisation(ident: str, org: Organisation) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": ident,
        "meta": {"profile": [ORGANIZATION_PROFILE]},
        "text": _narrative(f"{org.name}, SOR {org.sor_id}, GLN {org.gln}"),
        "identifier": [
            {"system": SOR_SYSTEM, "value": org.sor_id},
            {"system": GLN_SYSTEM, "value": org.gln},
        ],
        "name": org.name,
    }


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": f"{BASE}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
    }


def build_acknowledgement(
    *,
    acknowledges: str,
    code: AckCode,
    sender: Organisation | None,
    receiver: Organisation | None,
    new_id: Callable[[], UUID],
    now: Callable[[], datetime],
    issue: Issue | None = None,
    filing: Filing | None = None,
    filed_on_case: str | None = None,
    source_endpoint: str | None = None,
) -> Bundle:
    """The Acknowledgement of the message whose MessageHeader id is `acknowledges`.

    `sender` acknowledges (the acknowledged message's receiver); `receiver` gets the
    acknowledgement (the acknowledged message's sender). Either may be unknown when
    the message was too broken to say; `source_endpoint` then names the answering
    system. Ids come from `new_id` in order: bundle, header, provenance, sender,
    receiver (each when given), outcome (when there is one)."""
    if (code == "ok") == (issue is not None):
        raise ValueError("an issue goes with transient-error and fatal-error, and only there")
    if filing is not None and code != "ok":
        raise ValueError("only a delivered message is filed")
    if (filing == "filed-on-case") != (filed_on_case is not None):
        raise ValueError("a case id goes with filed-on-case, and only there")
    timestamp = now()
    if timestamp.tzinfo is None:
        raise ValueError("the clock must give aware datetimes")
    bundle_id, header_id, provenance_id = str(new_id()), str(new_id()), str(new_id())
    sender_id = str(new_id()) if sender is not None else None
    receiver_id = str(new_id()) if receiver is not None else None
    outcome_id = str(new_id()) if issue is not None or filing is not None else None

    response: dict[str, Any] = {"identifier": acknowledges, "code": code}
    if outcome_id is not None:
        response["details"] = {"reference": f"OperationOutcome/{outcome_id}"}
    header: dict[str, Any] = {
        "resourceType": "MessageHeader",
        "id": header_id,
        "meta": {"profile": [ACK_HEADER_PROFILE]},
        "text": _narrative(f"Kvittering ({code}) for meddelelse {acknowledges}"),
        "eventCoding": {"system": EVENT_SYSTEM, "code": ACK_EVENT_CODE},
        "source": {
            "endpoint": (
                f"{SOR_ENDPOINT}{sender.sor_id}"
                if sender is not None
                else (source_endpoint or "urn:hoi:sandbox-network")
            )
        },
        "response": response,
    }
    if sender_id is not None:
        header["sender"] = {"reference": f"Organization/{sender_id}"}
    if receiver is not None and receiver_id is not None:
        header["destination"] = [
            {
                "extension": [
                    {
                        "url": DESTINATION_USE_EXTENSION,
                        "valueCoding": {"system": DESTINATION_USE_SYSTEM, "code": "primary"},
                    }
                ],
                "endpoint": f"{SOR_ENDPOINT}{receiver.sor_id}",
                "receiver": {"reference": f"Organization/{receiver_id}"},
            }
        ]
    provenance: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": provenance_id,
        "meta": {"profile": [PROVENANCE_PROFILE]},
        "text": _narrative(f"Kvittering afsendt {timestamp.isoformat()}"),
        "target": [{"reference": f"MessageHeader/{header_id}"}],
        "occurredDateTime": timestamp.isoformat(),
        "recorded": timestamp.isoformat(),
        "activity": {"coding": [{"system": ACTIVITY_SYSTEM, "code": ACK_ACTIVITY_CODE}]},
        "agent": [
            {"who": {"reference": f"Organization/{sender_id}"}}
            if sender_id is not None
            else {"who": {"display": "the message network"}}
        ],
        "entity": [
            {"role": "revision", "what": {"identifier": {"value": acknowledges}}},
        ],
    }
    resources: list[dict[str, Any]] = [header, provenance]
    if sender is not None and sender_id is not None:
        resources.append(_organisation(sender_id, sender))
    if receiver is not None and receiver_id is not None:
        resources.append(_organisation(receiver_id, receiver))
    if issue is not None and outcome_id is not None:
        resources.append(
            {
                "resourceType": "OperationOutcome",
                "id": outcome_id,
                "meta": {"profile": [ACK_OUTCOME_PROFILE]},
                "text": _narrative(issue.text),
                "issue": [
                    {
                        "severity": "error" if code == "fatal-error" else "warning",
                        "code": issue.issue_type,
                        "details": {
                            "coding": [{"system": ERROR_CODE_SYSTEM, "code": issue.code}],
                            "text": issue.text,
                        },
                    }
                ],
            }
        )
    elif filing is not None and outcome_id is not None:
        words = (
            f"Journaliseret automatisk på sag {filed_on_case}"
            if filed_on_case is not None
            else "Ikke journaliseret: barnet har ingen åben sag i enheden"
        )
        detail: dict[str, Any] = {
            "severity": "information",
            "code": "informational",
            "details": {"coding": [{"system": FILING_SYSTEM, "code": filing}], "text": words},
        }
        if filed_on_case is not None:
            detail["extension"] = [
                {
                    "url": FILED_CASE_EXTENSION,
                    "valueIdentifier": {"system": CASE_SYSTEM, "value": filed_on_case},
                }
            ]
        resources.append(
            {
                "resourceType": "OperationOutcome",
                "id": outcome_id,
                "text": _narrative(words),
                "issue": [detail],
            }
        )
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "id": bundle_id,
            "meta": {"profile": [ACK_MESSAGE_PROFILE]},
            "type": "message",
            "timestamp": timestamp.isoformat(),
            "entry": [_entry(r) for r in resources],
        }
    )


def _refuse(why: str) -> AcknowledgementRefused:
    return AcknowledgementRefused(f"not a MedCom acknowledgement: {why}", field="acknowledgement")


def parse_acknowledgement(bundle: Bundle | dict[str, Any]) -> Acknowledgement:
    """What an Acknowledgement message says; `AcknowledgementRefused` when it is not one."""
    try:
        parsed = bundle if isinstance(bundle, Bundle) else Bundle.model_validate(bundle)
    except (ValidationError, ValueError, TypeError) as exc:
        raise _refuse("the Bundle does not validate") from exc
    data = parsed.model_dump(mode="json", exclude_none=True)
    entries = [e.get("resource", {}) for e in data.get("entry", [])]
    if data.get("type") != "message" or not entries:
        raise _refuse("not a message Bundle")
    header = entries[0]
    if header.get("resourceType") != "MessageHeader":
        raise _refuse("the first entry is not a MessageHeader")
    if header.get("eventCoding", {}).get("code") != ACK_EVENT_CODE:
        raise _refuse("the event is not acknowledgement-message")
    response = header.get("response")
    if not response or response.get("code") not in ("ok", "transient-error", "fatal-error"):
        raise _refuse("the MessageHeader has no response code")
    timestamp = data.get("timestamp")
    if not timestamp:
        raise _refuse("the Bundle has no timestamp")
    received_at = datetime.fromisoformat(timestamp)
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    outcome: dict[str, Any] = {}
    details = response.get("details", {}).get("reference", "")
    if details.startswith("OperationOutcome/"):
        wanted = details.split("/", 1)[1]
        outcome = next(
            (
                r
                for r in entries
                if r.get("resourceType") == "OperationOutcome" and r.get("id") == wanted
            ),
            {},
        )
        if not outcome:
            raise _refuse("response.details names no OperationOutcome in the Bundle")
    filing: Filing | None = None
    filed_on_case: str | None = None
    issues: list[str] = []
    for issue in outcome.get("issue", []):
        for coding in issue.get("details", {}).get("coding", []):
            if coding.get("system") == FILING_SYSTEM and coding.get("code") in (
                "filed-on-case",
                "not-filed",
            ):
                filing = coding["code"]
                for extension in issue.get("extension", []):
                    if extension.get("url") == FILED_CASE_EXTENSION:
                        filed_on_case = extension.get("valueIdentifier", {}).get("value")
            elif coding.get("system") == ERROR_CODE_SYSTEM and coding.get("code"):
                issues.append(str(coding["code"]))
    if filing == "filed-on-case" and not filed_on_case:
        raise _refuse("filed on a case but the case is not named")
    return Acknowledgement(
        message_id=str(header.get("id", "")),
        acknowledges=str(response.get("identifier", "")),
        code=response["code"],
        received_at=received_at,
        filing=filing,
        filed_on_case=filed_on_case,
        issues=tuple(issues),
    )


__all__ = [
    "ACK_EVENT_CODE",
    "AckCode",
    "Acknowledgement",
    "AcknowledgementRefused",
    "Filing",
    "Issue",
    "build_acknowledgement",
    "parse_acknowledgement",
]
