"""The organisation register file: GLN location numbers and KLE task areas are
checked when the file is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from facts.organisations import load_organisations
from handbook.scenarios import SCENARIO_ORGANISATIONS
from policy.gln import valid_gln


def _write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "organisations.yaml"
    path.write_text(
        f"organisations:\n- id: x\n  name: X\n  type: municipality\n{extra}", encoding="utf-8"
    )
    return path


def test_gln_check_digit() -> None:
    assert valid_gln("0218510000018")
    assert not valid_gln("0218510000015")  # wrong check digit
    assert not valid_gln("021851000001")  # 12 digits
    assert not valid_gln("02185100000180")  # 14 digits
    assert not valid_gln("021851000001a")


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ("  gln: '0218510000015'\n", "is not a GLN"),
        ("  gln: '12345'\n", "is not a GLN"),
        ("  kle: ['27.24', 'family']\n", "'family' is not a KLE code"),
        ("  kle: ['27.2']\n", "is not a KLE code"),
    ],
)
def test_a_register_with_a_bad_gln_or_kle_code_is_refused(
    tmp_path: Path, extra: str, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        load_organisations(_write(tmp_path, extra))


def test_a_register_entry_carries_its_gln_and_kle(tmp_path: Path) -> None:
    orgs = load_organisations(_write(tmp_path, "  gln: '0218510000018'\n  kle: ['27.24']\n"))
    assert orgs["x"].gln == "0218510000018"
    assert orgs["x"].kle == ("27.24",)


def test_every_pilot_organisation_is_reachable_by_medcom() -> None:
    """SOR id and GLN for every organisation, none shared; synthetic GLNs only
    (GS1 prefix 02, restricted circulation)."""
    orgs = load_organisations(SCENARIO_ORGANISATIONS)
    assert all(o.sor_id and o.gln and o.gln.startswith("02") for o in orgs.values())
    assert len({o.gln for o in orgs.values()}) == len(orgs)
    assert len({o.sor_id for o in orgs.values()}) == len(orgs)


def test_municipal_units_say_what_they_answer_for() -> None:
    orgs = load_organisations(SCENARIO_ORGANISATIONS)
    units = [o for o in orgs.values() if o.type == "municipality" and o.part_of]
    assert units and all(o.kle for o in units)
