"""GS1 Global Location Numbers (EAN/GLN location numbers), MedCom's addresses."""

from __future__ import annotations

import re

_GLN = re.compile(r"^[0-9]{13}$")


def valid_gln(gln: str) -> bool:
    """13 digits with a valid GS1 check digit (weights 3 and 1 from the right,
    excluding the check digit)."""
    if not _GLN.match(gln):
        return False
    digits = [int(c) for c in gln]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check
