"""FHIR R4 `Consent` import: a resource in, a consent to record (or every
problem that stops it) out. The mapping is in registry/fhir/__init__.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from policy.catalogue import catalogue
from policy.errors import Unmappable
from registry.entitlement import GDPR_REGIMES
from registry.fhir.codes import (
    ACTION_SYSTEM,
    CATEGORY_SYSTEM,
    CPR_SYSTEM,
    FORM_EXTENSION,
    LOINC,
    ORGANISATION_SYSTEM,
    ORGANISATION_TYPE_SYSTEM,
    PARTICIPATION_SYSTEM,
    PATIENT_CONSENT,
    PERSON_HANDLE_SYSTEM,
    PURPOSE_SYSTEM,
    RECIPIENT_ROLES,
    REGIME_SYSTEM,
    SCOPE_SYSTEM,
    V3_ACT_CODE,
    validated,
)
from registry.models import ConsentCreate

_UNSUPPORTED = {
    "implicitRules": "rules this service does not know could change the meaning",
    "modifierExtension": "a modifier extension changes the meaning and none is understood here",
    "contained": "contained resources are not resolved",
    "sourceAttachment": "the signed document itself is not kept here; it stays in the record "
    "of the organisation that took the consent (Sundhedsloven § 42/§ 44). Send the consent "
    f"without it and state its form with the extension {FORM_EXTENSION}",
    "sourceReference": "the signed document itself is not kept here; it stays in the record "
    "of the organisation that took the consent. Send the consent without it and state its "
    f"form with the extension {FORM_EXTENSION}",
    "policy": "policy (authority/uri) cannot be mapped; name the paragraph the consent "
    f"serves in policyRule ({REGIME_SYSTEM})",
    "verification": "verification records cannot be mapped; the consent's form and giver "
    "are what this service checks",
}
_PROVISION_UNSUPPORTED = {
    "code": "content codes cannot be mapped; name data categories in provision.class",
    "securityLabel": "security labels cannot be honoured by this service",
    "dataPeriod": "a consent cannot be limited to data from a period here",
    "data": "a consent cannot be limited to named resources here",
    "provision": "nested provisions (exceptions) cannot be mapped; record an exception as "
    "an objection or a block",
    "extension": "extensions on the provision are not understood",
    "modifierExtension": "a modifier extension changes the meaning and none is understood here",
}


class _Problems:
    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding", []) if isinstance(c, dict)]


def _show(coding: dict[str, Any]) -> str:
    return f"{coding.get('system', '(no system)')}#{coding.get('code', '(no code)')}"


def _day(value: str) -> date:
    """The calendar day of a FHIR date or dateTime, in its own offset."""
    if len(value) == 4:
        raise ValueError("a year alone is not a day")
    if len(value) == 7:
        raise ValueError("a month alone is not a day")
    if "T" in value:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    return date.fromisoformat(value)


def _cpr_of(
    ref: Any, field: str, problems: _Problems, *, handle_allowed: bool = False
) -> str | None:
    """The CPR number a Reference carries as identifier (or, where allowed, the
    person's handle for this child, as our own exports name the giver)."""
    if not isinstance(ref, dict):
        problems.add(field, "missing")
        return None
    identifier = ref.get("identifier")
    systems = (CPR_SYSTEM, PERSON_HANDLE_SYSTEM) if handle_allowed else (CPR_SYSTEM,)
    if isinstance(identifier, dict) and identifier.get("system") in systems:
        value = identifier.get("value")
        if isinstance(value, str):
            return value
    shown = ref.get("reference") or (identifier and _show_identifier(identifier)) or "nothing"
    problems.add(
        field,
        f"must carry a CPR number as identifier (system {CPR_SYSTEM}); it names {shown}, "
        "and a reference to a resource on another server cannot be resolved here",
    )
    return None


def _show_identifier(identifier: dict[str, Any]) -> str:
    return f"{identifier.get('system', '(no system)')}|{identifier.get('value', '')}"


def _organisation_of(
    ref: Any, field: str, problems: _Problems, *, types_allowed: bool
) -> dict[str, str] | None:
    identifier = ref.get("identifier") if isinstance(ref, dict) else None
    if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
        system, value = identifier.get("system"), identifier["value"]
        if system == ORGANISATION_SYSTEM:
            return {"organisation_id": value}
        if types_allowed and system == ORGANISATION_TYPE_SYSTEM:
            return {"organisation_type": value}
    names = "an organisation id" + (" or organisation type" if types_allowed else "")
    shown = (ref or {}).get("reference") if isinstance(ref, dict) else None
    problems.add(
        field,
        f"must name {names} by identifier (system {ORGANISATION_SYSTEM}"
        + (f" or {ORGANISATION_TYPE_SYSTEM}" if types_allowed else "")
        + f"); it names {shown or 'nothing this service knows'}",
    )
    return None


def _bookkeeping(doc: dict[str, Any], problems: _Problems, notes: list[str]) -> None:
    if "id" in doc:
        notes.append(f"the sender's resource id {doc['id']!r} is not kept; a new id is given")
    meta = doc.get("meta")
    if isinstance(meta, dict):
        for key in ("security", "tag"):
            if key in meta:
                problems.add(f"meta.{key}", "security labels and tags cannot be honoured here")
        for key in ("profile", "extension"):
            if key in meta:
                problems.add(f"meta.{key}", "profiles and meta extensions are not understood")
        kept = [k for k in ("versionId", "lastUpdated", "source") if k in meta]
        if kept:
            notes.append(f"the sender's meta ({', '.join(kept)}) is not kept")
    if "language" in doc:
        notes.append(f"the resource language {doc['language']!r} is not kept")
    text = doc.get("text")
    if isinstance(text, dict):
        if text.get("status") in ("generated", "empty"):
            notes.append("the generated narrative is not kept; an export generates a new one")
        else:
            problems.add(
                "text",
                f"a narrative with status {text.get('status')!r} may say more than the "
                "structured elements, and that cannot be mapped",
            )
    for key, why in _UNSUPPORTED.items():
        if key in doc:
            problems.add(key, f"cannot be mapped: {why}")


def _regime(doc: dict[str, Any], problems: _Problems) -> str | None:
    known = ", ".join(sorted(catalogue().regimes))
    codings = _codings(doc.get("policyRule"))
    if not codings:
        problems.add(
            "policyRule",
            f"name the paragraph the consent serves ({REGIME_SYSTEM}, one of: {known})",
        )
        return None
    regimes = [c for c in codings if c.get("system") == REGIME_SYSTEM]
    others = [c for c in codings if c.get("system") != REGIME_SYSTEM]
    for c in others:
        if c.get("system") == V3_ACT_CODE and c.get("code") == "OPTOUT":
            problems.add(
                "policyRule",
                f"{_show(c)} is an opt-out, a refusal: record it as an objection (/objections) "
                "or a block (/blocks); a consent names the paragraph it serves, one of: "
                f"{known} ({REGIME_SYSTEM})",
            )
        elif c.get("system") == V3_ACT_CODE and c.get("code") == "OPTIN":
            problems.add(
                "policyRule",
                f"{_show(c)} names the opt-in consent model, not the paragraph the consent "
                f"serves; this service needs one of: {known} ({REGIME_SYSTEM})",
            )
        else:
            problems.add(
                "policyRule",
                f"{_show(c)} is not a regime this service knows; one of: {known} ({REGIME_SYSTEM})",
            )
    if len(regimes) > 1:
        problems.add("policyRule", "a consent serves exactly one regime; several were named")
        return None
    if not regimes:
        return None
    code = str(regimes[0].get("code", ""))
    if code.lower() in GDPR_REGIMES:
        problems.add(
            "policyRule",
            "GDPR consent is not a basis this service accepts: public bodies rest on law "
            "(Art. 6(1)(e) and 9(2)(h)); record the sector consent that lifts the duty of "
            f"confidentiality instead, one of: {known}",
        )
        return None
    if code not in catalogue().regimes:
        problems.add("policyRule", f"unknown consent regime {code!r}; known: {known}")
        return None
    return code


def _form(doc: dict[str, Any], problems: _Problems) -> str | None:
    form: str | None = None
    for n, ext in enumerate(doc.get("extension", [])):
        if ext.get("url") == FORM_EXTENSION and ext.get("valueCode") in ("written", "oral"):
            form = str(ext["valueCode"])
        else:
            problems.add(
                f"extension.{n}",
                f"extension {ext.get('url')!r} is not understood (only {FORM_EXTENSION} with "
                "valueCode written or oral)",
            )
    if form is None:
        problems.add(
            "extension",
            f"say whether the consent was written or oral ({FORM_EXTENSION}); "
            "Sundhedsloven § 44 requires a § 43 consent in writing",
        )
    return form


def _recipient(provision: dict[str, Any], problems: _Problems) -> dict[str, str] | None:
    recipients: list[dict[str, str]] = []
    for n, actor in enumerate(provision.get("actor", [])):
        field = f"provision.actor.{n}"
        roles = [c.get("code") for c in _codings(actor.get("role"))]
        if any(c.get("system") == PARTICIPATION_SYSTEM for c in _codings(actor.get("role"))) and (
            set(roles) & set(RECIPIENT_ROLES)
        ):
            found = _organisation_of(
                actor.get("reference"), f"{field}.reference", problems, types_allowed=True
            )
            if found:
                recipients.append(found)
        else:
            shown = ", ".join(_show(c) for c in _codings(actor.get("role"))) or "none"
            problems.add(
                f"{field}.role",
                f"only the recipient ({PARTICIPATION_SYSTEM}#PRCP or IRCP) can be mapped; "
                f"this actor's role is {shown}",
            )
    if len(recipients) > 1:
        problems.add("provision.actor", "name exactly one recipient; several were named")
        return None
    if not recipients and not any(
        p["field"].startswith("provision.actor") for p in problems.errors
    ):
        problems.add(
            "provision.actor",
            "name the recipient: one actor with role PRCP and an organisation or "
            "organisation type as identifier",
        )
    return recipients[0] if recipients else None


def _coded(
    codings: list[dict[str, Any]], system: str, known: set[str], field: str, problems: _Problems
) -> list[str]:
    found: list[str] = []
    for n, coding in enumerate(codings):
        code = coding.get("code")
        if coding.get("system") == system and code in known:
            found.append(str(code))
        else:
            problems.add(
                f"{field}.{n}",
                f"{_show(coding)} cannot be mapped; known ({system}): {', '.join(sorted(known))}",
            )
    return found


def _provision(
    doc: dict[str, Any], given_on: date | None, problems: _Problems, notes: list[str]
) -> dict[str, Any]:
    provision = doc.get("provision")
    if not isinstance(provision, dict):
        problems.add("provision", "name the recipient, the data categories and the period")
        return {}
    mapped: dict[str, Any] = {}
    for key, why in _PROVISION_UNSUPPORTED.items():
        if key in provision:
            problems.add(f"provision.{key}", f"cannot be mapped: {why}")
    if provision.get("type") != "permit":
        kind = provision.get("type")
        problems.add(
            "provision.type",
            f"must be 'permit' (it is {'missing' if kind is None else repr(kind)}); a refusal "
            "is recorded as an objection (/objections) or a block (/blocks), not as a consent",
        )
    period = provision.get("period") or {}
    if "start" in period:
        start = _day(period["start"])
        if given_on is not None and start != given_on:
            problems.add(
                "provision.period.start",
                f"starts {start.isoformat()} but the consent was given {given_on.isoformat()}; "
                "this service counts a consent from the day it was given",
            )
    if "end" in period:
        mapped["valid_until"] = _day(period["end"])
    mapped["recipient"] = _recipient(provision, problems)
    actions: list[str] = []
    for n, concept in enumerate(provision.get("action", [])):
        for coding in _codings(concept):
            if coding.get("system") == ACTION_SYSTEM and coding.get("code") in (
                "access",
                "disclose",
            ):
                actions.append(str(coding["code"]))
            else:
                problems.add(
                    f"provision.action.{n}",
                    f"{_show(coding)} cannot be mapped: a consent here lets the recipient see "
                    f"(access) or be given (disclose) the information, nothing else",
                )
    if actions:
        notes.append(f"actions {', '.join(sorted(set(actions)))} read as: the recipient may see")
    mapped["purposes"] = _coded(
        [c for c in provision.get("purpose", []) if isinstance(c, dict)],
        PURPOSE_SYSTEM,
        set(catalogue().purposes),
        "provision.purpose",
        problems,
    )
    classes = [c for c in provision.get("class", []) if isinstance(c, dict)]
    if not classes:
        problems.add(
            "provision.class",
            f"name the data categories the consent covers ({CATEGORY_SYSTEM})",
        )
    mapped["categories"] = _coded(
        classes, CATEGORY_SYSTEM, set(catalogue().categories), "provision.class", problems
    )
    return mapped


def consent_from_fhir(
    resource: Any, child_cpr: str
) -> tuple[ConsentCreate, str, list[dict[str, str]], list[str]]:
    """Map a FHIR R4 Consent for the child; raise Unmappable listing every problem.

    Returns the consent to record, who gave it (the performer: a CPR number, or
    the person's handle for this child as our own exports name them), the source
    identifiers to keep and the notes."""
    doc = validated(resource)
    problems = _Problems()
    notes: list[str] = []
    _bookkeeping(doc, problems, notes)

    identifiers = [
        {"system": str(i.get("system", "")), "value": str(i["value"])}
        for i in doc.get("identifier", [])
        if isinstance(i, dict) and "value" in i
    ]
    if doc.get("status") != "active":
        problems.add(
            "status",
            f"only an active consent can be recorded (this one is {doc.get('status')!r}); "
            "a draft, proposed, rejected or inactive consent gives no basis",
        )
    scope = _codings(doc.get("scope"))
    if not any(
        c.get("system") == SCOPE_SYSTEM and c.get("code") == "patient-privacy" for c in scope
    ):
        shown = ", ".join(_show(c) for c in scope) or "none"
        problems.add(
            "scope",
            f"must be {SCOPE_SYSTEM}#patient-privacy (consent to disclosure and lookup); "
            f"it is {shown}",
        )
    for n, concept in enumerate(doc.get("category", [])):
        for coding in _codings(concept):
            if not (coding.get("system") == LOINC and coding.get("code") == PATIENT_CONSENT):
                problems.add(
                    f"category.{n}",
                    f"{_show(coding)} cannot be mapped; the category is {LOINC}#{PATIENT_CONSENT} "
                    "(patient consent) and the paragraph goes in policyRule",
                )
    patient = _cpr_of(doc.get("patient"), "patient", problems)
    if patient is not None and patient != child_cpr:
        problems.add("patient", "names another child than the one in the URL")

    given_on: date | None = None
    if "dateTime" in doc:
        given_on = _day(doc["dateTime"])
    else:
        problems.add("dateTime", "say when the consent was given")

    performers = doc.get("performer", [])
    given_by: str | None = None
    if len(performers) != 1:
        problems.add(
            "performer",
            f"name exactly one person who gave the consent ({len(performers)} named): the "
            "young person or one custody holder; each custody holder's consent is its own",
        )
    else:
        performer = performers[0]
        given_by = _cpr_of(performer, "performer.0", problems, handle_allowed=True)
        kind = performer.get("type")
        if kind not in (None, "Patient", "RelatedPerson"):
            problems.add("performer.0.type", "must be Patient (the child) or RelatedPerson")
        named_by_number = given_by is not None and not given_by.startswith("p-")
        if kind == "Patient" and named_by_number and given_by != child_cpr:
            problems.add("performer.0", "a Patient performer must be the child")

    custodian: str | None = None
    organisations = doc.get("organization", [])
    if len(organisations) > 1:
        problems.add("organization", "name at most one organisation that keeps the consent")
    elif organisations:
        found = _organisation_of(organisations[0], "organization.0", problems, types_allowed=False)
        custodian = found["organisation_id"] if found else None

    regime = _regime(doc, problems)
    form = _form(doc, problems)
    provision = _provision(doc, given_on, problems, notes)
    if any(_has_display(v) for v in (doc.get("patient"), *performers, *organisations)):
        notes.append("display texts on references are not kept; identifiers are")

    if problems.errors:
        raise Unmappable(_summary(problems.errors), problems.errors)
    try:
        body = ConsentCreate(
            regime=regime or "",
            categories=provision["categories"],
            recipient=provision["recipient"],
            purposes=provision["purposes"],
            form=form,
            given_on=given_on,
            valid_until=provision.get("valid_until"),
            custodian=custodian,
        )
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "resource", "message": e["msg"]}
            for e in exc.errors()
        ]
        raise Unmappable(_summary(errors), errors) from exc
    return body, given_by or "", identifiers, notes


def _has_display(ref: Any) -> bool:
    return isinstance(ref, dict) and "display" in ref


def _summary(errors: list[dict[str, str]]) -> str:
    fields = sorted({e["field"].split(".")[0] for e in errors})
    return (
        f"the Consent cannot be recorded without losing meaning; {len(errors)} problem(s) in: "
        f"{', '.join(fields)}"
    )
