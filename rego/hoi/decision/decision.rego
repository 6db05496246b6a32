# METADATA
# title: Decision entrypoint
# description: >-
#   One decision per requested data category: permit with the fields and the
#   route it rests on, or deny with machine-readable reasons. Fail closed: a
#   category is permitted only when a route's every requirement is met.
package hoi.decision

# Functions of other packages are called by their full data path: the embedded
# engine (regorus) resolves imported rules but not imported functions.

import data.hoi.consent
import data.hoi.routes

_config := data.hoi.config

_role := _config.roles[input.subject.role]

# METADATA
# title: The decision
# description: >-
#   One outcome per requested data category, and the request's nonce echoed
#   back, so that the service can tell this answer belongs to its question.
# entrypoint: true
result := {
	"categories": {category: outcome(category) | some category in input.resource.categories},
	"registry": data.hoi.registry.access,
	"standing": registry_standing,
	"override": _override_answer,
	"nonce": object.get(input, ["request", "nonce"], null),
}

_nothing := {"consents": [], "objections": [], "blocks": []}

_deny(category, reasons) := _deny_relying(category, reasons, _nothing)

# A deny lists the objections or blocks that caused it.
_deny_relying(category, reasons, relied_on) := {
	"category": category,
	"decision": "deny",
	"fields": [],
	"rule_id": null,
	"legal_basis": [],
	"reasons": reasons,
	"relied_on": relied_on,
	"override": false,
	"override_possible": false,
	"obligations": [],
	"exclude_organisations": [],
}

# METADATA
# title: An unknown role is denied
# description: >-
#   A requester whose role is not in the role catalogue, or who acts for
#   another organisation type than the role allows, sees nothing.
# custom:
#   rule_id: DENY-UNKNOWN-ROLE
#   legal_basis: [sul-40-1, fvl-27-1]
_unknown_role if not _role

_unknown_role if not input.subject.organisation.type in _role.organisation_types

_unknown_role_reason := {
	"code": "unknown_role",
	"rule_id": "DENY-UNKNOWN-ROLE",
	"legal_basis": ["sul-40-1", "fvl-27-1"],
	"message": sprintf("The role %s (organisation type %s) has no access in this service.", [
		object.get(input.subject, "role", ""),
		object.get(input.subject.organisation, "type", ""),
	]),
}

# Facts are read with object.get so that a missing one is a value (null) and
# not undefined: OPA and the embedded engine treat `not f(undefined)` alike
# only this way.
_child := object.get(input, "child", {})

# METADATA
# title: A decision without the child's facts is denied
# description: Without the child's age and custody holders no one can tell who must consent, so nothing is permitted.
# custom:
#   rule_id: DENY-MISSING-FACT
#   legal_basis: [sul-40-1, fvl-27-1]
_missing_facts contains "child.age" if not is_number(object.get(_child, "age", null))

_missing_facts contains "child.custody_holders" if {
	not is_array(object.get(_child, "custody_holders", null))
}

_missing_facts contains "context.date" if {
	not is_string(object.get(object.get(input, "context", {}), "date", null))
}

_missing_facts contains "facts" if not is_object(object.get(input, "facts", null))

_missing_fact_reason := {
	"code": "missing_fact",
	"rule_id": "DENY-MISSING-FACT",
	"legal_basis": ["sul-40-1", "fvl-27-1"],
	"message": sprintf("Facts needed to decide are missing: %s.", [concat(", ", sort(_missing_facts))]),
	"missing": sort(_missing_facts),
}

_unknown_category_reason(category) := {
	"code": "unknown_category",
	"rule_id": "DENY-MISSING-FACT",
	"legal_basis": ["sul-40-1", "fvl-27-1"],
	"message": sprintf("The data category %s is not in the catalogue.", [category]),
}

# Blocks (in the style of Min spærring) that hit this requester for this category.
_block_hits(block) if {
	block.target.kind == "professional"
	block.target.id == input.subject.id
}

_block_hits(block) if {
	block.target.kind == "organisation"
	block.target.id == input.subject.organisation.id
}

_block_hits(block) if {
	block.target.kind == "organisation"
	block.target.include_sub_units == true
	block.target.id in object.get(input.subject.organisation, "part_of", [])
}

_block_hits(block) if block.target.kind == "period"

_block_covers(block, _) if count(object.get(block, "categories", [])) == 0

_block_covers(block, category) if category in block.categories

_today := input.context.date

_block_in_force(block) if {
	block.lifted_at == null
	block.valid_from <= _today
	_open_ended_or_before(block.valid_until)
}

_open_ended_or_before(until) if is_null(until)

_open_ended_or_before(until) if _today <= until

