# Where each recorded consent and objection stands. The registry shows each
# consent and objection recorded for a child with whether it counts today,
# whoever asks. That judgement is the policy's own (the rules of this package
# that decisions use), so the registry's listings and history never hold a
# second opinion. Computed only when the registry asks (input.action
# "registry.standing"); a decision leaves it empty.
package hoi.consent

_asked_for_standing if input.action == "registry.standing"

# METADATA
# title: Where each recorded consent stands
# description: >-
#   For each consent id, "active" when a decision would count it for a
#   recipient and purpose it names (not revoked or replaced, in its period,
#   from a person whose consent counts today, in a form the regime allows),
#   else its status and why.
standing[c.id] := object.union(_consent_standing(c), {"lapsed_at_self_consent_age": _lapsed(c)}) if {
	_asked_for_standing
	some c in input.facts.consents
}

# METADATA
# title: Whether each recorded objection counts
# description: >-
#   For each objection id, whether it counts today (not withdrawn, from a
#   person entitled to object for the child today), else why not.
objection_standing[o.id] := _objection_standing(o) if {
	_asked_for_standing
	some o in input.facts.objections
}

_consent_standing(c) := {"status": "revoked", "why": null} if {
	c.revoked_at != null
} else := {"status": "superseded", "why": null} if {
	object.get(c, "superseded_by", null) != null
} else := {"status": "expired", "why": _period_why(c)} if {
	_period_over(c)
} else := {"status": "expired", "why": "self_consent_age"} if {
	_lapsed_at_self_consent_age(c)
} else := {"status": "expired", "why": _giver_why(c)} if {
	not _giver_counts(c)
} else := {"status": "expired", "why": "form"} if {
	not _form_allowed(c)
} else := {"status": "active", "why": null}

# The period has run out (it had begun: a consent is never dated ahead).
_period_over(c) if {
	not c in _in_period
	c in _given_before_today
}

# The giver named a later end than the regime allows; it ran out at the cap.
_period_why(c) := "max_validity" if {
	requested := object.get(c, "valid_until_requested", null)
	is_string(requested)
	requested > c.valid_until
} else := null

_lapsed_at_self_consent_age(c) if {
	object.get(c, "capacity", null) == "custody_holder"
	child_decides
	not custody_consent_outlives_self_consent_age(c.regime)
}

_lapsed(c) if _lapsed_at_self_consent_age(c)

else := false

_giver_why(c) := "not_custody_holder" if {
	object.get(c, "capacity", null) == "custody_holder"
} else := "not_entitled"

_objection_standing(o) := {"counts": false, "why": "withdrawn"} if {
	o.withdrawn_at != null
} else := {"counts": false, "why": "self_consent_age"} if {
	object.get(o, "capacity", null) == "custody_holder"
	child_decides
} else := {"counts": false, "why": _giver_why(o)} if {
	not o.person in entitled
} else := {"counts": true, "why": null}
