"""Attachments to a CareCommunication: accepted only as PDF, PNG or JPEG.

The type is decided by the bytes, never by the file name or the type the sender
declared: the declared type must name the type the content has, or the attachment is
refused. MedCom's attachment value set (`medcom-core-attachmentMimeTypes`) also lists
GIF, TIFF and BMP; we accept the three formats a caseworker's or a clinician's system
opens without surprises and refuse the rest.

What counts as each format (stricter than a reader needs, on purpose, so that a file
cannot be two things at once):

- PDF: `%PDF-1.x` or `%PDF-2.x` at byte 0 (readers search the first kilobyte; we do
  not) and `%%EOF` in the last 1024 bytes.
- PNG: the 8-byte signature, an `IHDR` chunk of 13 bytes right after it, and the file
  ends with the `IEND` chunk (nothing appended after the image).
- JPEG: starts with an SOI marker followed by another marker (`FF D8 FF`) and ends
  with the EOI marker (`FF D9`), nothing after it.

Whatever else the bytes look like (HTML, a script, an archive, text) is refused, and
the refusal says what the content looked like when we can tell.

Limits (decoded bytes, before base64, which adds a third on the wire):
`MAX_ATTACHMENT_BYTES` per attachment, `MAX_MESSAGE_ATTACHMENT_BYTES` for all of a
message's attachments together, and `MAX_ATTACHMENTS` per message. They are our
limits, chosen to keep one message well inside what a VANS hop and an outbox row
carry; they are not MedCom's numbers (see the report's open questions).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from policy.errors import InvalidRequest

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
"""10 MiB per attachment: a scanned multi-page letter or a few photos fit."""

MAX_MESSAGE_ATTACHMENT_BYTES = 20 * 1024 * 1024
"""20 MiB for all attachments of one message together (about 27 MiB as base64)."""

MAX_ATTACHMENTS = 10
"""At most ten attachments per message."""

MAX_TITLE_LENGTH = 200

ContentType = Literal["application/pdf", "image/png", "image/jpeg"]
ACCEPTED: tuple[ContentType, ...] = ("application/pdf", "image/png", "image/jpeg")

Reason = Literal[
    "empty",
    "too_large",
    "message_too_large",
    "too_many",
    "unsupported_content",
    "type_mismatch",
    "unsupported_declared_type",
    "bad_title",
]

_PDF_HEAD = re.compile(rb"%PDF-[12]\.[0-9]")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IHDR = b"\x00\x00\x00\x0dIHDR"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AttachmentRefused(InvalidRequest):
    """One attachment (or the message's attachments together) cannot be sent.

    `index` is the attachment's position in the request (None when the refusal is
    about all of them), `field` the request field at fault (`attachments[2].data`),
    `reason` a stable code for the API's problem type, and the detail says why in
    words a caseworker can act on."""

    def __init__(self, detail: str, *, index: int | None, field: str, reason: Reason) -> None:
        super().__init__(detail, field=field)
        self.index = index
        self.reason = reason


class AttachmentIn(BaseModel):
    """An attachment as the sender hands it over. `filename` is kept for nothing but
    error messages: it never decides anything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH)
    declared_type: str
    data: bytes
    created: AwareDatetime | None = None
    filename: str | None = None


@dataclass(frozen=True)
class AcceptedAttachment:
    """An attachment whose content was checked: the type is the detected one."""

    title: str
    content_type: ContentType
    data: bytes
    created: datetime | None

    def fhir(self) -> dict[str, Any]:
        """The FHIR `Attachment` (R4) for a Communication payload segment."""
        attachment: dict[str, Any] = {
            "contentType": self.content_type,
            "data": base64.b64encode(self.data).decode("ascii"),
            "title": self.title,
        }
        if self.created is not None:
            attachment["creation"] = self.created.isoformat()
        return attachment


def _is_pdf(data: bytes) -> bool:
    return _PDF_HEAD.match(data) is not None and b"%%EOF" in data[-1024:]


def _is_png(data: bytes) -> bool:
    return (
        data.startswith(_PNG_SIGNATURE)
        and data[8:16] == _PNG_IHDR
        and len(data) >= 8 + 25 + 12
        and data.endswith(_PNG_IEND)
    )


