# METADATA
# title: Legal routes to a data category
# description: >-
#   Each `route` rule is one legal route by which a role may see a data
#   category for a purpose, and names the provisions it rests on. A route only
#   says what the law requires (a consent of a given regime, an active
#   relation); the decision package checks those requirements against the
#   facts. Each `denial` rule refuses a kind of lookup outright, and each
#   `alternative` rule explains, on a deny, which other legal path exists.
#   Each rule's words (its legal basis, its messages) are its METADATA; the
#   words every route shares are below.
# custom:
#   route_messages:
#     permitted: >-
#       Permitted: every requirement of this legal route is met.
#     consent_expired: >-
#       A {regime} consent has lapsed; a new one is needed.
#     consent_recipient_not_named: >-
#       A consent names its recipient only as a kind of organisation; it does
#       not count. A consent must name the unit or organisation that may see
#       the data.
#     missing_consent.young_person: >-
#       A valid {regime} consent from the young person is needed.
#     missing_consent.custody_holders: >-
#       A valid {regime} consent from the custody holders is needed (rule: {rule}).
#     no_relation: >-
#       The requester has no active relation to the child ({relation} needed).
package hoi.routes

_categories := data.hoi.config.categories

_clinicians := data.hoi.staff.clinician_roles

_bup_staff := {"bup_psychiatrist", "bup_psychologist", "bup_social_worker"}

_municipal := {"municipal_caseworker", "ppr_psychologist"}

# Roles held by authorised health personnel; a social worker or secretary is not one.
_lookup_roles := {"gp", "bup_psychiatrist", "bup_psychologist"}

_psychiatry := {"psychiatry_appointments", "psychiatry_contacts"}

_municipal_data := {"municipal_case_status", "municipal_contacts", "school_daycare"}

_treatment := {"current_treatment", "treatment_preparation", "treatment_follow_up"}

_purpose := object.get(input.context, "purpose", "")

# The clinician the request names, as named; believed only once confirmed (hoi.staff).
_acting_for := object.get(input.subject, "acting_for", null)

# A medical secretary acting for a clinician of the same organisation, as the
# login's on-behalf claim or the staff register confirms.
_secretary_for_clinician if {
	input.subject.role == "bup_medical_secretary"
	data.hoi.staff.acting_for.role in _clinicians
}

# The role whose routes apply: a medical secretary acts on the clinician's.
_effective_role := data.hoi.staff.acting_for.role if {
	_secretary_for_clinician
} else := input.subject.role

_role := data.hoi.config.roles[_effective_role]

_purpose_of_role if _purpose in _role.purposes

# Health personnel in the Health Act's sense: a GP or psychiatry clinician whose
# health-professional authorisation the staff register confirms, or a secretary
# acting for such a clinician. Municipal roles never are, whatever the request claims.
_health_professional if {
	input.subject.role != "bup_medical_secretary"
	_effective_role in _lookup_roles
	_role.sector == "health"
	data.hoi.staff.health_professional
}

_health_professional if {
	_secretary_for_clinician
	_role.sector == "health"
	data.hoi.staff.acting_for.health_professional == true
}

# Psychiatry staff act on the clinicians' responsibility (as for the unit's own
# contact points); a GP is one only with a confirmed authorisation.
_in_current_treatment_staff if _effective_role in _bup_staff

_in_current_treatment_staff if {
	_effective_role == "gp"
	_health_professional
}

# METADATA
# title: Municipal staff see psychiatry data with a written health-act consent
# description: >-
#   Psychiatry is health care; disclosing its data to the municipality (the
#   family department for social case work, PPR for special-education advice,
#   both for coordination) needs the patient's consent, in writing and for at
#   most one year. PPR works under the Folkeskolelov and has no rule that lets
#   it obtain health data without consent. The consent names the unit (or its
#   municipality), and the unit must have an open case on the child in the
#   municipality responsible for the child.
# custom:
#   rule_id: SUL-43-1-CONSENT
#   legal_basis: [sul-43-1, sul-44]
route contains {
	"rule_id": "SUL-43-1-CONSENT",
	"category": category,
	"consent_regime": "sul-43-1",
	"relation": "municipal_case",
	"fields": fields,
} if {
	_effective_role in _municipal
	_purpose_of_role
	some category in _psychiatry
	fields := _categories[category].fields
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
	"category": category,
	"consent_regime": "fvl-28-2-1",
	"relation": "gp_consultation",
	"fields": fields,
} if {
	_effective_role == "gp"
	_purpose_of_role
	some category in _municipal_data
	fields := _categories[category].fields
}

