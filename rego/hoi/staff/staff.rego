# METADATA
# title: What the staff register confirms about the people a decision names
# description: >-
#   A request or a login may say that the requester is a health professional,
#   or that a medical secretary acts for a named clinician. Neither is believed
#   as said. The requester is a health professional only when the
#   organisation's staff register (its staff list joined with the national
#   authorisation register) shows them, at the organisation they act for, with
#   a valid authorisation. A secretary acts for a clinician only when the login
#   (the identity provider's on-behalf claim) names the clinician, or when the
#   staff register shows a psychiatrist or psychologist by the id and role
#   named, in the secretary's own organisation, with a valid authorisation.
#   The facts come from the information point (input.facts.staff), never from
#   the request; without them nothing is confirmed (fail closed).
package hoi.staff

# The clinicians a medical secretary may act for.
clinician_roles := {"bup_psychiatrist", "bup_psychologist"}

_object(x) := x if {
	is_object(x)
} else := {}

_staff := _object(object.get(_object(object.get(input, "facts", {})), "staff", {}))

_subject := _object(object.get(input, "subject", {}))

_organisation_id := object.get(_object(object.get(_subject, "organisation", {})), "id", null)

# What the register says about one of the people named ("subject" or "acting_for").
_entry(name) := entry if {
	entry := object.get(_staff, name, null)
	is_object(entry)
}

_at_organisation(entry, id) if {
	entry.id == id
	entry.organisation_id == _organisation_id
}

_authorised(entry) if {
	authorisation := object.get(entry, "authorisation", null)
	is_object(authorisation)
	authorisation.status == "valid"
}

_claims_authorisation if object.get(_subject, "health_professional", false) == true

# The requester claims a health-professional authorisation and the register
# confirms it at the requester's organisation.
health_professional if {
	_claims_authorisation
	entry := _entry("subject")
	_at_organisation(entry, _subject.id)
	_authorised(entry)
}

# The requester claims an authorisation the register does not confirm.
health_professional_unconfirmed if {
	_claims_authorisation
	not health_professional
}

_named := object.get(_subject, "acting_for", null)

_by_token if {
	is_object(_named)
	object.get(_named, "asserted_by", "request") == "token"
	_named.role in clinician_roles
}

_by_register if {
	is_object(_named)
	entry := _entry("acting_for")
	_at_organisation(entry, _named.id)
	entry.role == _named.role
	entry.role in clinician_roles
	_authorised(entry)
}

default _clinician_authorised := false

_clinician_authorised if {
	entry := _entry("acting_for")
	_at_organisation(entry, _named.id)
	_authorised(entry)
}

# The clinician a request acts for, once confirmed: by the login's on-behalf
# claim, or by the staff register. Undefined when neither confirms it.
acting_for := {
	"id": _named.id,
	"role": _named.role,
	"confirmed_by": "token",
	"health_professional": _clinician_authorised,
} if {
	_by_token
} else := {
	"id": _named.id,
	"role": _named.role,
	"confirmed_by": "staff_register",
	"health_professional": true,
} if {
	_by_register
}
