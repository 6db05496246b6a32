"""The pilot's organisations: 5 municipalities, Region Nordjylland's child and
adolescent psychiatry (BUP) and the 15 GP clinics named in the seed.

SOR codes and unit ids here are synthetic; the names are public organisations."""

from __future__ import annotations

from dataclasses import dataclass, field


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


MUNICIPALITIES: dict[str, str] = {
    "810": "Brønderslev Kommune",
    "849": "Jammerbugt Kommune",
    "787": "Thisted Kommune",
    "851": "Aalborg Kommune",
    "840": "Rebild Kommune",
}

GP_CLINICS: dict[str, tuple[str, ...]] = {
    "810": ("Lægerne Torvet", "Lægerne i Hjallerup"),
    "849": ("Lægerne i Pandrup", "Familielægerne Jetsmark", "Lægerne Søparken"),
    "787": ("Behandlerhuset Dokken", "Lægerne Ferjani og Rasmussen", "Toldbodlægerne"),
    "851": (
        "Lægeklinikken Sulsted",
        "Gistrup Lægeklinik",
        "Lægerne i Nibe",
        "Lægecenter Storvorde",
        "Lægehuset i Hals",
    ),
    "840": ("Lægeklinikken Rebild Syd", "Lægehuset i Skørping"),
}

BUP_ID = "bup-rn"
BUP_DEPARTMENTS: dict[str, str] = {
    "bup-rn-aalborg-amb": "BUP Aalborg, ambulatorium",
    "bup-rn-aalborg-sengeafsnit": "BUP Aalborg, sengeafsnit",
    "bup-rn-hjoerring": "BUP Hjørring, ambulatorium",
    "bup-rn-thisted": "BUP Thisted, udgående team",
}

_TRANSLATE = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", " ": "-"})


def slug(name: str) -> str:
    return name.lower().translate(_TRANSLATE)


def organisations() -> dict[str, Organisation]:
    """Every pilot organisation by id, units included."""
    orgs: dict[str, Organisation] = {}
    for code, name in MUNICIPALITIES.items():
        units = (f"{code}-family", f"{code}-ppr")
        orgs[code] = Organisation(
            id=code,
            name=name,
            type="municipality",
            municipality_code=code,
            units=units,
            phone=f"+45 99 {code[:2]} {code[2:]}0 00",
            secure_mail=f"post@{code}.kommune.example",
        )
        orgs[units[0]] = Organisation(
            id=units[0],
            name=f"{name}, Børne- og familieafdelingen",
            type="municipality",
            municipality_code=code,
            part_of=(code,),
            phone=f"+45 99 {code[:2]} {code[2:]}1 00",
            secure_mail=f"familie@{code}.kommune.example",
        )
        orgs[units[1]] = Organisation(
            id=units[1],
            name=f"{name}, PPR",
            type="municipality",
            municipality_code=code,
            part_of=(code,),
            phone=f"+45 99 {code[:2]} {code[2:]}2 00",
            secure_mail=f"ppr@{code}.kommune.example",
        )
    orgs[BUP_ID] = Organisation(
        id=BUP_ID,
        name="Region Nordjylland, Børne- og Ungdomspsykiatrien",
        type="region_psychiatry",
        units=tuple(BUP_DEPARTMENTS),
        sor_id="900000000000001",
        phone="+45 97 00 00 00",
        secure_mail="bup@rn.region.example",
    )
    for n, (dept, name) in enumerate(BUP_DEPARTMENTS.items(), start=2):
        orgs[dept] = Organisation(
            id=dept,
            name=name,
            type="region_psychiatry",
            part_of=(BUP_ID,),
            sor_id=f"9000000000000{n:02d}",
            phone=f"+45 97 00 0{n} 00",
            secure_mail=f"{dept}@rn.region.example",
        )
    for code, clinics in GP_CLINICS.items():
        for n, name in enumerate(clinics, start=1):
            cid = f"gp-{slug(name)}"
            orgs[cid] = Organisation(
                id=cid,
                name=name,
                type="gp_clinic",
                municipality_code=code,
                sor_id=f"8{code}000000{n:03d}",
                phone=f"+45 98 {code[:2]} {code[2:]}{n} 00",
                secure_mail=f"{cid}@praksis.example",
            )
    return orgs


def gp_clinics_in(code: str) -> list[str]:
    return [f"gp-{slug(name)}" for name in GP_CLINICS[code]]
