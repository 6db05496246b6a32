"""The AuthZEN Authorization API 1.0 beside the native decision API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Body, Header, Request, Response

from api import examples
from api.authzen import (
    AuthZenConfiguration,
    EvaluationItem,
    EvaluationRequest,
    EvaluationResponse,
    EvaluationsRequest,
    EvaluationsResponse,
    error_response,
    evaluation_response,
    stops_after,
    to_decision_request,
)
from api.deps import DecisionsDep, OriginDep, ProfessionalCaller, ServicesDep
from api.errors import WITH_BODY, problem_responses
from decisions import AuditedDecisions, Origin, together_key
from facts.cache import one_registry_reading
from policy.caller import Caller
from policy.decision import Decision, DecisionRequest
from policy.errors import Forbidden, HoiError, InvalidRequest

router = APIRouter(tags=["authzen"])
well_known = APIRouter(tags=["authzen"])

EVALUATION_PATH = "/access/v1/evaluation"
EVALUATIONS_PATH = "/access/v1/evaluations"
CONCURRENCY = 16
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,256}$")

RequestId = Annotated[
    str | None,
    Header(
        alias="X-Request-ID",
        description="Echoed in the response, as AuthZEN asks.",
        max_length=256,
    ),
]


def _echo(response: Response, request_id: str | None) -> None:
    if request_id is not None and _REQUEST_ID.match(request_id):
        response.headers["X-Request-ID"] = request_id


@router.post(
    EVALUATION_PATH,
    operation_id="authzenEvaluation",
    response_model=EvaluationResponse,
    responses=problem_responses(*WITH_BODY),
)
async def evaluation(
    body: Annotated[EvaluationRequest, Body(openapi_examples=examples.EVALUATION)],
    caller: ProfessionalCaller,
    decisions: DecisionsDep,
    origin: OriginDep,
    response: Response,
    request_id: RequestId = None,
) -> EvaluationResponse:
    """Access Evaluation: may the token's professional view these categories of this child?

    Audited like a native decision, before the answer leaves."""
    _echo(response, request_id)
    question = to_decision_request(caller, body.subject, body.resource, body.action, body.context)
    decisions.check_time(question)
    decision = await decisions.decide(question, origin)
    return evaluation_response(decision)


def _question(
    caller: Caller, decisions: AuditedDecisions, body: EvaluationsRequest, index: int
) -> Asked:
    """Our question for evaluation `index`, or why it cannot be asked. A subject
    other than the token's raises Forbidden: it refuses the whole call."""
    item = body.evaluations[index]
    prefix = f"evaluations.{index}."
    subject = item.subject or body.subject
    resource = item.resource or body.resource
    action = item.action or body.action
    context = item.context if item.context is not None else body.context
    try:
        if subject is None or resource is None or action is None:
            missing = next(
                n
                for n, v in (("subject", subject), ("resource", resource), ("action", action))
                if v is None
            )
            raise InvalidRequest(
                f"evaluation {index} has no {missing} and the request gives no default",
                field=f"{prefix}{missing}",
            )
        question = to_decision_request(caller, subject, resource, action, context, prefix=prefix)
        decisions.check_time(question)
    except Forbidden:
        raise
    except HoiError as exc:
        return error_response(index, exc)
    return question


Asked = DecisionRequest | EvaluationResponse


async def _answer(
    index: int, asked: Asked, decide: Callable[[int, DecisionRequest], Awaitable[Decision]]
) -> EvaluationResponse:
    """The answer to evaluation `index`. An override refused by validation was
    audited by `decide`; it is a deny that says why, as any invalid evaluation."""
    if isinstance(asked, EvaluationResponse):
        return asked
    try:
        decision = await decide(index, asked)
    except InvalidRequest as exc:
        return error_response(index, exc)
    return evaluation_response(decision)


