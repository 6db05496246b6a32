# METADATA
# title: Consent and objection
# description: >-
#   Who may consent or object for a child, and whether the consents in the
#   registry satisfy a consent regime for one data category and recipient.
#   A consent counts only for the regime it was given under.
package hoi.consent

_config := data.hoi.config.consent

_today_ns := time.parse_ns("2006-01-02", input.context.date)

# METADATA
# title: The young person decides from age 15
# description: >-
#   From the age of 15 the young person alone consents to disclosure and lookup
#   of health data, and alone may object.
# custom:
#   rule_id: SUL-17-SELF-CONSENT
#   legal_basis: [sul-17-1]
#   messages:
#     consent_given: >-
#       The young person is 15 or older and consented alone.
child_decides if input.child.age >= _config.self_consent_age

# METADATA
# title: Custody holders decide for a child under 15
# description: >-
#   Under 15 the custody holders consent and object on the child's behalf.
#   Under joint custody the policy's joint_custody_rule says whether all or
#   any one of them must consent; an objection from any of them counts.
# custom:
#   rule_id: FAL-CUSTODY-CONSENT
#   legal_basis: [sul-14, fal-2, fal-3-1]
#   messages:
#     consent_given: >-
#       The custody holders consented for a child under 15 (rule: {rule}).
custody_holders_decide if input.child.age < _config.self_consent_age

# Persons entitled to consent or object right now; their consent is the one
# required (with the joint-custody rule "any", one of them suffices).
entitled contains input.child.cpr if child_decides

entitled contains holder if {
	custody_holders_decide
	some holder in input.child.custody_holders
}

_holders := {holder | some holder in input.child.custody_holders}

# A configuration switch, not a rule of its own (it modulates SUL-17-SELF-CONSENT
# and FAL-CUSTODY-CONSENT): per regime, the policy data says whether consents
# the custody holders gave while the child was under 15 stop counting when the
# child turns 15 (consent.custody_holder_consent_lapses_at_self_consent_age).
# Where they do not lapse, they count until they expire or are revoked, beside
# the young person's own consent and subject to the young person's objection.
# A regime the setting does not name lapses. Today every regime lapses.
custody_consent_outlives_self_consent_age(regime) if {
	rules := _config.custody_holder_consent_lapses_at_self_consent_age
	is_object(rules)
	object.get(rules, regime, true) == false
}

# A consent's recipient is a named organisation: the requester's own unit, or
# an organisation the unit is part of (a consent to Aalborg Kommune covers its
# family department and its PPR; the route then asks for an open case in the
# unit). A recipient named only by organisation type matches no one: a consent
# "to the municipality" as a type would open the data to every municipality's
# staff (legal_basis/: consent-recipient choice, review unconfirmed).
_recipient_matches(recipient) if names(recipient, input.subject.organisation)

# Whether a consent's (or objection's) recipient names `organisation` ({id,
# part_of}): the organisation itself, or one it is part of. A lookup asks it of
# the requester's unit, a message (hoi.correspondence) of the recipient's.
names(recipient, organisation) if {
	is_object(recipient)
	is_string(object.get(recipient, "organisation_id", null))
	recipient.organisation_id == organisation.id
}

names(recipient, organisation) if {
	is_object(recipient)
	is_string(object.get(recipient, "organisation_id", null))
	recipient.organisation_id in object.get(organisation, "part_of", [])
}

_purpose_matches(c) if count(object.get(c, "purposes", [])) == 0

_purpose_matches(c) if input.context.purpose in c.purposes

# A consent counts from the day it was given to its (already capped) end, and
# never past the regime's maximum validity counted from the day it was given
# (§ 44: a § 43 consent lapses after at most one year). The dates of every
# consent are parsed once per decision, here, not once per regime and category.
_in_period contains c if {
	some c in input.facts.consents
	given := time.parse_ns("2006-01-02", c.given_on)
	given <= _today_ns
	_today_ns <= time.parse_ns("2006-01-02", c.valid_until)
	_today_ns < time.add_date(given, 0, data.hoi.config.regimes[c.regime].max_validity_months, 0)
}

# Consents given before today (a lapsed one is told apart from one not yet begun).
_given_before_today contains c if {
	some c in input.facts.consents
	_today_ns > time.parse_ns("2006-01-02", c.given_on)
}

_form_allowed(c) if c.form in data.hoi.config.regimes[c.regime].forms

_giver_counts(c) if c.giver in entitled

_giver_counts(c) if {
	child_decides
	object.get(c, "capacity", null) == "custody_holder"
	custody_consent_outlives_self_consent_age(c.regime)
	c.giver in _holders
}

# Usable consents: not revoked or replaced, right form, from a person whose
# consent counts (judged once per decision).
_usable contains c if {
	some c in input.facts.consents
	c.revoked_at == null
	object.get(c, "superseded_by", null) == null
	_form_allowed(c)
	_giver_counts(c)
}

