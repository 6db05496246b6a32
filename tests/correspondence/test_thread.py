"""Replies and forwards keep the thread: earlier segments repeated, one Provenance per
message, each pointing at the message before it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from correspondence.medcom import MessageRefused, Thread, thread_of
from tests.correspondence.helpers import (
    BUP,
    CASEWORKER,
    MUNICIPALITY,
    OTHER_CHILD,
    SCHOOL_HEALTH,
    SENT,
    accepted,
    build,
    entries,
    one,
    pdf_bytes,
    resolve,
    uuids,
)

ACTIVITY = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes"
SEGMENT_ID = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-identifier-extension"


def first() -> dict[str, Any]:
    return build(attachments=(accepted(pdf_bytes(), "application/pdf", title="Notat"),))


def reply(to: dict[str, Any]) -> dict[str, Any]:
    return build(
        activity="reply",
        thread=thread_of(to),
        new_id=uuids(100),
        at=SENT + timedelta(days=1),
        sender=MUNICIPALITY,
        receiver=BUP,
        author=CASEWORKER,
        text="Tak. Vi indkalder til netværksmøde.",
    )


def forward(of: dict[str, Any]) -> dict[str, Any]:
    return build(
        activity="forward",
        thread=thread_of(of),
        new_id=uuids(200),
        at=SENT + timedelta(days=2),
        sender=MUNICIPALITY,
        receiver=SCHOOL_HEALTH,
        author=CASEWORKER,
        category="carecoordination",
        text="Til orientering.",
    )


def header_id(message: dict[str, Any]) -> str:
    return str(one(message, "MessageHeader")["id"])


def segment_ids(message: dict[str, Any]) -> list[str]:
    return [
        e["valueIdentifier"]["value"]
        for s in one(message, "Communication")["payload"]
        for e in s["extension"]
        if e["url"] == SEGMENT_ID
    ]


def newest_provenance(message: dict[str, Any]) -> dict[str, Any]:
    [mine] = [
        p
        for p in entries(message, "Provenance")
        if p["target"] == [{"reference": f"MessageHeader/{header_id(message)}"}]
    ]
    return mine


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def test_a_reply_repeats_the_earlier_segments_before_its_own() -> None:
    original = first()
    answer = reply(original)
    payload = one(answer, "Communication")["payload"]
    assert payload[:2] == one(original, "Communication")["payload"]
    assert payload[2]["contentString"] == "Tak. Vi indkalder til netværksmøde."


def test_a_reply_has_a_provenance_per_message_and_points_at_the_one_before() -> None:
    original = first()
    answer = reply(original)
    provenances = entries(answer, "Provenance")
    assert len(provenances) == 2
    assert one(original, "Provenance") in provenances
    mine = newest_provenance(answer)
    assert mine["activity"] == {"coding": [{"system": ACTIVITY, "code": "reply-message"}]}
    assert mine["entity"] == [
        {"role": "revision", "what": {"reference": f"MessageHeader/{header_id(original)}"}},
        {"role": "source", "what": {"identifier": {"value": segment_ids(answer)[-1]}}},
    ]
    assert mine["recorded"] == "2026-12-01T09:15:00+01:00"
    assert resolve(answer, mine["agent"][0]["who"]["reference"])["name"] == MUNICIPALITY.name


def test_a_forward_continues_the_thread_to_a_third_party() -> None:
    original = first()
    answer = reply(original)
    onward = forward(answer)
    assert len(entries(onward, "Provenance")) == 3
    mine = newest_provenance(onward)
    assert mine["activity"] == {"coding": [{"system": ACTIVITY, "code": "forward-message"}]}
    assert mine["entity"][0] == {
        "role": "revision",
        "what": {"reference": f"MessageHeader/{header_id(answer)}"},
    }
    assert segment_ids(onward)[:3] == segment_ids(answer)
    [destination] = one(onward, "MessageHeader")["destination"]
    assert destination["endpoint"] == f"https://sor2.sum.dsdn.dk/#id={SCHOOL_HEALTH.sor_id}"


def test_the_thread_keeps_one_organisation_per_sor_id() -> None:
    original = first()
    onward = forward(reply(original))
    sor_ids = [o["identifier"][0]["value"] for o in entries(onward, "Organization")]
    assert sorted(sor_ids) == sorted([BUP.sor_id, MUNICIPALITY.sor_id, SCHOOL_HEALTH.sor_id])
    kept = {o["id"] for o in entries(original, "Organization")}
    assert kept <= {o["id"] for o in entries(onward, "Organization")}


def test_every_reference_in_a_thread_resolves_inside_the_bundle() -> None:
    """Except the Provenance's pointer at the preceding MessageHeader, which by design
    names a message that is not in this Bundle."""
    original = first()
    answer = reply(original)
    onward = forward(answer)
    outside = {f"MessageHeader/{header_id(original)}", f"MessageHeader/{header_id(answer)}"}
    for reference in set(references(onward)) - outside:
        resolve(onward, reference)
    ids = [(r["resource"]["resourceType"], r["resource"]["id"]) for r in onward["entry"]]
    assert len(ids) == len(set(ids))


def test_earlier_authors_travel_with_their_segments() -> None:
    onward = forward(reply(first()))
    names = sorted(p["name"][0]["family"] for p in entries(onward, "Practitioner"))
    assert names == ["Lægesen", "Sagsen", "Sagsen"]


def test_a_reply_about_another_child_is_refused() -> None:
    with pytest.raises(MessageRefused) as caught:
        build(activity="reply", thread=thread_of(first()), new_id=uuids(100), child=OTHER_CHILD)
    assert caught.value.field == "child.cpr"


def test_a_new_message_cannot_carry_a_thread_and_a_reply_needs_one() -> None:
    with pytest.raises(MessageRefused):
        build(activity="new", thread=thread_of(first()), new_id=uuids(100))
    with pytest.raises(MessageRefused):
        build(activity="reply")


def test_only_a_care_communication_message_starts_a_thread() -> None:
    collection = {"resourceType": "Bundle", "type": "collection"}
    with pytest.raises(MessageRefused):
        thread_of(collection)
    other_event = first()
    other_event["entry"][0]["resource"]["eventCoding"]["code"] = "empty-message"
    with pytest.raises(MessageRefused):
        thread_of(other_event)


def test_the_thread_names_the_preceding_header_and_child() -> None:
    original = first()
    thread = thread_of(original)
    assert isinstance(thread, Thread)
    assert (thread.header_id, thread.cpr) == (
        header_id(original),
        one(original, "Patient")["identifier"][0]["value"],
    )
    assert thread.segments == tuple(one(original, "Communication")["payload"])
