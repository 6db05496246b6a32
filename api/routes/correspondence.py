"""Messages about a child: sent only on a permit, through the outbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from fastapi.responses import JSONResponse

from api.deps import OriginDep, ProfessionalCaller, ServicesDep
from api.errors import WITH_BODY, problem, problem_responses
from correspondence.outbox import MessageStatus, message_status
from correspondence.requests import MessageBody, SentMessage
from decisions.correspondence import Correspondence, SendRefused
from policy.errors import NotFound
from policy.sending import CORRESPONDENCE

router = APIRouter(prefix="/v1", tags=["correspondence"])


async def get_correspondence(services: ServicesDep) -> Correspondence:
    return services.correspondence


CorrespondenceDep = Annotated[Correspondence, Depends(get_correspondence)]

REFUSED: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "The policy did not permit this message: `decision` holds the "
        "reasons, what would make it lawful, and for a topic with its own channel, the "
        "channel to use.",
        "content": {"application/problem+json": {}},
    }
}


def refused(exc: SendRefused) -> JSONResponse:
    outcome = exc.decision.categories[CORRESPONDENCE]
    detail = " ".join(r.message for r in outcome.reasons) or "not permitted"
    decision: dict[str, Any] = exc.decision.model_dump(mode="json")
    return problem(
        403,
        "Message not permitted",
        detail,
        "correspondence-refused",
        decision_id=exc.decision.decision_id,
        decision=decision,
    )


@router.post(
    "/correspondence",
    operation_id="sendMessage",
    status_code=202,
    response_model=SentMessage,
    responses={**problem_responses(*WITH_BODY), **REFUSED},
)
async def send_message(
    body: Annotated[MessageBody, Body()],
    caller: ProfessionalCaller,
    correspondence: CorrespondenceDep,
    origin: OriginDep,
) -> SentMessage | JSONResponse:
    """Send a MedCom CareCommunication about a child to the recipient an overview's
    contact point names (`write_to`).

    The sender is the bearer token's professional and organisation, never the body.
    The policy decides first; a refusal is 403 with the decision's reasons. A permit
    is answered 202 once the decision, the disclosure and the outbox row are
    committed together; the relay then delivers exactly once (see `GET
    /v1/correspondence/{message_id}` for the acknowledgement)."""
    try:
        return await correspondence.send(
            caller.confirm(None), body, origin, author_name=caller.name
        )
    except SendRefused as exc:
        return refused(exc)


@router.get(
    "/correspondence/{message_id}",
    operation_id="getMessageStatus",
    response_model=MessageStatus,
    responses=problem_responses(404),
)
async def get_message_status(
    message_id: Annotated[str, Path(max_length=64)],
    caller: ProfessionalCaller,
    services: ServicesDep,
) -> MessageStatus:
    """Where a message stands: queued, delivered (with the recipient's
    acknowledgement and whether it was filed on a case) or failed. Only the
    sending organisation sees it."""
    status = message_status(services.db, message_id)
    organisation = caller.organisation.id if caller.organisation else None
    if status is None or status.sender_organisation_id != organisation:
        raise NotFound("your organisation sent no message with this id", field="message_id")
    return status
