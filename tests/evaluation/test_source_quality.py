"""Data quality per source: an answer in time with nothing for the child counts as
empty, and an answer a family's block took records from is counted apart (from the
disclosure's per-call counts; never which records or from where)."""

from __future__ import annotations

from audit.models import AuditRecord, SourceCall
from evaluation.figures import compute
from tests.evaluation.records import lookup


def _overview(child: str, calls: list[SourceCall]) -> AuditRecord:
    return lookup(child, kind="disclosure").model_copy(update={"source_calls": calls})


def _call(records: int | None, withheld: int | None = None, status: str = "ok") -> SourceCall:
    return SourceCall.model_validate(
        {
            "source": "bup-rn-appointments",
            "status": status,
            "duration_us": 1_000,
            "records": records,
            "withheld": withheld,
        }
    )


def test_empty_answers_and_answers_a_block_withheld_records_from_are_counted() -> None:
    records = [
        *(_overview(f"c{i}", [_call(3)]) for i in range(6)),
        *(_overview(f"e{i}", [_call(0)]) for i in range(5)),
        *(_overview(f"b{i}", [_call(2, withheld=2)]) for i in range(5)),
        _overview("t", [_call(None, status="timeout")]),
        _overview("old", [_call(None)]),  # a record from before the counts: answered
    ]
    figures = compute(records, [], recipient_type=lambda _: None)

    quality = figures.table("source_calls")
    row = "bup-rn-appointments"
    assert quality.cell(row, "answered").value == 6 + 5 + 1
    assert quality.cell(row, "empty").value == 5
    assert quality.cell(row, "timeout").value == 1

    withheld = figures.table("source_withheld")
    assert withheld.cell(row, "nothing_withheld").value == 6 + 5
    assert withheld.cell(row, "records_withheld").value == 5


def test_the_counts_are_left_out_of_a_record_that_has_none() -> None:
    """Records written before the counts existed keep their JSON (and hash)."""
    assert _call(None).model_dump(mode="json") == {
        "source": "bup-rn-appointments",
        "status": "ok",
        "duration_us": 1_000,
    }
    assert _call(0, withheld=0).model_dump(mode="json")["records"] == 0
