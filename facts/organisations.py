"""The organisation register as the information point uses it."""

from __future__ import annotations

from collections.abc import Mapping

from policy.facts import RegistryState
from sandbox.pilot import Organisation


def sub_units(organisations: Mapping[str, Organisation], organisation_id: str) -> list[str]:
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


def with_sub_units(
    state: RegistryState, organisations: Mapping[str, Organisation]
) -> RegistryState:
    """Fill in the sub-units of blocks that include them (the policy cannot look them up)."""
    for block in state.blocks:
        if block.target.include_sub_units and block.target.id:
            block.target.sub_units = sub_units(organisations, block.target.id)
    return state