# METADATA
# title: Psychiatry staff see municipal and school data with consent during a course
# description: >-
#   The municipality discloses confidential information about the child to the
#   staff of child and adolescent psychiatry (clinicians and the department's
#   social worker) when the family has consented in writing and the child is
#   in an active course of treatment at their unit.
# custom:
#   rule_id: FVL-28-BUP-CONSENT
#   legal_basis: [fvl-28-2-1, sul-42a-1]
route contains {
	"rule_id": "FVL-28-BUP-CONSENT",
	"category": category,
	"consent_regime": "fvl-28-2-1",
	"relation": "treatment_course",
	"fields": fields,
} if {
	_effective_role in _bup_staff
	_purpose_of_role
	some category in _municipal_data
	fields := _categories[category].fields
}

# METADATA
# title: The GP looks up psychiatry data for a current treatment
# description: >-
#   A GP (a health professional) may look up the child's psychiatry
#   appointments and contact points without consent, only as far as needed and
#   only for a current treatment: from preparing a booked consultation to
#   following it up, within the lookup window. The patient may object, and a
#   block stops it. Not for coordination or a report of concern.
# custom:
#   rule_id: SUL-42A-1-GP-LOOKUP
#   legal_basis: [sul-42a-1]
route contains {
	"rule_id": "SUL-42A-1-GP-LOOKUP",
	"category": category,
	"consent_regime": null,
	"relation": "gp_consultation",
	"fields": fields,
} if {
	_effective_role == "gp"
	_health_professional
	_purpose in _treatment
	some category in _psychiatry
	fields := _categories[category].fields
}

# METADATA
# title: A psychiatry clinician looks up the child's appointments during a course
# description: >-
#   A psychiatrist or psychologist in child and adolescent psychiatry (or a
#   medical secretary acting for one) may look up the child's psychiatry
#   appointments without consent while the child is in an active course at
#   their unit, for that treatment. The patient may object, and a block stops it.
# custom:
#   rule_id: SUL-42A-1-BUP-LOOKUP
#   legal_basis: [sul-42a-1]
route contains {
	"rule_id": "SUL-42A-1-BUP-LOOKUP",
	"category": "psychiatry_appointments",
	"consent_regime": null,
	"relation": "treatment_course",
	"fields": _categories.psychiatry_appointments.fields,
} if {
	_effective_role in _clinicians
	_health_professional
	_purpose in _treatment
}

# METADATA
# title: A health professional looks up psychiatry data with the patient's consent
# description: >-
#   With the patient's consent to lookup (oral or written, at most a year), a
#   GP or psychiatry clinician may look up psychiatry appointments and contact
#   points for the patient's treatment without the relation a lookup without
#   consent needs, for example a clinician at another department giving a
#   second opinion.
# custom:
#   rule_id: SUL-42A-3-CONSENT
#   legal_basis: [sul-42a-3]
route contains {
	"rule_id": "SUL-42A-3-CONSENT",
	"category": category,
	"consent_regime": "sul-42a-3",
	"relation": null,
	"fields": fields,
} if {
	_effective_role in ({"gp"} | _clinicians)
	_health_professional
	_purpose in _treatment
	some category in _psychiatry
	fields := _categories[category].fields
}

# METADATA
# title: Psychiatry staff see the contact points of the child's own course
# description: >-
#   Staff taking part in the child's course at a psychiatry unit (clinicians,
#   the unit's social worker, a secretary acting for a clinician) see the
#   contact points of that unit without consent, because the current treatment
#   needs them and they act on the clinicians' responsibility.
# custom:
#   rule_id: BUP-OWN-CONTACT-POINTS
#   legal_basis: [sul-41-2-1, sul-6]
route contains {
	"rule_id": "BUP-OWN-CONTACT-POINTS",
	"category": "psychiatry_contacts",
	"consent_regime": null,
	"relation": "treatment_course",
	"fields": _categories.psychiatry_contacts.fields,
} if {
	_effective_role in _bup_staff
	_purpose_of_role
}

