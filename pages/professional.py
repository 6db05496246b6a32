"""The professional's overview (the HOI view): find a child, see per category what is
permitted and what is withheld and why, override a block (health professionals),
and write to a contact point.

Every lookup goes through `decisions.overview.child_overview`, the path the API's
overview routes take, with the caller the session's verified token makes; every
message through `Correspondence.send`, as `POST /v1/correspondence`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError

from broker.models import Overview
from correspondence.requests import MessageBody
from decisions import Origin
from decisions.correspondence import SendRefused
from decisions.overview import child_overview
from pages.frame import checked_form, guarded, one, render, signed_in
from pages.ports import services_of
from pages.security import PREFIX
from policy.caller import Caller
from policy.catalogue import catalogue
from policy.cpr import Cpr
from policy.decision import OVERRIDE_GROUNDS, Override
from policy.errors import Forbidden, InvalidRequest
from policy.sending import CORRESPONDENCE, TOPICS

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Text = Annotated[str, Query(max_length=200)]
_CPR: TypeAdapter[str] = TypeAdapter(Cpr)
SENDABLE_TOPICS = ("coordination", "treatment")
"""Topics a message may have here; the others have their own channels (the policy
refuses them with the channel named), so the form does not offer them."""


async def professional(request: Request) -> Caller:
    caller = await signed_in(request)
    if not caller.is_professional:
        raise Forbidden("this page is for professionals; sign in as one")
    return caller


def origin_of(request: Request, caller: Caller) -> Origin:
    return Origin.of(
        caller,
        trace_id=uuid.uuid4().hex,
        client_address=request.client.host if request.client else None,
    )


def child_number(value: str) -> str:
    try:
        return _CPR.validate_python(value.strip())
    except ValidationError as exc:
        raise InvalidRequest("a CPR number is ten digits", field="cpr") from exc


def purpose_of(caller: Caller, value: str) -> str:
    if value not in catalogue().purposes:
        raise InvalidRequest("choose one of the purposes offered", field="purpose")
    return value


def purposes_for(caller: Caller) -> list[str]:
    role = catalogue().roles.get(caller.role)
    return list(role.purposes) if role and role.purposes else list(catalogue().purposes)


@router.get("/professional")
async def search(request: Request) -> Response:
    async def page() -> Response:
        caller = await professional(request)
        return render(request, "professional.html", caller=caller, purposes=purposes_for(caller))

    return await guarded(request, page)


async def _overview(
    request: Request,
    caller: Caller,
    cpr: str,
    purpose: str,
    case_reference: str | None,
    override: Override | None = None,
) -> Overview:
    return await child_overview(
        cpr,
        caller,
        origin_of(request, caller),
        services_of(request),
        purpose=purpose,
        case_reference=case_reference or None,
        override=override,
    )


def _show(request: Request, caller: Caller, overview: Overview, cpr: str, **extra: Any) -> Response:
    return render(
        request,
        "overview.html",
        caller=caller,
        overview=overview,
        cpr=cpr,
        purposes=purposes_for(caller),
        override_possible=any(w.override_possible for w in overview.withheld.values()),
        overridden=any(d.override for d in overview.data.values()),
        **extra,
    )


@router.get("/overview")
async def overview_page(
    request: Request, cpr: Text, purpose: Text, case_reference: Text = ""
) -> Response:
    async def page() -> Response:
        caller = await professional(request)
        number, why = child_number(cpr), purpose_of(caller, purpose)
        found = await _overview(request, caller, number, why, case_reference)
        return _show(request, caller, found, number, case_reference=case_reference)

    return await guarded(request, page)


@router.get("/override")
async def override_dialog(
    request: Request, cpr: Text, purpose: Text, case_reference: Text = ""
) -> Response:
    async def page() -> Response:
        caller = await professional(request)
        return render(
            request,
            "override.html",
            caller=caller,
            cpr=child_number(cpr),
            purpose=purpose_of(caller, purpose),
            case_reference=case_reference,
            grounds=OVERRIDE_GROUNDS,
            error=None,
            reason="",
            status=200,
        )

    return await guarded(request, page)


@router.post("/override")
async def override(request: Request) -> Response:
    """The overview asked again with the block set aside: grounds, a reason, and the
    statement that the family will see it. Every attempt is audited (the decision
    path does it, as for the API's POST overview)."""

    async def page() -> Response:
        caller = await professional(request)
        form = await checked_form(request)
        cpr, purpose = child_number(one(form, "cpr")), purpose_of(caller, one(form, "purpose"))
        case_reference, reason = one(form, "case_reference"), one(form, "reason")

        def again(error: str) -> Response:
            return render(
                request,
                "override.html",
                caller=caller,
                cpr=cpr,
                purpose=purpose,
                case_reference=case_reference,
                grounds=OVERRIDE_GROUNDS,
                error=error,
                reason=reason,
                status=422,
            )

        if one(form, "confirm") != "yes":
            return again("override_confirm")
        wanted = Override(grounds=one(form, "grounds"), reason=reason)
        try:
            found = await _overview(request, caller, cpr, purpose, case_reference, wanted)
        except InvalidRequest:  # audited by the decision path before it refused
            return again("override_reason")
        return _show(request, caller, found, cpr, case_reference=case_reference)

    return await guarded(request, page)


@router.get("/message")
async def message_form(
    request: Request,
    cpr: Text,
    purpose: Text,
    write_to: Annotated[str, Query(max_length=140)],
    to: Text = "",
) -> Response:
    async def page() -> Response:
        caller = await professional(request)
        return render(
            request,
            "message.html",
            caller=caller,
            cpr=child_number(cpr),
            purpose=purpose_of(caller, purpose),
            write_to=write_to,
            to=to or write_to,
            topics=SENDABLE_TOPICS,
            sent=None,
            refusal=None,
        )

    return await guarded(request, page)


@router.post("/message")
async def send_message(request: Request) -> Response:
    """Send through the correspondence service, as the API does; show the result or
    the policy's refusal."""

    async def page() -> Response:
        caller = await professional(request)
        form = await checked_form(request)
        cpr, purpose = child_number(one(form, "cpr")), purpose_of(caller, one(form, "purpose"))
        topic = one(form, "topic")
        if topic not in TOPICS:
            raise InvalidRequest("choose a topic", field="topic")
        body = MessageBody(
            child_cpr=cpr,
            write_to=one(form, "write_to"),
            topic=topic,  # checked against TOPICS above
            title=one(form, "title") or None,
            text=one(form, "text"),
        )
        services = services_of(request)
        sent, refusal = None, None
        try:
            sent = await services.correspondence.send(
                caller.confirm(None), body, origin_of(request, caller), author_name=caller.name
            )
        except SendRefused as exc:
            refusal = exc.decision.categories[CORRESPONDENCE]
        return render(
            request,
            "message.html",
            caller=caller,
            cpr=cpr,
            purpose=purpose,
            write_to=body.write_to,
            to=one(form, "to") or body.write_to,
            topics=SENDABLE_TOPICS,
            sent=sent,
            refusal=refusal,
            status=200 if sent else 403,
        )

    return await guarded(request, page)
