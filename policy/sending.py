"""The question of sending a message about a child: what the policy is asked.

Sending is a disclosure, so the policy decides it (rego/hoi/correspondence) on
the same entrypoint as a lookup, with the action `send_correspondence`. The
recipient is described as the organisation register knows it, never as the
request names it; its own relation evidence with the child is read from the
relation source, to tell the child's unit from a wrong recipient."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from policy.decision import Context, DecisionRequest, Resource, Subject

SEND_ACTION: Literal["send_correspondence"] = "send_correspondence"
CORRESPONDENCE = "correspondence"
"""The key of the policy's answer on a send, and its 'category' in the decision."""

Topic = Literal[
    "coordination",
    "treatment",
    "report_of_concern",
    "referral",
    "medical_certificate",
    "status_report",
]
TOPICS: tuple[str, ...] = get_args(Topic)

GROUNDS_REASON_MIN_LENGTH = 10


class Grounds(BaseModel):
    """Why a health professional sends without consent: a weighty concern for the
    child or others (Sundhedsloven § 43(2)(2)), with the reason in words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["weighty_concern"]
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=1000),
        Field(min_length=GROUNDS_REASON_MIN_LENGTH),
    ]


class RecipientFacts(BaseModel):
    """The recipient as the organisation register knows it."""

    model_config = ConfigDict(frozen=True)

    organisation_id: str
    type: str
    part_of: list[str] = Field(default_factory=list)
    municipality_code: str | None = None


class SendQuestion(BaseModel):
    """What the policy needs about a send besides the lookup's facts."""

    model_config = ConfigDict(frozen=True)

    topic: Topic
    recipient: RecipientFacts
    grounds: Grounds | None = None


def send_request(subject: Subject, child_cpr: str, topic: str) -> DecisionRequest:
    """The question the policy is asked for a send: the sender, the child, the
    topic as the purpose, no data categories. Built by the service only (a
    caller cannot ask with action send_correspondence)."""
    return DecisionRequest.model_construct(
        subject=subject,
        action=SEND_ACTION,
        resource=Resource.model_construct(child_cpr=child_cpr, categories=[]),
        context=Context.model_construct(
            purpose=topic, time=None, case_reference=None, override=None
        ),
    )