async def _all_at_once(
    asked: list[Asked],
    decide: Callable[[int, DecisionRequest], Awaitable[Decision]],
    decisions: AuditedDecisions,
    origin: Origin,
) -> list[EvaluationResponse]:
    """Every evaluation answered. Evaluations that differ only in their categories
    (the same professional, child, purpose and context, no override) are decided
    with one evaluation of the policy, and all of them are audited in one commit;
    the rest (an override, an invalid evaluation) alone."""
    answers: dict[int, EvaluationResponse] = {}
    together: dict[str, list[tuple[int, DecisionRequest]]] = {}
    alone: list[tuple[int, Asked]] = []
    for index, one in enumerate(asked):
        key = together_key(one) if isinstance(one, DecisionRequest) else None
        if key is None or not isinstance(one, DecisionRequest):
            alone.append((index, one))
        else:
            together.setdefault(key, []).append((index, one))
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one_alone(index: int, one: Asked) -> None:
        async with gate:
            answers[index] = await _answer(index, one, decide)

    async def all_groups() -> None:
        groups = list(together.values())
        decided = await decisions.decide_together(
            [[q for _, q in group] for group in groups], origin, concurrency=CONCURRENCY
        )
        for group, group_decisions in zip(groups, decided, strict=True):
            for (index, _), decision in zip(group, group_decisions, strict=True):
                answers[index] = evaluation_response(decision)

    await asyncio.gather(*(one_alone(i, a) for i, a in alone), all_groups())
    return [answers[i] for i in range(len(asked))]


@router.post(
    EVALUATIONS_PATH,
    operation_id="authzenEvaluations",
    response_model=EvaluationsResponse,
    responses=problem_responses(*WITH_BODY),
)
async def evaluations(
    body: Annotated[EvaluationsRequest, Body(openapi_examples=examples.EVALUATIONS)],
    caller: ProfessionalCaller,
    services: ServicesDep,
    decisions: DecisionsDep,
    origin: OriginDep,
    response: Response,
    request_id: RequestId = None,
) -> EvaluationsResponse:
    """Access Evaluations: many questions in one call.

    `options.evaluations_semantic`: `execute_all` (default) answers every one;
    `deny_on_first_deny` and `permit_on_first_permit` answer in order and stop after
    the first deny or permit. An evaluation that cannot be decided (a bad CPR number,
    an unknown category) is a deny that says why in `context.reason_admin.error`; a
    subject other than the token's refuses the whole call (403) before anything is
    decided. Every decision is audited before the answer leaves. The call is
    decided on one reading of each child's registry: every evaluation sees the
    same consents, objections and blocks."""
    _echo(response, request_id)
    limit = services.settings.authzen_max_evaluations
    if len(body.evaluations) > limit:
        raise InvalidRequest(f"at most {limit} evaluations in one call", field="evaluations")
    if not body.evaluations:
        # AuthZEN: an empty list asks one evaluation made of the defaults.
        body = body.model_copy(update={"evaluations": [EvaluationItem()]})
    semantic = body.options.evaluations_semantic if body.options else "execute_all"
    asked = [_question(caller, decisions, body, i) for i in range(len(body.evaluations))]

    async def decide(index: int, question: DecisionRequest) -> Decision:
        return await decisions.decide(
            question,
            origin,
            field_of=lambda name: f"evaluations.{index}.context.override.{name}",
        )

    if semantic == "execute_all":
        with one_registry_reading():
            answers = await _all_at_once(asked, decide, decisions, origin)
        return EvaluationsResponse(evaluations=answers)
    answers = []
    with one_registry_reading():
        for index, one in enumerate(asked):
            answer = await _answer(index, one, decide)
            answers.append(answer)
            if stops_after(semantic, answer.decision):
                break
    return EvaluationsResponse(evaluations=answers)


@well_known.get(
    "/.well-known/authzen-configuration",
    operation_id="authzenConfiguration",
    response_model=AuthZenConfiguration,
    responses=problem_responses(500),
)
async def configuration(request: Request, services: ServicesDep) -> AuthZenConfiguration:
    """PDP metadata: where the evaluation endpoints are. Needs no token."""
    base = (services.settings.public_url or str(request.base_url)).rstrip("/")
    return AuthZenConfiguration(
        policy_decision_point=base,
        access_evaluation_endpoint=base + EVALUATION_PATH,
        access_evaluations_endpoint=base + EVALUATIONS_PATH,
    )
