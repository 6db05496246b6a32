"""Synthetic parties, files and a deterministic id source and clock for messages.

CPR numbers are replacement style (day + 60), as the sandbox population makes them,
so none is an ordinary person's number. SOR ids start with 9000 (not a SOR range
in use), and GLNs use GS1 prefix 02, which GS1 reserves for numbers in restricted
circulation and never assigns to a company."""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from correspondence.attachments import AcceptedAttachment, AttachmentIn, accept_one
from correspondence.medcom import (
    Activity,
    Author,
    Child,
    Draft,
    Organisation,
    Thread,
    build_message,
    message_json,
)

COPENHAGEN = timezone(timedelta(hours=1))
SENT = datetime(2026, 11, 30, 9, 15, tzinfo=COPENHAGEN)


def synthetic_cpr(born: date, serial: int) -> str:
    """A replacement-style CPR number for a child born in this century."""
    return f"{born.day + 60:02d}{born.month:02d}{born.year % 100:02d}4{serial:03d}"


def gln(body: str) -> str:
    """A 13-digit GLN with its GS1 check digit, from 12 digits."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


CHILD = Child(cpr=synthetic_cpr(date(2014, 3, 9), 123), given="Testbarn", family="Syntetisk")
OTHER_CHILD = Child(cpr=synthetic_cpr(date(2015, 6, 2), 456), given="Andet", family="Syntetisk")
BUP = Organisation(
    sor_id="900000000000101", gln=gln("020000000101"), name="BUP Testafdeling (syntetisk)"
)
MUNICIPALITY = Organisation(
    sor_id="900000000000202", gln=gln("020000000202"), name="Testkommune Familieafdeling"
)
SCHOOL_HEALTH = Organisation(
    sor_id="900000000000303", gln=gln("020000000303"), name="Testkommune Sundhedspleje"
)
PSYCHIATRIST = Author(
    given="Lise", family="Lægesen", role_code="overlaege", phone="+45 11 22 33 44"
)
CASEWORKER = Author(given="Sune", family="Sagsen", role_text="Sagsbehandler", phone="99887766")


def uuids(start: int = 1) -> Callable[[], UUID]:
    """UUID version 4 values start, start + 1, ... (variant bits set), in call order."""
    counter = itertools.count(start)

    def new_id() -> UUID:
        return UUID(int=next(counter) | (4 << 76) | (0b10 << 62))

    return new_id


def clock(at: datetime = SENT) -> Callable[[], datetime]:
    return lambda: at


def draft(**changes: Any) -> Draft:
    fields: dict[str, Any] = {
        "sender": BUP,
        "receiver": MUNICIPALITY,
        "author": PSYCHIATRIST,
        "child": CHILD,
        "category": "psychiatry-social-disability",
        "text": "Kære kommune\nVi har afsluttet udredningen.",
    }
    fields.update(changes)
    return Draft(**fields)


# Small, well-formed files of each accepted type, made here (no fixture files).


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pdf_bytes(text: str = "Syntetisk testbrev") -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type/Pages/Count 1/Kids[3 0 R]>> endobj\n"
        b"3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>> endobj\n"
        + f"4 0 obj <</Length {len(stream)}>> stream\n".encode()
        + stream
        + b"\nendstream endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )


def jpeg_bytes() -> bytes:
    """SOI, an APP0/JFIF segment, a comment, EOI: the markers a sniffer looks at."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    comment = b"syntetisk"
    return (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", len(app0) + 2)
        + app0
        + b"\xff\xfe"
        + struct.pack(">H", len(comment) + 2)
        + comment
        + b"\xff\xd9"
    )


def accepted(
    data: bytes, declared: str, title: str = "Bilag", created: datetime | None = None
) -> AcceptedAttachment:
    return accept_one(
        AttachmentIn(title=title, declared_type=declared, data=data, created=created), 0
    )


def entries(bundle_json: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle_json["entry"] if e["resource"]["resourceType"] == kind]


def one(bundle_json: dict[str, Any], kind: str) -> dict[str, Any]:
    [resource] = entries(bundle_json, kind)
    return resource


def resolve(bundle_json: dict[str, Any], reference: str) -> dict[str, Any]:
    """The resource a relative reference (`Type/id`) names inside the Bundle."""
    kind, ident = reference.split("/")
    [found] = [r for r in entries(bundle_json, kind) if r["id"] == ident]
    return found


def build(
    activity: Activity = "new",
    thread: Thread | None = None,
    at: datetime = SENT,
    new_id: Callable[[], UUID] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """A message as FHIR JSON, from draft changes."""
    bundle = build_message(
        draft(**changes), new_id=new_id or uuids(), now=clock(at), activity=activity, thread=thread
    )
    return message_json(bundle)