# METADATA
# title: Municipal staff see the child's GP clinic with a written consent and a case
# description: >-
#   Which GP clinic a child is registered with (the GP registration in the CPR
#   register) is confidential information about the child. The family
#   department (or PPR) sees the clinic's contact point, so as to know whom to
#   write to, when the family has consented in writing that the unit may have
#   it, and the unit has an open case on the child in the municipality
#   responsible for the child. Our reading; a lawyer must confirm it.
# custom:
#   rule_id: FVL-28-GP-CLINIC-CONSENT
#   legal_basis: [fvl-28-2-1, gdpr-6-1-e]
route contains {
	"rule_id": "FVL-28-GP-CLINIC-CONSENT",
	"category": "gp_clinic",
	"consent_regime": "fvl-28-2-1",
	"relation": "municipal_case",
	"fields": _categories.gp_clinic.fields,
} if {
	_effective_role in _municipal
	_purpose_of_role
}

# METADATA
# title: Health staff in the child's current treatment see the child's GP clinic
# description: >-
#   Staff taking part in the child's current treatment (a psychiatry unit with
#   an active course: its clinicians, its social worker, a secretary acting for
#   a clinician; a GP with the child in a consultation) see the contact point
#   of the child's own GP clinic without consent, because the treatment needs
#   it (discharge letters and coordination go to the child's GP). A GP must be
#   a health professional the staff register confirms. The family may object,
#   and a block stops it. Our reading; a lawyer must confirm it.
# custom:
#   rule_id: SUL-41-2-GP-CLINIC
#   legal_basis: [sul-41-2-1, sul-6]
route contains {
	"rule_id": "SUL-41-2-GP-CLINIC",
	"category": "gp_clinic",
	"consent_regime": null,
	"relation": _role.relation,
	"fields": _categories.gp_clinic.fields,
} if {
	_in_current_treatment_staff
	_purpose_of_role
}

# METADATA
# title: The child's name and age for a young person who decides alone
# description: >-
#   Anyone with an active relation to the child (an open case, an active
#   course, a consultation in the window) may confirm who the child is. From 15
#   the young person decides alone, so the custody holders are not needed and
#   not shown: only name and age.
# custom:
#   rule_id: CHILD-IDENTITY-MINIMAL
#   legal_basis: [gdpr-6-1-e, dbl-11-1, sul-17-1]
route contains {
	"rule_id": "CHILD-IDENTITY-MINIMAL",
	"category": "child_identity",
	"consent_regime": null,
	"relation": _role.relation,
	"fields": ["name", "age"],
} if {
	_purpose_of_role
	is_string(_role.relation)
	data.hoi.consent.child_decides
}

# METADATA
# title: The child's identity with the custody holders for a child under 15
# description: >-
#   Anyone with an active relation to the child may confirm who the child is.
#   Under 15 the custody holders decide for the child, so whoever must ask for
#   their consent also sees who they are; nothing else from the CPR register.
# custom:
#   rule_id: CHILD-IDENTITY-WITH-CUSTODY
#   legal_basis: [gdpr-6-1-e, dbl-11-1, sul-14, fal-2]
route contains {
	"rule_id": "CHILD-IDENTITY-WITH-CUSTODY",
	"category": "child_identity",
	"consent_regime": null,
	"relation": _role.relation,
	"fields": ["name", "age", "custody_holders"],
} if {
	_purpose_of_role
	is_string(_role.relation)
	data.hoi.consent.custody_holders_decide
}

# METADATA
# title: A lookup to write a report of concern is refused
# description: >-
#   Looking a child up in order to write a report of concern is not a current
#   treatment (Disciplinærnævnet 22DNU61), and no other lookup route covers it.
#   The report is made to the municipality with what the reporter already
#   knows; the municipality then investigates.
# custom:
#   rule_id: SUL-42A-NOT-FOR-REPORT
#   legal_basis: [sul-42a-1, bl-133]
#   messages:
#     not_current_treatment: >-
#       A lookup made to write a report of concern is not a current treatment.
#       Report the concern to the child's municipality with what you already
#       know; the municipality investigates.
denial contains data.hoi.reason.with_fields(
	"SUL-42A-NOT-FOR-REPORT",
	"not_current_treatment",
	{},
	{"category": category},
) if {
	_purpose == "report_of_concern"
	some category in input.resource.categories
}

