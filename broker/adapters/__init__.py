"""Adapters: one per kind of source system. Each speaks its system's real shape and
maps it to the catalogue's field names for one data category.

An adapter returns every record the source gave for the child, each with the
organisation it came from; it never decides what may be shown. Field filtering
and the exclusion of blocked organisations happen after it, in the broker.
"""

from __future__ import annotations

from broker.adapters.base import Adapter, FetchQuery, SourceRecord
from broker.adapters.cpr import cpr_person
from broker.adapters.enrolment import stil_enrolment
from broker.adapters.fhir_appointment import fhir_r4_appointment
from broker.adapters.gp_registration import gp_registration
from broker.adapters.municipal import fk_case_index, fk_organisation_contacts
from broker.adapters.sor import sor_contact_points

ADAPTERS: dict[str, Adapter] = {
    "fhir_r4_appointment": fhir_r4_appointment,
    "sor_contact_points": sor_contact_points,
    "fk_case_index": fk_case_index,
    "fk_organisation_contacts": fk_organisation_contacts,
    "stil_enrolment": stil_enrolment,
    "cpr_person": cpr_person,
    "gp_registration": gp_registration,
}
"""Adapter kinds a registry entry may name for a data category."""

__all__ = ["ADAPTERS", "Adapter", "FetchQuery", "SourceRecord"]
