"""The organisation register: who is part of whom, and each organisation's units.

The register is data, read from a source like SOR and FK Organisation. The
service reads it from a YAML file named in the settings
(`HOI_ORGANISATION_REGISTER`); development and the compliance scenarios use the
pilot's file. The information point uses it to fill in the sub-units a block
reaches and the organisations a requester's unit is part of; the overview uses it
to say how to write to a contact point (`facts/addressing.py`): the SOR id and the
EAN/GLN location number MedCom addresses a message with, and the KLE task areas a
municipal unit answers for.

A register file is checked when it is read: a GLN has 13 digits and a valid GS1
check digit, a KLE code looks like one (`27`, `27.24`, `27.24.03`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from policy.facts import RegistryState
from policy.gln import valid_gln


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    type: str  # municipality | gp_clinic | region_psychiatry
    municipality_code: str | None = None
    part_of: tuple[str, ...] = ()
    sor_id: str | None = None
    gln: str | None = None
    """EAN/GLN location number (13 digits, GS1 check digit): MedCom's address."""
    kle: tuple[str, ...] = ()
    """KLE task areas the unit answers for (municipal units): who is responsible for what."""
    phone: str = ""
    secure_mail: str = ""
    units: tuple[str, ...] = field(default=())


OrganisationRegister = Mapping[str, Organisation]
"""Every organisation by id."""


_KLE = re.compile(r"^[0-9]{2}(\.[0-9]{2}){0,2}$")


def _organisation(entry: dict[str, Any]) -> Organisation:
    ident = str(entry["id"])
    gln = str(entry["gln"]) if entry.get("gln") else None
    if gln is not None and not valid_gln(gln):
        raise ValueError(f"organisation {ident}: {gln!r} is not a GLN (13 digits, GS1 check digit)")
    kle = tuple(str(k) for k in entry.get("kle", ()))
    for code in kle:
        if not _KLE.match(code):
            raise ValueError(f"organisation {ident}: {code!r} is not a KLE code")
    return Organisation(
        id=ident,
        name=str(entry["name"]),
        type=str(entry["type"]),
        municipality_code=(
            str(entry["municipality_code"]) if entry.get("municipality_code") else None
        ),
        part_of=tuple(str(p) for p in entry.get("part_of", ())),
        sor_id=str(entry["sor_id"]) if entry.get("sor_id") else None,
        gln=gln,
        kle=kle,
        phone=str(entry.get("phone", "")),
        secure_mail=str(entry.get("secure_mail", "")),
        units=tuple(str(u) for u in entry.get("units", ())),
    )


def load_organisations(path: Path) -> dict[str, Organisation]:
    """Every organisation in a register file by id, in the file's order."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = document.get("organisations") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list under `organisations`")
    found: dict[str, Organisation] = {}
    for entry in entries:
        try:
            org = _organisation(entry)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc
        if org.id in found:
            raise ValueError(f"{path}: organisation {org.id} is listed twice")
        found[org.id] = org
    return found


def sub_units(organisations: OrganisationRegister, organisation_id: str) -> list[str]:
    """Every unit below the organisation in the organisation register."""
    found: list[str] = []
    pending = list(organisations[organisation_id].units) if organisation_id in organisations else []
    while pending:
        unit = pending.pop(0)
        if unit in found:
            continue
        found.append(unit)
        org = organisations.get(unit)
        pending.extend(org.units if org else ())
    return sorted(found)


def with_sub_units(state: RegistryState, organisations: OrganisationRegister) -> RegistryState:
    """Fill in the sub-units of blocks that include them (the policy cannot look them up)."""
    for block in state.blocks:
        if block.target.include_sub_units and block.target.id:
            block.target.sub_units = sub_units(organisations, block.target.id)
    return state