# METADATA
# title: A medical secretary looks up only on behalf of a named clinician
# description: >-
#   A medical secretary is not a health professional; the secretary acts on a
#   clinician's responsibility. A lookup must name the psychiatrist or
#   psychologist it is made for (in the request, or her login names them), and
#   then follows that clinician's routes; the decision records on whose behalf
#   it was made. A secretary can never override a block.
# custom:
#   rule_id: SECRETARY-ON-BEHALF
#   legal_basis: [sul-6, sul-42a-1]
#   messages:
#     acting_for_required: >-
#       A medical secretary looks up only on behalf of a psychiatrist or
#       psychologist: name the clinician in subject.acting_for.
#     on_behalf: >-
#       Looked up by a medical secretary on behalf of {id} ({role}), as
#       {confirmed_by} confirms.
denial contains data.hoi.reason.with_fields(
	"SECRETARY-ON-BEHALF",
	"acting_for_required",
	{},
	{"category": category},
) if {
	input.subject.role == "bup_medical_secretary"
	not is_object(_acting_for)
	some category in input.resource.categories
}

# METADATA
# title: A secretary acts only for a clinician the login or the staff register confirms
# description: >-
#   Naming a clinician is not enough. A medical secretary's lookup follows a
#   clinician's routes only when her login's on-behalf claim (from the identity
#   provider) names the clinician, or when the organisation's staff register
#   shows a psychiatrist or psychologist by that id and role in the
#   secretary's own organisation with a valid health-professional
#   authorisation. A made-up clinician, one of another organisation, or
#   someone who is not an authorised clinician is refused.
# custom:
#   rule_id: ACTING-FOR-VERIFIED
#   legal_basis: [sul-6, sul-42a-1]
#   messages:
#     acting_for_unverified: >-
#       The clinician named in subject.acting_for ({id}) could not be confirmed:
#       neither the login's on-behalf claim nor the staff register shows an
#       authorised psychiatrist or psychologist of this organisation by that id
#       and role.
denial contains data.hoi.reason.with_fields(
	"ACTING-FOR-VERIFIED",
	"acting_for_unverified",
	{"{id}": sprintf("%v", [object.get(_acting_for, "id", "")])},
	{"category": category},
) if {
	input.subject.role == "bup_medical_secretary"
	is_object(_acting_for)
	not _secretary_for_clinician
	some category in input.resource.categories
}

# METADATA
# title: Only a medical secretary may act on someone else's behalf
# description: >-
#   Acting on another person's behalf is how a medical secretary works for a
#   clinician. Any other role that names someone to act for is refused, so
#   that no one can borrow a clinician's routes.
# custom:
#   rule_id: ON-BEHALF-SECRETARY-ONLY
#   legal_basis: [sul-6, sul-40-1]
#   messages:
#     acting_for_not_allowed: >-
#       The role {role} cannot act on someone else's behalf.
denial contains data.hoi.reason.with_fields(
	"ON-BEHALF-SECRETARY-ONLY",
	"acting_for_not_allowed",
	{"{role}": input.subject.role},
	{"category": category},
) if {
	input.subject.role != "bup_medical_secretary"
	is_object(_acting_for)
	some category in input.resource.categories
}

# METADATA
# title: In a child-welfare investigation, ask psychiatry rather than look up
# description: >-
#   Without consent, the family department may in a child case under Barnets
#   lov ask child psychiatry for information (Retssikkerhedsloven § 11 c); the
#   health professional holding it decides whether to disclose (Sundhedsloven
#   § 43, stk. 2, nr. 1 and stk. 3). That is a request to psychiatry, not a
#   self-service lookup; here only a written § 43 consent opens the data.
# custom:
#   rule_id: RSL-11C-ASK-THE-HOLDER
#   legal_basis: [rsl-11c, bl-18-27, sul-43-2-1, sul-43-3]
#   messages:
#     request_from_holder: >-
#       Without consent, in a child-welfare investigation the family department
#       may ask child psychiatry for this information ({rsl-11c}); the health
#       professional holding it decides whether to disclose. That is a request,
#       not a lookup. A written consent under {sul-43-1} would let you look it
#       up here.
alternative contains data.hoi.reason.with_fields(
	"RSL-11C-ASK-THE-HOLDER",
	"request_from_holder",
	{},
	{"category": category},
) if {
	_effective_role == "municipal_caseworker"
	_purpose == "social_case_work"
	some category in _psychiatry
}

