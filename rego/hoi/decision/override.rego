# Overrides (værdispring): who may set a citizen's block aside, on which data,
# why an attempt is refused, whether an override is possible (the overview
# shows it) and the policy's answer to an override request (the audit and the
# citizen's log read it). Part of the decision package. The functions carry a
# Regal external-reference exception: whether an override is allowed depends on
# the request (rules read once from the input) and on the category (the
# argument); see .regal/config.yaml.
package hoi.decision

# METADATA
# title: A health professional may override a block on health data for a weighty reason
# description: >-
#   A health professional may set a block on health data aside (værdispring)
#   when the citizen consents or cannot be reached and there is a weighty
#   reason, which must be given. The lookup is flagged (override true,
#   obligation flag_override_in_citizen_log) in the audit and in the citizen's
#   log. Only the health categories (policy data override.categories: the
#   psychiatry appointments and contact points) can be overridden: the
#   override in Sundhedsloven § 42 a is about a health professional's lookup
#   of health information. On municipal and school data, shared on the
#   family's consent, a block is the family withdrawing that consent and
#   stands for everyone. Municipal users can never override.
# custom:
#   rule_id: SUL-42A-OVERRIDE
#   legal_basis: [sul-42a-2]
#   messages:
#     override: >-
#       A block was set aside (værdispring) on the grounds {grounds}, with the
#       reason given; the lookup is flagged in the audit and in the citizen's log.
_override_allowed(category) if {
	_override_requested
	_override_eligible(category)
	_override_grounds_given
}

_health_category(category) if category in data.hoi.config.override.categories

_override := object.get(object.get(input, "context", {}), "override", null)

default _override_requested := false

_override_requested if is_object(_override)

_municipal_user if _role.sector == "municipal"

_municipal_user if input.subject.organisation.type == "municipality"

# The login's health-professional claim, confirmed by the staff register.
_health_professional if {
	_role.sector == "health"
	data.hoi.staff.health_professional
}

_override_grounds_given if {
	object.get(_override, "grounds", null) in {"citizen_consents", "citizen_unreachable"}
	is_string(object.get(_override, "reason", null))
	count(trim_space(_override.reason)) > 0
}

# METADATA
# scope: document
# title: Who may not override a block, and why
# description: >-
#   An override asked for by a municipal user, on data that is not health
#   data, by someone without a health professional's authorisation, or without
#   grounds and a stated reason is refused; the block's deny says which.
# custom:
#   rule_id: SUL-42A-OVERRIDE-REFUSED
#   legal_basis: [sul-42a-2, sul-42a-5]
_override_refusal(category) := "Municipal users can never override a citizen's block." if {
	_override_requested
	_municipal_user
} else := concat(" ", [
	"A block on municipal or school data stands for everyone:",
	"an override (værdispring) applies to health data only.",
]) if {
	_override_requested
	not _health_category(category)
} else := "Only an authorised health professional may override a citizen's block." if {
	_override_requested
	not _health_professional
} else := "An override needs its grounds and a stated weighty reason." if {
	_override_requested
	not _override_grounds_given
} else := null

# The requester is one who may set a block on this category aside, whether or
# not they ask to: a health professional (not a municipal user), on health data.
_override_eligible(category) if {
	_health_category(category)
	not _municipal_user
	_health_professional
}

# Whether this requester could see more of the category by overriding: a block
# in force hides it (or some of its records) from them, they are eligible, and
# with the block set aside a legal route would permit it and no objection
# stands. The overview shows it so that a health professional knows an
# override is possible; it is never a permit.
_override_possible(category) if {
	_blocks_in_force
	count(_blocks_of[category] | _source_blocks_of[category]) > 0
	_override_eligible(category)
	_permit_route[category]
	not _objections_of[category]
} else := false

# The deny of a category a block hides from this requester.
_blocked_outcome(category) := object.union(
	_deny_relying(category, [_blocked_reason(category)], {
		"consents": [],
		"objections": [],
		"blocks": sort(_blocks_of[category]),
	}),
	{"override_possible": _override_possible(category)},
)

# The policy's answer to an override request, for the audit and the citizen's
# log: asked or not, allowed for any asked category or not, and if refused, why
# (the refusal of the first asked category that refuses it).
# Without a request the answer is known: nothing asked, nothing allowed or refused.
_override_answer := {"requested": false, "allowed": false, "refusal": null} if {
	not _override_requested
} else := {
	"requested": _override_requested,
	"allowed": count(_overridable) > 0,
	"refusal": _first_refusal,
}

_overridable contains category if {
	some category in input.resource.categories
	_override_allowed(category)
}

_refusals := [r |
	some c in sort(input.resource.categories)
	r := _override_refusal(c)
	r != null
]

default _first_refusal := null

_first_refusal := _refusals[0] if {
	count(_overridable) == 0
	count(_refusals) > 0
}