# Consents that count today for this recipient and purpose, whatever their
# regime and categories: usable, in period, naming the requester's unit (or an
# organisation it is part of), for this purpose (judged once per decision).
_counting contains c if {
	some c in _here
	c in _in_period
}

# Usable consents naming the requester's unit (or an organisation it is part
# of), for this purpose, whatever their period (judged once per decision).
_here contains c if {
	some c in _usable
	_recipient_matches(c.recipient)
	_purpose_matches(c)
}

# Of those, the ones that have lapsed (judged once per decision; a deny's
# explanation only filters them by regime and category).
_lapsed_here contains c if {
	some c in _here
	not c in _in_period
	c in _given_before_today
}

# Usable consents in period, for this purpose, that name their recipient only
# by the requester's organisation type (judged once per decision).
_unnamed_here contains c if {
	some c in _usable
	c in _in_period
	is_object(c.recipient)
	object.get(c.recipient, "organisation_id", null) == null
	object.get(c.recipient, "organisation_type", null) == input.subject.organisation.type
	_purpose_matches(c)
}

# Valid consents: given under `regime`, covering `category`, and counting.
valid(regime, category) := {c | some c in _counting; c.regime == regime; category in c.categories}

# Who gave the valid consents, per regime and category a counting consent covers.
# (The set is built in the body: the embedded engine cannot schedule a
# comprehension in the head of a rule whose key comes from the body.)
_givers[key] := givers if {
	some key in _consent_keys
	givers := {c.giver | some c in _counting; c.regime == key[0]; key[1] in c.categories}
}

# The [regime, category] pairs the counting consents cover (few: each pair is
# looked at once, however many consents there are).
_consent_keys contains [c.regime, category] if {
	some c in _counting
	some category in c.categories
}

# The [regime, category] pairs whose valid consents satisfy the regime: the
# plain answer a decision needs, computed once per decision. A pair without
# valid consents is never satisfied (status explains why).
satisfied contains key if {
	some key, givers in _givers
	_satisfied(key[0], givers)
}

# Consents that would count but have lapsed (§ 44: at most one year).
expired(regime, category) := {c.id | some c in _lapsed_here; c.regime == regime; category in c.categories}

# Consents that would count but name their recipient only by organisation type
# (recorded before recipients had to be named): refused, with their own reason.
unnamed_recipient(regime, category) := {c.id | some c in _unnamed_here; c.regime == regime; category in c.categories}

_rule_met(required, givers) if {
	_config.joint_custody_rule == "all"
	count(required) > 0
	count(required - givers) == 0
}

_rule_met(required, givers) if {
	_config.joint_custody_rule == "any"
	count(required & givers) > 0
}

_satisfied(_, givers) if _rule_met(entitled, givers)

_satisfied(regime, givers) if {
	child_decides
	custody_consent_outlives_self_consent_age(regime)
	_rule_met(_holders, givers)
}

# The outcome of checking one regime for one category. The valid consents are
# found once (the embedded engine does not memoise function calls).
status(regime, category) := _status(regime, category, valid(regime, category))

# (Sets are built in the body, not in the head: the embedded engine cannot
# schedule comprehensions in the head of a rule with an else branch.)
_status(regime, category, consents) := {
	"satisfied": true,
	"missing": [],
	"expired": [],
	"unnamed_recipient": [],
	"relied_on": sort(ids),
} if {
	_satisfied(regime, {c.giver | some c in consents})
	ids := {c.id | some c in consents}
} else := {
	"satisfied": false,
	"missing": sort(missing),
	"expired": sort(lapsed),
	"unnamed_recipient": sort(unnamed),
	"relied_on": [],
} if {
	missing := entitled - {c.giver | some c in consents}
	lapsed := expired(regime, category)
	unnamed := unnamed_recipient(regime, category)
}

# Why a regime is not satisfied for a category, for a route that fails: whose
# consent is missing, which consents have lapsed, which name no recipient.
# (status without first asking whether the regime is satisfied.)
# The sets are looked up in tables grouped once per decision by [regime,
# category] (usually empty), not filtered again per route.
shortfall(regime, category) := {
	"missing": sort(entitled - object.get(_givers, [[regime, category]], set())),
	"expired": object.get(_expired_of, [[regime, category]], []),
	"unnamed_recipient": object.get(_unnamed_of, [[regime, category]], []),
}

# The ids of expired(regime, category) and unnamed_recipient(regime, category),
# sorted, for each [regime, category] pair that has any.
_expired_of[key] := ids if {
	some key in {[c.regime, category] | some c in _lapsed_here; some category in c.categories}
	ids := sort(expired(key[0], key[1]))
}

_unnamed_of[key] := ids if {
	some key in {[c.regime, category] | some c in _unnamed_here; some category in c.categories}
	ids := sort(unnamed_recipient(key[0], key[1]))
}