# METADATA
# title: PPR has no route to psychiatry data without consent
# description: >-
#   PPR advises on special education under the Folkeskolelov and is not a
#   social authority under Retssikkerhedsloven, so it cannot obtain health data
#   without consent as the family department can in a child case. Only a
#   written Sundhedsloven § 43 consent opens psychiatry data to PPR.
# custom:
#   rule_id: PPR-NOT-UNDER-RSL
#   legal_basis: [fsl-12-2, rsl-11c]
#   messages:
#     consent_only_route: >-
#       PPR advises under {fsl-12-2}, not as a social authority under {rsl-11c},
#       and cannot obtain psychiatry data without consent. A written consent
#       under {sul-43-1} from the custody holders (or the young person from 15)
#       is the only route.
alternative contains data.hoi.reason.with_fields(
	"PPR-NOT-UNDER-RSL",
	"consent_only_route",
	{},
	{"category": category},
) if {
	_effective_role == "ppr_psychologist"
	some category in _psychiatry
}

# METADATA
# title: Lookups without consent are only for health professionals
# description: >-
#   Electronic lookup of psychiatry data for a current treatment (Sundhedsloven
#   § 42 a) is open only to health personnel treating the child. Municipal
#   staff, PPR psychologists included, and psychiatry staff who are not health
#   professionals cannot use it, whatever their login claims.
# custom:
#   rule_id: SUL-42A-HEALTH-PROFESSIONALS-ONLY
#   legal_basis: [sul-42a-1, sul-6]
#   messages:
#     health_professional_required: >-
#       Looking up psychiatry data without consent is only for health
#       professionals treating the child ({sul-42a-1}); this requester is not
#       one.
alternative contains data.hoi.reason.with_fields(
	"SUL-42A-HEALTH-PROFESSIONALS-ONLY",
	"health_professional_required",
	{},
	{"category": category},
) if {
	not _health_professional
	some category in _psychiatry
}

# METADATA
# title: A login's health-professional claim counts only with a registered authorisation
# description: >-
#   A GP, psychiatrist or psychologist whose login says "health professional"
#   is one only when the staff register shows them at the organisation they
#   act for with a valid authorisation from the national authorisation
#   register. Without it (unknown to the staff list, or the authorisation
#   suspended or revoked) they are decided as not a health professional, and
#   the answer says why.
# custom:
#   rule_id: HEALTH-PROFESSIONAL-REGISTERED
#   legal_basis: [sul-6, sul-42a-1]
#   messages:
#     health_professional_unverified: >-
#       The login says health professional, but the staff register shows no
#       valid health-professional authorisation for this person at this
#       organisation.
alternative contains data.hoi.reason.with_fields(
	"HEALTH-PROFESSIONAL-REGISTERED",
	"health_professional_unverified",
	{},
	{"category": category},
) if {
	data.hoi.staff.health_professional_unconfirmed
	input.subject.role in _lookup_roles
	some category in (_psychiatry | {"gp_clinic"})
}

# Reasons added to a permit: what else the route relied on, each with its rule.

_relation_support(r) := [data.hoi.relation.reasons[r.relation]] if {
	is_string(r.relation)
} else := []

_consent_support(r) := [data.hoi.consent.giver_reason] if {
	is_string(r.consent_regime)
} else := []

_confirmed_by := {"token": "the login's on-behalf claim", "staff_register": "the staff register"}

default _on_behalf_support := []

_on_behalf_support := [data.hoi.reason.build("SECRETARY-ON-BEHALF", "on_behalf", {
	"{id}": data.hoi.staff.acting_for.id,
	"{role}": data.hoi.staff.acting_for.role,
	"{confirmed_by}": _confirmed_by[data.hoi.staff.acting_for.confirmed_by],
})] if {
	_secretary_for_clinician
}

# What a met route relied on besides itself: the relation, whose consent, and
# on whose behalf. Shown as reasons on the permit so each carries its citation.
support(r) := [reason |
	some part in [_relation_support(r), _consent_support(r), _on_behalf_support]
	some reason in part
]
