"""Application logs are JSON lines and carry no CPR number."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import urllib.parse

import pytest

from api.logs import logging_config


@pytest.fixture
def emitted() -> logging.Logger:
    return logging.getLogger("hoi.test.logs")


def _capture(logger: logging.Logger, action: object) -> list[dict[str, object]]:
    stream = io.StringIO()
    config = logging_config("INFO")
    handler = logging.StreamHandler(stream)
    for name, spec in config["filters"].items():
        assert name == "redact_cpr"
        handler.addFilter(spec["()"]())
    formatter_spec = dict(config["formatters"]["json"])
    factory = formatter_spec.pop("()")
    module, _, cls = factory.rpartition(".")
    formatter_class = getattr(__import__(module, fromlist=[cls]), cls)
    handler.setFormatter(formatter_class(**formatter_spec))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        assert callable(action)
        action()
    finally:
        logger.removeHandler(handler)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_cpr_numbers_are_redacted_wherever_they_appear(emitted: logging.Logger) -> None:
    def log() -> None:
        emitted.info("GET /v1/children/%s/consents", "6809144615")
        emitted.info("lookup for 680914-4615 refused", extra={"child": "6809144615"})
        emitted.info("ids", extra={"ids": ["7912891555", "x"], "n": 6809144615})

    first, second, third = _capture(emitted, log)
    assert first["message"] == "GET /v1/children/[cpr]/consents"
    assert second["message"] == "lookup for [cpr] refused"
    assert second["child"] == "[cpr]"
    assert third["ids"] == ["[cpr]", "x"]
    assert third["n"] == "[cpr]"
    assert first["level"] == "INFO" and first["logger"] == "hoi.test.logs"


def test_identifiers_that_merely_contain_digits_are_kept(emitted: logging.Logger) -> None:
    trace = "4bf92f3577b3412345678901e0e4736a"
    decision = "a0d5ff9e-448d-4413-add9-067851234567"

    def log() -> None:
        emitted.info("decision", extra={"trace_id": trace, "decision_id": decision})

    [line] = _capture(emitted, log)
    assert (line["trace_id"], line["decision_id"]) == (trace, decision)


@pytest.mark.parametrize(
    "query",
    [
        "child_cpr=%36%38%30%39%31%34%34%36%31%35",  # every digit percent-encoded
        "child_cpr=680914%2D4615",  # the dash encoded
        "child_cpr=6809%3144615",  # one digit encoded
        "child_cpr=%2536%2538%2530%2539%2531%2534%2534%2536%2531%2535",  # encoded twice
    ],
)
def test_a_percent_encoded_cpr_in_a_query_string_is_redacted(
    emitted: logging.Logger, query: str
) -> None:
    """uvicorn's access log writes the query string as it arrived (still encoded)."""

    def log() -> None:
        emitted.info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/v1/audit?{query}", "1.1", 200
        )

    (line,) = _capture(emitted, log)
    assert "[cpr]" in str(line["message"])
    decoded = str(line["message"])
    for _ in range(3):
        decoded = urllib.parse.unquote(decoded)
    assert "6809144615" not in decoded and "680914-4615" not in decoded
