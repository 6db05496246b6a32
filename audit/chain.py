"""Canonical JSON, the hash chain and signatures.

A record's hash is SHA-256 over a fixed prefix, its position, the previous
record's hash and its canonical JSON:

    sha256(b"hoi-audit/1\n" + seq + b"\n" + prev_hash + b"\n" + canonical_json)

Canonical JSON is RFC 8785 (JCS) for the values records hold: objects with
ASCII keys sorted, no whitespace, UTF-8, and no floating-point numbers (durations
are whole microseconds). For that domain orjson with sorted keys produces exactly
the JCS bytes, several times faster than the standard library's encoder and far
faster than a pure-Python JCS encoder; a property test checks the equality
against the `rfc8785` reference package on generated values (tests/audit/test_chain.py).

The chain head and retention checkpoints are signed with HMAC-SHA256 under a
key from settings, so truncating the chain's end or forging a checkpoint needs
the key, not just write access to the database.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

GENESIS_HASH = "0" * 64
_PREFIX = b"hoi-audit/1\n"

DEV_AUDIT_KEY = "dev-only-audit-key-do-not-use-in-production"
"""The development signing key. Production refuses to start with it."""


class CanonicalJsonError(ValueError):
    """A value outside the canonical domain (a float, a non-string key)."""


def _reject_floats(value: Any) -> None:
    if isinstance(value, float):
        raise CanonicalJsonError("audit records hold no floating-point numbers")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJsonError("object keys must be strings")
            _reject_floats(item)
    elif isinstance(value, list):
        for item in value:
            _reject_floats(item)


def canonical_json(value: Any, *, check: bool = True) -> str:
    """The RFC 8785 form of `value` (JSON types without floats)."""
    if check:
        _reject_floats(value)
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except TypeError as exc:  # orjson's JSONEncodeError: not a JSON value
        raise CanonicalJsonError(str(exc)) from exc


def link_hash(seq: int, prev_hash: str, body: str) -> str:
    digest = hashlib.sha256(_PREFIX)
    digest.update(str(seq).encode())
    digest.update(b"\n")
    digest.update(prev_hash.encode())
    digest.update(b"\n")
    digest.update(body.encode("utf-8"))
    return digest.hexdigest()


class Signer:
    """HMAC-SHA256 signatures over chain heads and checkpoints."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("the audit signing key is empty")
        self._key = key.encode("utf-8")
        self.key_id = hashlib.sha256(b"hoi-audit-key-id\n" + self._key).hexdigest()[:16]

    def sign(self, message: str) -> str:
        return hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def valid(self, message: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(message), signature)


def head_message(seq: int, hash_: str) -> str:
    return f"hoi-audit-head/1\n{seq}\n{hash_}"


def checkpoint_message(through_seq: int, through_hash: str, purged_total: int, cutoff: str) -> str:
    return f"hoi-audit-checkpoint/1\n{through_seq}\n{through_hash}\n{purged_total}\n{cutoff}"
