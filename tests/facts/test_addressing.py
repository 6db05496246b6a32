"""Addressing from the overview: a `write_to` handle resolves through the
organisation register and nowhere else; what the register does not hold, or holds
under another organisation, is refused with a clear error."""

from __future__ import annotations

import pytest

from facts.addressing import (
    UnknownRecipient,
    recipient_of,
    resolve,
    responsible_unit,
    write_to,
)
from facts.organisations import Organisation
from handbook.scenarios import scenario_organisations
from policy.errors import InvalidRequest
from policy.gln import valid_gln

REGISTER = scenario_organisations()


@pytest.mark.parametrize(
    ("handle", "says"),
    [
        ("org/999", "no organisation 999"),
        ("org/851/unit/999-family", "no unit 999-family"),
        ("org/851/unit/849-family", "849-family is not a unit of 851"),
        ("org/849/unit/851-ppr", "851-ppr is not a unit of 849"),
        ("org/bup-rn/unit/851-family", "851-family is not a unit of bup-rn"),
        ("org/851-family", "not how the register names 851-family: org/851/unit/851-family"),
        ("org/851/unit/851", "not how the register names 851: org/851"),
        ("851-family", "is not a recipient handle"),
        ("org/851/unit/", "is not a recipient handle"),
        ("org/../unit/851-family", "is not a recipient handle"),
        ("org/851/unit/851-family/person/cw-1", "is not a recipient handle"),
        ("sor:900000000000002", "is not a recipient handle"),
        ("org/" + "8" * 500, "is not a recipient handle"),
        ("", "is not a recipient handle"),
    ],
)
def test_a_handle_the_register_cannot_resolve_is_refused(handle: str, says: str) -> None:
    with pytest.raises(UnknownRecipient, match=says) as caught:
        resolve(REGISTER, handle)
    assert caught.value.field == "write_to"
    assert isinstance(caught.value, InvalidRequest)  # a 422 at the API boundary


def test_an_organisation_without_sor_and_gln_is_not_a_recipient() -> None:
    register = dict(REGISTER)
    register["851-family"] = Organisation(
        id="851-family", name="Uden adresse", type="municipality", part_of=("851",)
    )
    assert recipient_of(register, "851-family") is None
    with pytest.raises(UnknownRecipient, match="MedCom cannot reach it"):
        resolve(register, "org/851/unit/851-family")


def test_a_unit_resolves_to_the_register_entry_with_sor_gln_and_kle() -> None:
    recipient = resolve(REGISTER, "org/851/unit/851-family")
    assert recipient.as_record() == {
        "write_to": "org/851/unit/851-family",
        "name": "Aalborg Kommune, Børne- og familieafdelingen",
        "sor_id": REGISTER["851-family"].sor_id,
        "gln": REGISTER["851-family"].gln,
        "kle": ["27.12", "27.18", "27.24"],
    }


def test_every_pilot_organisation_has_a_handle_that_resolves_to_itself() -> None:
    for ident, org in REGISTER.items():
        handle = write_to(REGISTER, ident)
        assert handle is not None
        recipient = resolve(REGISTER, handle)
        assert recipient.organisation == org
        assert recipient.gln == org.gln and valid_gln(recipient.gln)


def test_handles_of_units_and_of_organisations() -> None:
    assert write_to(REGISTER, "851") == "org/851"
    assert write_to(REGISTER, "851-ppr") == "org/851/unit/851-ppr"
    assert write_to(REGISTER, "bup-rn-thisted") == "org/bup-rn/unit/bup-rn-thisted"
    assert write_to(REGISTER, "gp-laegerne-i-nibe") == "org/gp-laegerne-i-nibe"
    assert write_to(REGISTER, "institution-851123") is None


def test_a_unit_outside_the_register_gets_no_address_not_its_main_mailbox() -> None:
    assert recipient_of(REGISTER, "851-unknown-unit") is None
    assert recipient_of(REGISTER, "") is None


def test_who_is_responsible_for_what_in_a_municipality() -> None:
    family = responsible_unit(REGISTER, "851", "27.24.03")
    ppr = responsible_unit(REGISTER, "851", "17.13")
    assert family is not None and family.write_to == "org/851/unit/851-family"
    assert ppr is not None and ppr.write_to == "org/851/unit/851-ppr"
    assert responsible_unit(REGISTER, "851", "32.01") is None
    assert responsible_unit(REGISTER, "999", "27.24") is None
