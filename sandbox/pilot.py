"""The pilot's organisations, read from the directory file
sandbox/organisations.yaml: 5 municipalities, Region Nordjylland's child and
adolescent psychiatry (BUP) and the 15 GP clinics named in the seed.

SOR codes and unit ids there are synthetic; the names are public organisations."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DIRECTORY_FILE = Path(__file__).resolve().parent / "organisations.yaml"


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    type: str  # municipality | gp_clinic | region_psychiatry
    municipality_code: str | None = None
    part_of: tuple[str, ...] = ()
    sor_id: str | None = None
    phone: str = ""
    secure_mail: str = ""
    units: tuple[str, ...] = field(default=())


def _organisation(entry: dict[str, Any]) -> Organisation:
    return Organisation(
        id=str(entry["id"]),
        name=str(entry["name"]),
        type=str(entry["type"]),
        municipality_code=(
            str(entry["municipality_code"]) if entry.get("municipality_code") else None
        ),
        part_of=tuple(str(p) for p in entry.get("part_of", ())),
        sor_id=str(entry["sor_id"]) if entry.get("sor_id") else None,
        phone=str(entry.get("phone", "")),
        secure_mail=str(entry.get("secure_mail", "")),
        units=tuple(str(u) for u in entry.get("units", ())),
    )


def load_directory(path: Path = DIRECTORY_FILE) -> dict[str, Organisation]:
    """Every organisation in a directory file by id, in the file's order."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = document.get("organisations") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list under `organisations`")
    found: dict[str, Organisation] = {}
    for entry in entries:
        org = _organisation(entry)
        if org.id in found:
            raise ValueError(f"{path}: organisation {org.id} is listed twice")
        found[org.id] = org
    return found


@lru_cache(maxsize=1)
def _directory() -> dict[str, Organisation]:
    return load_directory()


def organisations() -> dict[str, Organisation]:
    """Every pilot organisation by id, units included (a fresh dict each call)."""
    return dict(_directory())


BUP_ID = "bup-rn"

MUNICIPALITIES: dict[str, str] = {
    o.id: o.name for o in _directory().values() if o.type == "municipality" and not o.part_of
}

BUP_DEPARTMENTS: dict[str, str] = {
    o.id: o.name for o in _directory().values() if o.part_of == (BUP_ID,)
}

GP_CLINICS: dict[str, tuple[str, ...]] = {
    code: tuple(
        o.name
        for o in _directory().values()
        if o.type == "gp_clinic" and o.municipality_code == code
    )
    for code in MUNICIPALITIES
}


def gp_clinics_in(code: str) -> list[str]:
    return [
        o.id for o in _directory().values() if o.type == "gp_clinic" and o.municipality_code == code
    ]