def _is_jpeg(data: bytes) -> bool:
    return len(data) >= 4 and data.startswith(b"\xff\xd8\xff") and data.endswith(b"\xff\xd9")


def detect(data: bytes) -> ContentType | None:
    """The accepted type the bytes are, or None. Decided by content alone."""
    if _is_pdf(data):
        return "application/pdf"
    if _is_png(data):
        return "image/png"
    if _is_jpeg(data):
        return "image/jpeg"
    return None


def describe(data: bytes) -> str:
    """What unaccepted content looks like, for the refusal's words (best effort)."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml")) or (
        head.startswith(b"<") and b"<script" in data[:4096].lower()
    ):
        return "markup (HTML, SVG or XML)"
    if data.startswith(b"PK\x03\x04"):
        return "a ZIP archive (or an Office document)"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "a GIF image"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "a TIFF image"
    if data.startswith(b"MZ"):
        return "a Windows program"
    if data.startswith(b"%PDF-"):
        return "a damaged or incomplete PDF"
    if data.startswith(_PNG_SIGNATURE):
        return "a damaged PNG or one with data after its end"
    if data.startswith(b"\xff\xd8"):
        return "a damaged JPEG or one with data after its end"
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "an unknown binary format"
    return "text"


def _name(item: AttachmentIn, index: int) -> str:
    return f"attachment {index + 1} ({item.title!r})"


def accept_one(
    item: AttachmentIn, index: int, *, max_bytes: int = MAX_ATTACHMENT_BYTES
) -> AcceptedAttachment:
    """Check one attachment; raises AttachmentRefused naming it and why."""
    field = f"attachments[{index}]"
    name = _name(item, index)
    if _CONTROL.search(item.title) or not item.title.strip():
        raise AttachmentRefused(
            f"{name}: the title is blank or contains control characters",
            index=index,
            field=f"{field}.title",
            reason="bad_title",
        )
    if not item.data:
        raise AttachmentRefused(
            f"{name} is empty", index=index, field=f"{field}.data", reason="empty"
        )
    if len(item.data) > max_bytes:
        raise AttachmentRefused(
            f"{name} is {len(item.data)} bytes; an attachment may be at most {max_bytes} bytes",
            index=index,
            field=f"{field}.data",
            reason="too_large",
        )
    declared = item.declared_type.split(";", 1)[0].strip().lower()
    detected = detect(item.data)
    if detected is None:
        raise AttachmentRefused(
            f"{name} is {describe(item.data)}, not a PDF, PNG or JPEG file",
            index=index,
            field=f"{field}.data",
            reason="unsupported_content",
        )
    if declared not in ACCEPTED:
        raise AttachmentRefused(
            f"{name} is declared as {declared or 'nothing'!r}; "
            f"only {', '.join(ACCEPTED)} are accepted",
            index=index,
            field=f"{field}.declared_type",
            reason="unsupported_declared_type",
        )
    if declared != detected:
        raise AttachmentRefused(
            f"{name} is declared as {declared} but its content is {detected}",
            index=index,
            field=f"{field}.declared_type",
            reason="type_mismatch",
        )
    return AcceptedAttachment(
        title=item.title, content_type=detected, data=item.data, created=item.created
    )


def accept_attachments(
    items: Sequence[AttachmentIn],
    *,
    max_each: int = MAX_ATTACHMENT_BYTES,
    max_total: int = MAX_MESSAGE_ATTACHMENT_BYTES,
    max_count: int = MAX_ATTACHMENTS,
) -> list[AcceptedAttachment]:
    """Check a message's attachments in order; the first refusal is raised."""
    if len(items) > max_count:
        raise AttachmentRefused(
            f"{len(items)} attachments; a message may carry at most {max_count}",
            index=None,
            field="attachments",
            reason="too_many",
        )
    accepted = [accept_one(item, i, max_bytes=max_each) for i, item in enumerate(items)]
    total = sum(len(a.data) for a in accepted)
    if total > max_total:
        raise AttachmentRefused(
            f"the attachments are {total} bytes together; a message may carry at most "
            f"{max_total} bytes of attachments",
            index=None,
            field="attachments",
            reason="message_too_large",
        )
    return accepted
