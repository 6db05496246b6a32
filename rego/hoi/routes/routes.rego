# METADATA
# title: Legal routes to a data category
# description: >-
#   Each rule here is one legal route by which a role may see a data category
#   for a purpose, and names the provisions it rests on. A route only says what
#   the law requires (a consent of a given regime, an active relation); the
#   decision package checks those requirements against the facts.
package hoi.routes

_fields(category) := data.hoi.config.categories[category].fields

_clinicians := {"bup_psychiatrist", "bup_psychologist"}

# METADATA
# title: Municipal staff see psychiatry data with a written health-act consent
# description: >-
#   Psychiatry is health care; disclosing its data to the municipality (the
#   family department or PPR) needs the patient's consent, in writing and for at
#   most one year. PPR works under the Folkeskolelov and has no rule that lets it
#   obtain health data without consent.
# custom:
#   rule_id: SUL-43-1-CONSENT
#   legal_basis: [sul-43-1, sul-44]
route contains {
	"rule_id": "SUL-43-1-CONSENT",
	"legal_basis": ["sul-43-1", "sul-44"],
	"category": category,
	"consent_regime": "sul-43-1",
	"relation": null,
	"fields": _fields(category),
} if {
	input.subject.role in {"municipal_caseworker", "ppr_psychologist"}
	input.context.purpose in {"social_case_work", "special_education_advice", "coordination"}
	some category in {"psychiatry_appointments", "psychiatry_contacts"}
}

# METADATA
# title: The GP sees municipal and school data with consent around a consultation
# description: >-
#   The municipality discloses confidential information about the child to the
#   child's own GP when the family has consented in writing, and only while the
#   GP has a consultation booked or just held (the lookup window).
# custom:
#   rule_id: FVL-28-GP-CONSENT
#   legal_basis: [fvl-28-2-1, sul-42a-1]
route contains {
	"rule_id": "FVL-28-GP-CONSENT",
	"legal_basis": ["fvl-28-2-1", "sul-42a-1"],
	"category": category,
	"consent_regime": "fvl-28-2-1",
	"relation": "gp_consultation",
	"fields": _fields(category),
} if {
	input.subject.role == "gp"
	input.context.purpose in {"current_treatment", "treatment_preparation", "treatment_follow_up", "coordination"}
	some category in {"municipal_case_status", "municipal_contacts", "school_daycare"}
}

# METADATA
# title: Psychiatry clinicians see municipal and school data with consent during a course
# description: >-
#   The municipality discloses confidential information about the child to the
#   child's psychiatry clinicians when the family has consented in writing and
#   the child is in an active course of treatment at the clinician's unit.
# custom:
#   rule_id: FVL-28-BUP-CONSENT
#   legal_basis: [fvl-28-2-1, sul-42a-1]
route contains {
	"rule_id": "FVL-28-BUP-CONSENT",
	"legal_basis": ["fvl-28-2-1", "sul-42a-1"],
	"category": category,
	"consent_regime": "fvl-28-2-1",
	"relation": "treatment_course",
	"fields": _fields(category),
} if {
	input.subject.role in _clinicians
	input.context.purpose in {"current_treatment", "treatment_preparation", "treatment_follow_up", "coordination"}
	some category in {"municipal_case_status", "municipal_contacts", "school_daycare"}
}
