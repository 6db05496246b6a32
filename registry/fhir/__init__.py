"""FHIR R4 `Consent` import and export.

Validation uses the `fhir.resources` models (R4B, 4.3.0, whose Consent resource
is element for element R4's, 4.0.1; see README "FHIR"). Mapping:

| FHIR Consent                  | registry                                           |
|-------------------------------|----------------------------------------------------|
| status                        | only `active` is imported; export: active/inactive |
| scope                         | consentscope#patient-privacy (disclosure/lookup)   |
| category                      | LOINC 59284-0 "Patient consent"                    |
| patient.identifier            | the child's CPR number (urn:oid:1.2.208.176.1.2)    |
| dateTime                      | given_on                                           |
| performer[0].identifier       | given_by (Patient: the child; RelatedPerson: a custody holder) |
| organization[0].identifier    | custodian (the organisation that took the consent) |
| policyRule                    | regime (our consent-regime code system)            |
| extension consent-form        | form: written or oral                              |
| provision.type                | permit (a deny is an objection or a block)         |
| provision.period              | start = given_on, end = valid_until                |
| provision.actor (PRCP/IRCP)   | recipient: organisation id or organisation type    |
| provision.action              | access or disclose                                 |
| provision.purpose             | purposes                                           |
| provision.class               | data categories                                    |
| identifier                    | source_identifiers (kept and exported again)       |

Anything else is refused with a reason per element; the sender's bookkeeping
(id, meta.versionId/lastUpdated/source, a generated narrative, display texts)
is not kept and the import says so in its notes.

The import is registry/fhir/import_.py, the export registry/fhir/export.py, the
code systems and the shared validation registry/fhir/codes.py.
"""

from registry.fhir.codes import CONSENT_ID_SYSTEM, CPR_SYSTEM, FHIR_JSON, REGIME_SYSTEM
from registry.fhir.export import consent_to_fhir
from registry.fhir.import_ import consent_from_fhir

__all__ = [
    "CONSENT_ID_SYSTEM",
    "CPR_SYSTEM",
    "FHIR_JSON",
    "REGIME_SYSTEM",
    "consent_from_fhir",
    "consent_to_fhir",
]
