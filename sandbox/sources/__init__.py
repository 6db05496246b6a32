"""Synthetic source systems, one FastAPI app per source, built from a Population,
one module per source (mirroring broker/adapters/).

Each app speaks the shape of the system it stands in for:

- `/cpr`: the CPR register with the GP registration (one person, custody, GP);
- `/fhir`: the psychiatry (BUP) EPJ's FHIR R4 endpoint (a Bundle of Appointment);
- `/sor`: psychiatry contact points in the style of SOR (units with SOR codes);
- `/fk-sag`: the municipal case index (cases with KLE code, unit, caseworker);
- `/fk-org`: municipal contact persons in the style of FK Organisation;
- `/stil`: school and daycare enrolment in the style of STIL's registers;
- `/laegevalg`: the child's GP registration (lægevalg) with the clinic's contact
  point (SOR id, phone, secure mail);
- `/brs`: relation evidence in the style of the treatment-relation service BRS
  (what one organisation itself has with the child; never disclosed);
- `/staff`: the organisations' staff register, staff lists joined with the
  national authorisation register (Autorisationsregisteret; never disclosed).

Every app counts its calls per endpoint and can be told to answer slowly or to
fail (`SourceControl`), so tests can prove which sources were called and what
happens when one is slow or down. Nothing here resembles a real person.
"""

from __future__ import annotations

from sandbox.pilot import organisations
from sandbox.population import Population
from sandbox.sources.base import CPR_SYSTEM, SOR_SYSTEM, SandboxSource, SourceControl
from sandbox.sources.cpr import cpr_source
from sandbox.sources.enrolment import enrolment_source
from sandbox.sources.fhir_appointment import fhir_source
from sandbox.sources.gp_registration import gp_registration_source
from sandbox.sources.municipal import case_index_source, organisation_source
from sandbox.sources.relations import relation_source
from sandbox.sources.sor import sor_source
from sandbox.sources.staff import staff_source

__all__ = [
    "CPR_SYSTEM",
    "SOR_SYSTEM",
    "SOURCE_BUILDERS",
    "SandboxSource",
    "SourceControl",
    "build_sources",
    "case_index_source",
    "cpr_source",
    "enrolment_source",
    "fhir_source",
    "gp_registration_source",
    "organisation_source",
    "relation_source",
    "sor_source",
    "staff_source",
]

SOURCE_BUILDERS = {
    "cpr": cpr_source,
    "fhir": fhir_source,
    "sor": sor_source,
    "fk-sag": case_index_source,
    "fk-org": organisation_source,
    "stil": enrolment_source,
    "laegevalg": gp_registration_source,
    "brs": relation_source,
    "staff": staff_source,
}


def build_sources(population: Population) -> dict[str, SandboxSource]:
    """Every sandbox source, keyed by its mount name."""
    orgs = organisations()
    return {name: build(population, orgs) for name, build in SOURCE_BUILDERS.items()}
