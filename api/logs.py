"""Application logs: one JSON object per line, with CPR numbers redacted.

Our code logs ids and codes, never CPR numbers or source data. The redaction
filter is the second line: it masks anything shaped like a CPR number (ten
digits, or six, a dash and four) in every message and string field before a
record is written, which also covers request paths in uvicorn's access log
(`/v1/children/{cpr}/...`) and their query strings, percent-encoded or not."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote

# Ten digits (or six, a dash, four) not inside a longer token: uuids and hex
# trace ids, whose digit runs touch letters, are left alone.
CPR_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{6}-?\d{4}(?![0-9A-Za-z])")
REDACTED = "[cpr]"

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _redact_text(text: str) -> str:
    """Masks CPR numbers, also percent-encoded ones (uvicorn's access log writes the
    query string as it arrived). When decoding reveals a number, the decoded text is
    kept, masked; otherwise the text is left as it was. Decodes at most three times
    (a number encoded twice is still a number)."""
    masked = decoded = CPR_LIKE.sub(REDACTED, text)
    for _ in range(3):
        if "%" not in decoded:
            break
        decoded = unquote(decoded)
        if CPR_LIKE.search(decoded):
            masked = decoded = CPR_LIKE.sub(REDACTED, decoded)
    return masked


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and CPR_LIKE.fullmatch(str(value)):
        return REDACTED
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(v) for v in value)
    return value


class RedactCpr(logging.Filter):
    """Masks CPR-shaped numbers in the message and in extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _redact_text(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, _redact(value))
        return True


def logging_config(
    level: str = "INFO", stream: str = "ext://sys.stderr", filename: str | None = None
) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the service and uvicorn: JSON lines
    on `stream`, or appended to `filename` when given."""
    handler: dict[str, Any] = {"formatter": "json", "filters": ["redact_cpr"]}
    if filename is None:
        handler |= {"class": "logging.StreamHandler", "stream": stream}
    else:
        handler |= {"class": "logging.FileHandler", "filename": filename, "encoding": "utf-8"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact_cpr": {"()": RedactCpr}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "timestamp": False,
            }
        },
        "handlers": {"json": handler},
        "root": {"level": level, "handlers": ["json"]},
        "loggers": {
            # uvicorn installs its own handlers; send everything through ours.
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": level, "handlers": [], "propagate": True},
        },
    }