_objection_covers(o, _) if count(object.get(o, "categories", [])) == 0

_objection_covers(o, category) if category in o.categories

_objection_recipient(o) if _objection_reaches(o, input.subject.organisation)

# Whether an objection reaches `organisation` ({id, type, part_of}): it names no
# recipient, names the organisation (or one it is part of), or names its kind.
_objection_reaches(o, _) if object.get(o, "recipient", null) == null

_objection_reaches(o, organisation) if {
	is_object(object.get(o, "recipient", null))
	names(o.recipient, organisation)
}

# An objection may name a kind of organisation: it only ever narrows access.
_objection_reaches(o, organisation) if {
	is_object(object.get(o, "recipient", null))
	object.get(o.recipient, "organisation_id", null) == null
	o.recipient.organisation_type == organisation.type
}

# METADATA
# title: An entitled person's objection denies
# description: >-
#   The patient (from 15) or any custody holder (under 15) may object to
#   disclosure and lookup; an active objection covering the category and the
#   recipient denies it, whatever consents exist.
# custom:
#   rule_id: SUL-OBJECTION
#   legal_basis: [sul-41-3, sul-42a-5, fal-3-1]
#   messages:
#     objection: >-
#       A person entitled to decide for the child has objected to this disclosure.
objections(category) := {o.id | some o in _objecting; _objection_covers(o, category)}

# Objections that count against this requester, whatever they cover (judged
# once per decision).
_objecting contains o if {
	some o in input.facts.objections
	o.withdrawn_at == null
	o.person in entitled
	_objection_recipient(o)
}

# Whether any objection counts against this requester at all.
objected if count(_objecting) > 0

# The reason a deny gives for the objections to this category.
objection_reason(category) := data.hoi.reason.with_fields(
	"SUL-OBJECTION",
	"objection",
	{},
	{"objections": sort(objections(category))},
)

# Who gave the consent a route relied on: the young person from 15, else the
# custody holders (under the joint-custody rule).
giver_reason := data.hoi.reason.build("SUL-17-SELF-CONSENT", "consent_given", {}) if {
	child_decides
} else := data.hoi.reason.build(
	"FAL-CUSTODY-CONSENT",
	"consent_given",
	{"{rule}": _config.joint_custody_rule},
)

# Messages (hoi.correspondence): a message is a disclosure to its recipient, so
# the consent must name the recipient's unit (or an organisation it is part of),
# not the sender's. A consent's categories describe lookups; a message counts
# any consent of the regime that names its recipient and covers its topic (the
# purpose). Our reading, unconfirmed: legal_basis/ says so where it is cited.
valid_for(regime, organisation) := {c |
	some c in _usable
	c.regime == regime
	c in _in_period
	names(c.recipient, organisation)
	_purpose_matches(c)
}

# Whether the consents of `regime` for a message to `organisation` ({id, type,
# part_of}) satisfy the regime and, when not, why: whose consent is missing,
# which consents have lapsed, which name their recipient only by kind.
# (Sets are built in the body: see _status.)
message_status(regime, organisation) := {
	"satisfied": true,
	"relied_on": sort(ids),
	"missing": [],
	"expired": [],
	"unnamed_recipient": [],
} if {
	consents := valid_for(regime, organisation)
	_satisfied(regime, {c.giver | some c in consents})
	ids := {c.id | some c in consents}
} else := {
	"satisfied": false,
	"relied_on": [],
	"missing": sort(missing),
	"expired": sort(lapsed),
	"unnamed_recipient": sort(unnamed),
} if {
	missing := entitled - {c.giver | some c in valid_for(regime, organisation)}
	lapsed := _lapsed_for(regime, organisation)
	unnamed := _unnamed_for(regime, organisation)
}

# Consents of `regime` naming `organisation` that would count but have lapsed.
_lapsed_for(regime, organisation) := {c.id |
	some c in _usable
	c.regime == regime
	not c in _in_period
	c in _given_before_today
	names(c.recipient, organisation)
	_purpose_matches(c)
}

# Consents of `regime` that would count but name only the organisation's kind.
_unnamed_for(regime, organisation) := {c.id |
	some c in _usable
	c.regime == regime
	c in _in_period
	is_object(c.recipient)
	object.get(c.recipient, "organisation_id", null) == null
	object.get(c.recipient, "organisation_type", null) == organisation.type
	_purpose_matches(c)
}

# Objections that count against a message to `organisation`: from a person
# entitled to object today, not withdrawn, reaching the recipient. Whatever
# categories an objection names (they describe lookups), it counts against a
# message to the recipient it reaches (the safe side; unconfirmed).
objections_to(organisation) := {o.id |
	some o in input.facts.objections
	o.withdrawn_at == null
	o.person in entitled
	_objection_reaches(o, organisation)
}
