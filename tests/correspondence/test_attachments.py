"""Attachments: PDF, PNG and JPEG only, decided by the bytes; each refusal names the
attachment and says why. Abuse first."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest

from correspondence.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_MESSAGE_ATTACHMENT_BYTES,
    AcceptedAttachment,
    AttachmentIn,
    AttachmentRefused,
    ContentType,
    accept_attachments,
    accept_one,
)
from correspondence.medcom import MessageRefused
from tests.correspondence.helpers import COPENHAGEN, draft, jpeg_bytes, pdf_bytes, png_bytes

HTML = b"<!DOCTYPE html><html><body><script>fetch('/steal')</script></body></html>"


def refusal(
    data: bytes, declared: str, *, filename: str | None = None, title: str = "Bilag"
) -> AttachmentRefused:
    item = AttachmentIn(title=title, declared_type=declared, data=data, filename=filename)
    with pytest.raises(AttachmentRefused) as caught:
        accept_attachments([item])
    return caught.value


def what(refused: AttachmentRefused) -> tuple[int | None, str | None, str]:
    return refused.index, refused.field, refused.reason


# Abuse.


def test_html_declared_as_pdf_is_refused_as_markup() -> None:
    refused = refusal(HTML, "application/pdf", filename="epikrise.pdf")
    assert what(refused) == (0, "attachments[0].data", "unsupported_content")
    assert (
        refused.detail
        == "attachment 1 ('Bilag') is markup (HTML, SVG or XML), not a PDF, PNG or JPEG file"
    )


def test_html_with_a_byte_order_mark_and_whitespace_is_still_markup() -> None:
    refused = refusal(b"\xef\xbb\xbf \n<html><script>x</script></html>", "image/png")
    assert refused.reason == "unsupported_content"
    assert "markup" in refused.detail


def test_svg_with_a_script_is_refused() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert what(refusal(svg, "image/png")) == (0, "attachments[0].data", "unsupported_content")


def test_html_that_carries_a_pdf_header_later_is_not_a_pdf() -> None:
    """Readers find `%PDF-` anywhere in the first kilobyte; we want it at byte 0, so a
    file cannot be a web page and a PDF at once."""
    polyglot = b"<html><script>x</script>\n" + pdf_bytes()
    refused = refusal(polyglot, "application/pdf")
    assert refused.reason == "unsupported_content"
    assert "markup" in refused.detail


def test_a_png_with_html_appended_after_its_end_is_refused() -> None:
    refused = refusal(png_bytes() + HTML, "image/png")
    assert what(refused) == (0, "attachments[0].data", "unsupported_content")
    assert "data after its end" in refused.detail


def test_a_jpeg_with_an_archive_appended_is_refused() -> None:
    refused = refusal(jpeg_bytes() + b"PK\x03\x04" + b"\x00" * 26, "image/jpeg")
    assert refused.reason == "unsupported_content"


def test_a_pdf_without_its_end_marker_is_refused() -> None:
    truncated = pdf_bytes().replace(b"%%EOF", b"")
    refused = refusal(truncated, "application/pdf")
    assert refused.reason == "unsupported_content"
    assert "damaged or incomplete PDF" in refused.detail


def test_a_windows_program_named_pdf_is_refused() -> None:
    refused = refusal(b"MZ\x90\x00" + b"\x00" * 60, "application/pdf", filename="brev.pdf")
    assert "Windows program" in refused.detail


def test_a_draft_made_by_hand_cannot_smuggle_html_as_a_pdf() -> None:
    """The builder's input checks the bytes again: AcceptedAttachment is a plain
    dataclass anyone can construct."""
    forged = AcceptedAttachment(
        title="Epikrise", content_type="application/pdf", data=HTML, created=None
    )
    with pytest.raises(MessageRefused) as caught:
        draft(attachments=(forged,))
    assert caught.value.field == "attachments[0]"


def test_a_draft_made_by_hand_cannot_carry_more_attachments_than_allowed() -> None:
    photo = AcceptedAttachment(
        title="Foto", content_type="image/png", data=png_bytes(), created=None
    )
    with pytest.raises(MessageRefused) as caught:
        draft(attachments=(photo,) * (MAX_ATTACHMENTS + 1))
    assert caught.value.field == "attachments"


def test_a_title_with_control_characters_is_refused() -> None:
    refused = refusal(pdf_bytes(), "application/pdf", title="Brev\x1b[31m")
    assert what(refused) == (0, "attachments[0].title", "bad_title")


# Names and declared types never decide.


def test_a_pdf_named_png_and_declared_png_is_refused_as_a_mismatch() -> None:
    refused = refusal(pdf_bytes(), "image/png", filename="foto.png")
    assert what(refused) == (0, "attachments[0].declared_type", "type_mismatch")
    assert refused.detail == (
        "attachment 1 ('Bilag') is declared as image/png but its content is application/pdf"
    )


def test_a_pdf_named_png_but_declared_pdf_is_accepted_as_pdf() -> None:
    item = AttachmentIn(
        title="Brev", declared_type="application/pdf", data=pdf_bytes(), filename="foto.png"
    )
    assert accept_one(item, 0).content_type == "application/pdf"


def test_a_text_file_named_pdf_is_refused_as_text() -> None:
    refused = refusal(b"Hej, her er brevet.\n", "application/pdf", filename="brev.pdf")
    assert what(refused) == (0, "attachments[0].data", "unsupported_content")
    assert refused.detail == "attachment 1 ('Bilag') is text, not a PDF, PNG or JPEG file"


def test_a_gif_is_refused_although_medcom_lists_it() -> None:
    refused = refusal(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif")
    assert refused.reason == "unsupported_content"
    assert "GIF" in refused.detail


def test_a_png_declared_as_gif_is_refused_for_its_declared_type() -> None:
    refused = refusal(png_bytes(), "image/gif")
    assert what(refused) == (0, "attachments[0].declared_type", "unsupported_declared_type")


def test_declared_type_parameters_and_case_do_not_matter() -> None:
    item = AttachmentIn(
        title="Brev", declared_type="Application/PDF; charset=binary", data=pdf_bytes()
    )
    assert accept_one(item, 0).content_type == "application/pdf"


def test_the_refusal_names_the_attachment_at_fault() -> None:
    items = [
        AttachmentIn(title="Brev", declared_type="application/pdf", data=pdf_bytes()),
        AttachmentIn(title="Foto", declared_type="image/jpeg", data=png_bytes()),
    ]
    with pytest.raises(AttachmentRefused) as caught:
        accept_attachments(items)
    assert what(caught.value) == (1, "attachments[1].declared_type", "type_mismatch")
    assert caught.value.detail.startswith("attachment 2 ('Foto')")


def test_an_empty_file_is_refused() -> None:
    assert what(refusal(b"", "application/pdf")) == (0, "attachments[0].data", "empty")


# Sizes.


def test_an_attachment_at_the_limit_is_accepted_and_one_byte_more_is_refused() -> None:
    head = pdf_bytes()
    at_limit = head[:-6] + b" " * (MAX_ATTACHMENT_BYTES - len(head)) + b"%%EOF\n"
    assert len(at_limit) == MAX_ATTACHMENT_BYTES
    item = AttachmentIn(title="Stor", declared_type="application/pdf", data=at_limit)
    assert accept_one(item, 0).content_type == "application/pdf"
    refused = refusal(b" " + at_limit, "application/pdf")
    assert what(refused) == (0, "attachments[0].data", "too_large")
    assert refused.detail == (
        f"attachment 1 ('Bilag') is {MAX_ATTACHMENT_BYTES + 1} bytes; "
        f"an attachment may be at most {MAX_ATTACHMENT_BYTES} bytes"
    )


def test_attachments_over_the_message_limit_together_are_refused() -> None:
    each = MAX_MESSAGE_ATTACHMENT_BYTES // 2
    body = pdf_bytes()
    big = body[:-6] + b" " * (each - len(body)) + b"%%EOF\n"
    items = [
        AttachmentIn(title=f"Del {n}", declared_type="application/pdf", data=big) for n in range(3)
    ]
    with pytest.raises(AttachmentRefused) as caught:
        accept_attachments(items)
    assert what(caught.value) == (None, "attachments", "message_too_large")


def test_more_attachments_than_allowed_are_refused() -> None:
    items = [
        AttachmentIn(title=f"Foto {n}", declared_type="image/png", data=png_bytes())
        for n in range(MAX_ATTACHMENTS + 1)
    ]
    with pytest.raises(AttachmentRefused) as caught:
        accept_attachments(items)
    assert what(caught.value) == (None, "attachments", "too_many")


# What is accepted.


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        pytest.param(pdf_bytes(), "application/pdf", id="pdf"),
        pytest.param(png_bytes(3, 2), "image/png", id="png"),
        pytest.param(jpeg_bytes(), "image/jpeg", id="jpeg"),
    ],
)
def test_each_accepted_type_is_recognised_by_its_bytes(data: bytes, declared: ContentType) -> None:
    [attachment] = accept_attachments(
        [AttachmentIn(title="Bilag", declared_type=declared, data=data)]
    )
    assert attachment == AcceptedAttachment(
        title="Bilag",
        content_type=declared,
        data=data,
        created=None,
    )


def test_an_accepted_attachment_is_a_fhir_attachment_with_the_detected_type() -> None:
    created = datetime(2026, 11, 29, 14, 0, tzinfo=COPENHAGEN)
    item = AttachmentIn(
        title="Tegning fra barnet", declared_type="image/png", data=png_bytes(), created=created
    )
    assert accept_one(item, 0).fhir() == {
        "contentType": "image/png",
        "data": base64.b64encode(png_bytes()).decode(),
        "title": "Tegning fra barnet",
        "creation": "2026-11-29T14:00:00+01:00",
    }
