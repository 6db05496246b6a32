"""The organisation directory is a readable file, and the pilot reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.pilot import (
    BUP_DEPARTMENTS,
    GP_CLINICS,
    MUNICIPALITIES,
    gp_clinics_in,
    load_directory,
    organisations,
)


def test_the_directory_names_the_pilot() -> None:
    orgs = organisations()
    assert len(MUNICIPALITIES) == 5
    assert sum(len(c) for c in GP_CLINICS.values()) == 15
    assert orgs["851-family"].part_of == ("851",)
    assert orgs["851"].units == ("851-family", "851-ppr")
    assert orgs["bup-rn-hjoerring"].part_of == ("bup-rn",)
    assert orgs["bup-rn-hjoerring"].sor_id == "900000000000004"
    assert set(BUP_DEPARTMENTS) == set(orgs["bup-rn"].units)
    assert "gp-laegehuset-i-hals" in gp_clinics_in("851")
    assert orgs["gp-laegehuset-i-hals"].type == "gp_clinic"


def test_every_unit_and_parent_is_in_the_directory() -> None:
    orgs = organisations()
    for org in orgs.values():
        assert all(p in orgs for p in org.part_of), org.id
        assert all(u in orgs and org.id in orgs[u].part_of for u in org.units), org.id


def test_a_directory_listing_an_organisation_twice_is_refused(tmp_path: Path) -> None:
    twice = tmp_path / "orgs.yaml"
    entry = "  - {id: x, name: X, type: gp_clinic}\n"
    twice.write_text("organisations:\n" + entry + entry, encoding="utf-8")
    with pytest.raises(ValueError, match="listed twice"):
        load_directory(twice)
