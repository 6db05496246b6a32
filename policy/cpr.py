"""Danish CPR numbers: shape and date checks.

Only the format is checked here (10 digits, a real date, the century from the
7th digit). Replacement numbers (erstatningspersonnumre) add 60 to the day;
they are accepted, and the synthetic data uses them so that no generated number
can be an ordinary person's CPR number.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

_CPR = re.compile(r"[0-9]{10}")
"""Ten ASCII digits, matched with fullmatch: `\\d` would take any Unicode digit
(Arabic-Indic, fullwidth) and `$` a final newline."""


class CprError(ValueError):
    """A CPR number that is malformed or names an impossible date."""


def _century(year2: int, digit7: int) -> int:
    if digit7 <= 3:
        return 1900
    if digit7 in (4, 9):
        return 2000 if year2 <= 36 else 1900
    # 5-8
    return 2000 if year2 <= 57 else 1800


def birth_date(cpr: str) -> date:
    """The birth date a CPR number encodes; raises CprError if there is none."""
    if not _CPR.fullmatch(cpr):
        raise CprError("a CPR number is exactly 10 digits")
    day, month, year2, digit7 = int(cpr[0:2]), int(cpr[2:4]), int(cpr[4:6]), int(cpr[6])
    if day > 60:
        day -= 60
    try:
        return date(_century(year2, digit7) + year2, month, day)
    except ValueError as exc:
        raise CprError("the CPR number does not encode a real date") from exc


def validate_cpr(value: str) -> str:
    birth_date(value)
    return value


def mask(cpr: str) -> str:
    """A form safe to show in logs and messages: the birth date part only."""
    return f"{cpr[:6]}-xxxx"


Cpr = Annotated[
    str,
    AfterValidator(validate_cpr),
    WithJsonSchema(
        {"type": "string", "pattern": "^[0-9]{10}$", "description": "A CPR number (10 digits)"}
    ),
]


def age_on(born: date, on: date) -> int:
    """Whole years between born and on."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


IDENTIFIER_SYSTEM = "urn:oid:1.2.208.176.1.2"
"""The identifier system of the Danish CPR number (the OID of the CPR register),
as FHIR `Identifier.system` and search tokens (`system|value`) name it."""
