"""The pilot's organisations, read from the organisation register file the
compliance scenarios' worlds share (scenarios/world/organisations.yaml), which is
also the development service's register: 5 municipalities, Region Nordjylland's child and
adolescent psychiatry (BUP) and the 15 GP clinics named in the seed.

SOR codes and unit ids there are synthetic; the names are public organisations."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from facts.organisations import Organisation, load_organisations
from policy.paths import SCENARIO_WORLD_DIR

DIRECTORY_FILE = SCENARIO_WORLD_DIR / "organisations.yaml"
"""The development organisation register (HOI_ORGANISATION_REGISTER names production's)."""


def load_directory(path: Path = DIRECTORY_FILE) -> dict[str, Organisation]:
    """Every organisation in a directory file by id, in the file's order."""
    return load_organisations(path)


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
