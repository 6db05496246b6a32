"""What a sender hands over to send a message about a child.

Who sends, for which organisation and in which role comes from the bearer token;
the recipient is named by the `write_to` handle the overview gives and read from
the organisation register; the body carries only the child, the topic, the words
and the attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, Base64Bytes, BaseModel, ConfigDict, Field

from correspondence.attachments import MAX_TITLE_LENGTH, AttachmentIn
from correspondence.medcom import Activity, Category
from policy.cpr import Cpr
from policy.decision import Decision
from policy.sending import Grounds, Topic


class AttachmentBody(BaseModel):
    """An attachment as JSON: its bytes in base64. The declared type is checked
    against the content; the file name decides nothing."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=MAX_TITLE_LENGTH)]
    content_type: Annotated[str, Field(max_length=100)]
    data: Base64Bytes
    created: AwareDatetime | None = None
    filename: Annotated[str, Field(max_length=255)] | None = None

    def incoming(self) -> AttachmentIn:
        return AttachmentIn(
            title=self.title,
            declared_type=self.content_type,
            data=self.data,
            created=self.created,
            filename=self.filename,
        )


class MessageBody(BaseModel):
    """A message to send: to the recipient the overview's `write_to` handle names."""

    model_config = ConfigDict(extra="forbid")

    child_cpr: Cpr
    write_to: Annotated[
        str,
        Field(
            max_length=140,
            description="The recipient's handle from the overview's contact point "
            "(`org/851/unit/851-family`).",
        ),
    ]
    topic: Topic = Field(
        description="What the message is about. report_of_concern, referral, "
        "medical_certificate and status_report have their own channels and are refused "
        "here with the channel to use."
    )
    category: Category = Field(
        default="carecoordination", description="The MedCom CareCommunication category."
    )
    title: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="The message's subject line (needed with category other)."
    )
    text: Annotated[str, Field(min_length=1, max_length=100_000)]
    attachments: Annotated[list[AttachmentBody], Field(max_length=20)] = Field(default_factory=list)
    activity: Activity = Field(
        default="new",
        description="new, or reply / forward: then `previous` is the message replied to or "
        "forwarded, and its thread (segments, Provenance) is carried on.",
    )
    previous: dict[str, Any] | None = Field(
        default=None,
        description="For a reply or forward: the preceding CareCommunication Bundle as "
        "received. It must be about the same child.",
    )
    grounds: Grounds | None = Field(
        default=None,
        description="Only for a health professional writing to a municipality without "
        "consent: the weighty concern (Sundhedsloven § 43(2)(2)) and why.",
    )


class SentMessage(BaseModel):
    """A message accepted for delivery: it is in the outbox, its decision and its
    disclosure are in the audit trail."""

    message_id: str
    decision_id: str
    status: str = "queued"
    recipient: dict[str, str]
    queued_at: datetime
    decision: Decision