# METADATA
# title: A citizen's block denies the blocked requester
# description: >-
#   A block against a named professional or an organisation (optionally with its
#   sub-units), or a block for a period against everyone, hides the covered
#   categories from the requester, data and metadata alike, while it is in force.
# custom:
#   rule_id: BLOCK-MIN-SPAERRING
#   legal_basis: [sul-42a-5, sul-41-3]
blocks(category) := {block.id |
	some block in input.facts.blocks
	_block_in_force(block)
	_block_hits(block)
	_block_covers(block, category)
}

# METADATA
# title: A block on a data source withholds its records from everyone
# description: >-
#   A block against a source organisation (for example one psychiatry
#   department, optionally with its sub-units) withholds the records that come
#   from it, from every requester, while the rest of the category stays
#   visible. The decision lists the organisations in exclude_organisations and
#   the broker drops their records.
# custom:
#   rule_id: BLOCK-SOURCE-ORGANISATION
#   legal_basis: [sul-42a-5, sul-41-3]
source_blocks(category) := {block.id |
	some block in input.facts.blocks
	block.target.kind == "source_organisation"
	_block_in_force(block)
	_block_covers(block, category)
}

_block_organisations(block) := {block.target.id} | {unit |
	block.target.include_sub_units == true
	some unit in object.get(block.target, "sub_units", [])
}

withheld_organisations(category) := {org |
	some block in input.facts.blocks
	block.id in source_blocks(category)
	some org in _block_organisations(block)
}

_blocked_reason(category) := {
	"code": "blocked",
	"rule_id": "BLOCK-MIN-SPAERRING",
	"legal_basis": ["sul-42a-5", "sul-41-3"],
	"message": "The citizen has blocked this requester from this information.",
	"blocks": sort(blocks(category)),
	"override_refused": _override_requested,
	"override_refusal": _override_refusal(category),
}

_objection_reason(category) := {
	"code": "objection",
	"rule_id": "SUL-OBJECTION",
	"legal_basis": ["sul-41-3", "sul-42a-5", "fal-3-1"],
	"message": "A person entitled to decide for the child has objected to this disclosure.",
	"objections": sort(data.hoi.consent.objections(category)),
}

# METADATA
# title: No legal route, no access
# description: >-
#   When no legal route lets this role see this category for this purpose,
#   the duties of confidentiality stand and the category is denied.
# custom:
#   rule_id: DENY-NO-LEGAL-BASIS
#   legal_basis: [sul-40-1, fvl-27-1]
_no_route_reason(category) := {
	"code": "no_legal_basis",
	"rule_id": "DENY-NO-LEGAL-BASIS",
	"legal_basis": ["sul-40-1", "fvl-27-1"],
	"message": sprintf("No legal basis lets the role %s see %s for the purpose %s.", [
		input.subject.role,
		category,
		object.get(input.context, "purpose", ""),
	]),
}

_routes_for(category) := [r | some r in routes.route; r.category == category]

# Reasons why one route's requirements are not met; empty when they all are.
_failures(r) := array.concat(_consent_failures(r), _relation_failures(r))

_consent_failures(r) := [] if {
	r.consent_regime == null
} else := [] if {
	data.hoi.consent.status(r.consent_regime, r.category).satisfied
} else := reasons if {
	s := data.hoi.consent.status(r.consent_regime, r.category)
	expired := [{
		"code": "consent_expired",
		"rule_id": r.rule_id,
		"legal_basis": r.legal_basis,
		"message": sprintf("A %s consent has lapsed; a new one is needed.", [r.consent_regime]),
		"consents": s.expired,
		"regime": r.consent_regime,
	} |
		count(s.expired) > 0
	]
	unnamed := _unnamed_failures(r, s.unnamed_recipient)
	missing := [{
		"code": "missing_consent",
		"rule_id": r.rule_id,
		"legal_basis": r.legal_basis,
		"message": _missing_message(r.consent_regime),
		"regime": r.consent_regime,
		"missing": [{"person": p, "capacity": _capacity(p)} | some p in s.missing],
		"rule": _config.consent.joint_custody_rule,
	}]
	reasons := [reason | some part in [expired, unnamed, missing]; some reason in part]
}

# Consents that would count but name their recipient only by organisation type.
_unnamed_failures(r, ids) := [{
	"code": "consent_recipient_not_named",
	"rule_id": r.rule_id,
	"legal_basis": r.legal_basis,
	"message": concat(" ", [
		"A consent names its recipient only as a kind of organisation; it does not count.",
		"A consent must name the unit or organisation that may see the data.",
	]),
	"consents": ids,
	"regime": r.consent_regime,
} |
	count(ids) > 0
]

_missing_message(regime) := sprintf("A valid %s consent from the young person is needed.", [regime]) if {
	consent.child_decides
} else := sprintf("A valid %s consent from the custody holders is needed (rule: %s).", [
	regime,
	_config.consent.joint_custody_rule,
])

_capacity(p) := "child" if p == input.child.cpr

_capacity(p) := "custody_holder" if p != input.child.cpr

