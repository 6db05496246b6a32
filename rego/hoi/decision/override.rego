# Whether a requester could set a citizen's block aside (værdispring), and the
# policy's answer to an override request: the part of package hoi.decision the
# overview and the audit read. The rules that allow or refuse an override
# (override_allowed, override_refusal) are in decision.rego.
package hoi.decision

# The requester is one who may set a block aside, whether or not they ask to.
_override_eligible if {
	not _municipal_user
	_health_professional
}

# Whether this requester could see more of the category by overriding: a block
# in force hides it (or some of its records) from them, they are eligible, and
# with the block set aside a legal route would permit it and no objection
# stands. The overview shows it so that a health professional knows an
# override is possible; it is never a permit.
default _override_possible(_) := false

_override_possible(category) if {
	_override_eligible
	count(blocks(category) | source_blocks(category)) > 0
	_permit_route(category)
	count(data.hoi.consent.objections(category)) == 0
}

# The deny of a category a block hides from this requester.
_blocked_outcome(category) := object.union(
	_deny_relying(category, [_blocked_reason(category)], {
		"consents": [],
		"objections": [],
		"blocks": sort(blocks(category)),
	}),
	{"override_possible": _override_possible(category)},
)

# The policy's answer to an override request, for the audit and the citizen's
# log: asked or not, allowed or not, and if refused, why (override_refusal).
_override_answer := {
	"requested": _override_requested,
	"allowed": _override_allowed_value,
	"refusal": override_refusal,
}

default _override_allowed_value := false

_override_allowed_value if override_allowed