_relation_failures(r) := [] if {
	r.relation == null
} else := [] if {
	data.hoi.relation.active(r.relation)
} else := [{
	"code": "no_relation",
	"rule_id": r.rule_id,
	"legal_basis": r.legal_basis,
	"message": sprintf("The requester has no active relation to the child (%s needed).", [r.relation]),
	"relation": r.relation,
}]

# Routes for the asked categories whose requirements are all met, ordered by
# rule id so that both engines pick the same one when several apply.
_met := [r | some r in _sorted_routes; count(_failures(r)) == 0]

_asked := {c | some c in input.resource.categories}

_asked_routes contains r if {
	some r in routes.route
	r.category in _asked
}

_sorted_routes := [r | some id in sort({r.rule_id | some r in _asked_routes}); some r in _asked_routes; r.rule_id == id]

_permit_route(category) := [r | some r in _met; r.category == category][0]

_permit(category, r) := {
	"category": category,
	"decision": "permit",
	"fields": r.fields,
	"rule_id": r.rule_id,
	"legal_basis": r.legal_basis,
	"reasons": [reason |
		some part in [
			[_permitted_reason(r)],
			data.hoi.routes.support(r),
			_override_reasons(category),
			_withheld_reasons(category),
		]
		some reason in part
	],
	"relied_on": {
		"consents": _relied_consents(r),
		"objections": [],
		"blocks": sort(blocks(category) | source_blocks(category)),
	},
	"override": _override_flag(category),
	"override_possible": _override_possible(category),
	"obligations": _obligations(_override_flag(category)),
	"exclude_organisations": _excluded(category),
}

# Records from blocked source organisations are withheld unless the block was overridden.
_excluded(category) := [] if {
	_override_flag(category)
} else := sort(withheld_organisations(category))

# Say on a permit which sources' records are withheld, and why.
_withheld_reasons(category) := [] if {
	count(_excluded(category)) == 0
} else := [{
	"code": "withheld_by_block",
	"rule_id": "BLOCK-SOURCE-ORGANISATION",
	"legal_basis": ["sul-42a-5", "sul-41-3"],
	"message": "Some records are withheld at the family's request: the family has blocked their source.",
	"organisations": _excluded(category),
	"blocks": sort(source_blocks(category)),
}]

_override_reasons(category) := [] if {
	not _override_flag(category)
} else := [{
	"code": "override",
	"rule_id": "SUL-42A-OVERRIDE",
	"legal_basis": ["sul-42a-2"],
	"message": sprintf(
		concat(" ", [
			"A block was set aside (værdispring) on the grounds %s, with the reason given;",
			"the lookup is flagged in the audit and in the citizen's log.",
		]),
		[_override.grounds],
	),
	"grounds": _override.grounds,
	"blocks": sort(blocks(category) | source_blocks(category)),
}]

_relied_consents(r) := [] if {
	r.consent_regime == null
} else := data.hoi.consent.status(r.consent_regime, r.category).relied_on

_permitted_reason(r) := {
	"code": "permitted",
	"rule_id": r.rule_id,
	"legal_basis": r.legal_basis,
	"message": "Permitted: every requirement of this legal route is met.",
}

_obligations(true) := ["log_to_citizen", "flag_override_in_citizen_log"]

_obligations(false) := ["log_to_citizen"]

_route_failures(category) := [reason |
	some r in _routes_for(category)
	some reason in _failures(r)
]

# Refusals (routes.denial) and explanations of other legal paths
# (routes.alternative) for one category, as reasons.
_denials(category) := [object.remove(d, ["category"]) | some d in routes.denial; d.category == category]

_alternatives(category) := [object.remove(a, ["category"]) | some a in routes.alternative; a.category == category]

_is_blocked(category) if {
	count(blocks(category)) > 0
	not _override_allowed(category)
}

_overridden(category) if {
	count(blocks(category) | source_blocks(category)) > 0
	_override_allowed(category)
}

default _override_flag(_) := false

_override_flag(category) if _overridden(category)

# The outcome for one category, in order of precedence.
outcome(category) := _deny(category, [_unknown_role_reason]) if {
	_unknown_role
} else := _deny(category, [_missing_fact_reason]) if {
	count(_missing_facts) > 0
} else := _deny(category, [_unknown_category_reason(category)]) if {
	not _config.categories[category]
} else := _deny(category, _denials(category)) if {
	count(_denials(category)) > 0
} else := _blocked_outcome(category) if {
	_is_blocked(category)
} else := _deny_relying(category, [_objection_reason(category)], {
	"consents": [],
	"objections": sort(data.hoi.consent.objections(category)),
	"blocks": [],
}) if {
	count(data.hoi.consent.objections(category)) > 0
} else := _deny(category, array.concat([_no_route_reason(category)], _alternatives(category))) if {
	count(_routes_for(category)) == 0
} else := _permit(category, _permit_route(category)) if {
	_permit_route(category)
} else := _deny(category, array.concat(_route_failures(category), _alternatives(category)))
