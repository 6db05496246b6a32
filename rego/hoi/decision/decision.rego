# METADATA
# title: Decision entrypoint
# description: >-
#   One decision per requested data category: permit with the fields and the
#   route it rests on, or deny with machine-readable reasons. Fail closed: a
#   category is permitted only when a route's every requirement is met.
package hoi.decision

# Rules and functions of other packages are referenced by their full data path:
# the embedded engine (regorus) resolves imported rules but not imported
# functions, and it evaluates every rule of an imported package on first use.

_role := data.hoi.config.roles[input.subject.role]

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
	"correspondence": correspondence,
	"nonce": object.get(input, ["request", "nonce"], null),
}

_sending if input.action == "send_correspondence"

# METADATA
# scope: document
# title: The decision on sending a message
# description: >-
#   For input.action "send_correspondence", the outcome of sending the message
#   (hoi.correspondence), after the guards every decision has: an unknown role
#   or missing facts deny. For any other action, null.
default correspondence := null

correspondence := _deny("correspondence", [_unknown_role_reason]) if {
	_sending
	_unknown_role
} else := _deny("correspondence", [_missing_fact_reason]) if {
	_sending
	count(_missing_facts) > 0
} else := data.hoi.correspondence.outcome if {
	_sending
}

# A deny relies on nothing, unless it lists the objections or blocks that
# caused it. (One object, the category and reasons put in: one call a deny.)
_deny(category, reasons) := object.union(_denied, {"category": category, "reasons": reasons})

_deny_relying(category, reasons, relied_on) := object.union(_denied, {
	"category": category,
	"reasons": reasons,
	"relied_on": relied_on,
})

_denied := {
	"decision": "deny",
	"fields": [],
	"rule_id": null,
	"legal_basis": [],
	"relied_on": {"consents": [], "objections": [], "blocks": []},
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
#   messages:
#     unknown_role: >-
#       The role {role} (organisation type {organisation_type}) has no access
#       in this service.
_unknown_role if not _role

_unknown_role if not input.subject.organisation.type in _role.organisation_types

_unknown_role_reason := data.hoi.reason.build("DENY-UNKNOWN-ROLE", "unknown_role", {
	"{role}": sprintf("%v", [object.get(input.subject, "role", "")]),
	"{organisation_type}": sprintf("%v", [object.get(input.subject.organisation, "type", "")]),
})

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
#   messages:
#     missing_fact: >-
#       Facts needed to decide are missing: {facts}.
_missing_facts contains "child.age" if not is_number(object.get(_child, "age", null))

_missing_facts contains "child.custody_holders" if {
	not is_array(object.get(_child, "custody_holders", null))
}

_missing_facts contains "context.date" if {
	not is_string(object.get(object.get(input, "context", {}), "date", null))
}

_missing_facts contains "facts" if not is_object(object.get(input, "facts", null))

# A message needs its topic and its recipient (an organisation id and type).
_missing_facts contains "resource.correspondence.topic" if {
	_sending
	not is_string(object.get(_message, "topic", null))
}

_missing_facts contains "resource.correspondence.recipient" if {
	_sending
	not _named_recipient
}

_message := object.get(object.get(input, "resource", {}), "correspondence", {})

_named_recipient if {
	recipient := object.get(_message, "recipient", null)
	is_object(recipient)
	is_string(object.get(recipient, "organisation_id", null))
	is_string(object.get(recipient, "type", null))
}

_missing_fact_reason := data.hoi.reason.with_fields(
	"DENY-MISSING-FACT",
	"missing_fact",
	{"{facts}": concat(", ", sort(_missing_facts))},
	{"missing": sort(_missing_facts)},
)

# METADATA
# title: A category outside the catalogue is denied
# description: >-
#   A data category the policy's catalogue does not name has no route, no
#   fields and no owner; asking for it permits nothing.
# custom:
#   rule_id: DENY-UNKNOWN-CATEGORY
#   legal_basis: [sul-40-1, fvl-27-1]
#   scenario_exempt: >-
#     The service refuses an unknown category before it asks the policy (a 422),
#     so no scenario can reach this guard; the Rego tests and tests/engine do.
#   messages:
#     unknown_category: >-
#       The data category {category} is not in the catalogue.
_unknown_category_reason(category) := data.hoi.reason.build(
	"DENY-UNKNOWN-CATEGORY",
	"unknown_category",
	{"{category}": sprintf("%v", [category])},
)

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
#   messages:
#     blocked: >-
#       The citizen has blocked this requester from this information.
blocks(category) := {block.id | some block in _hitting_blocks; _block_covers(block, category)}

# The blocks in force that hit this requester, whatever they cover (judged once
# per decision).
_hitting_blocks contains block if {
	some block in input.facts.blocks
	_block_in_force(block)
	_block_hits(block)
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
#   messages:
#     withheld_by_block: >-
#       Some records are withheld at the family's request: the family has
#       blocked their source.
source_blocks(category) := {block.id | some block in _source_blocks_in_force; _block_covers(block, category)}

# The blocks on data sources in force, whatever they cover (judged once per decision).
_source_blocks_in_force contains block if {
	some block in input.facts.blocks
	block.target.kind == "source_organisation"
	_block_in_force(block)
}

_block_organisations(block) := {block.target.id} | {unit |
	block.target.include_sub_units == true
	some unit in object.get(block.target, "sub_units", [])
}

withheld_organisations(category) := {org |
	ids := source_blocks(category)
	some block in input.facts.blocks
	block.id in ids
	some org in _block_organisations(block)
}

# Per asked category, computed once per decision (the embedded engine does not
# memoise function calls): the blocks that hit the requester, the blocks on
# sources, and the objections.
_blocks_of[category] := blocks(category) if some category in _asked

_source_blocks_of[category] := source_blocks(category) if some category in _asked

# (Only categories with objections have an entry, and none is looked for when
# no objection counts against the requester.)
_objections_of[category] := ids if {
	data.hoi.consent.objected
	some category in _asked
	ids := data.hoi.consent.objections(category)
	count(ids) > 0
}

_blocked_reason(category) := data.hoi.reason.with_fields("BLOCK-MIN-SPAERRING", "blocked", {}, {
	"blocks": sort(_blocks_of[category]),
	"override_refused": _override_requested,
	"override_refusal": _override_refusal(category),
})

# METADATA
# title: No legal route, no access
# description: >-
#   When no legal route lets this role see this category for this purpose,
#   the duties of confidentiality stand and the category is denied.
# custom:
#   rule_id: DENY-NO-LEGAL-BASIS
#   legal_basis: [sul-40-1, fvl-27-1]
#   messages:
#     no_legal_basis: >-
#       No legal basis lets the role {role} see {category} for the purpose {purpose}.
_no_route_reason(category) := data.hoi.reason.build("DENY-NO-LEGAL-BASIS", "no_legal_basis", {
	"{role}": input.subject.role,
	"{category}": category,
	"{purpose}": object.get(input.context, "purpose", ""),
})

_asked := {c | some c in input.resource.categories}

# The categories some route covers.
_routed contains r.category if some r in data.hoi.routes.route

# Whether a route's requirements are met, as a plain true or false, looked up
# in tables made once per decision: the explanation of a failure is built only
# for a category that ends in a deny. A route that needs no relation names
# null, one that needs no consent has a null regime.
_relations_met := _active_relations | {null}

_consents_met := data.hoi.consent.satisfied | {[null, category] | some category in _asked}

# The relations the routes name that are active, each graded once per decision.
_active_relations contains relation if {
	some r in data.hoi.routes.route
	relation := r.relation
	relation != null
	data.hoi.relation.active(relation)
}

# The met routes of the asked categories, found once per decision.
_met_routes contains r if {
	some r in data.hoi.routes.route
	r.category in _asked
	r.relation in _relations_met
	[r.consent_regime, r.category] in _consents_met
}

# The route a permit rests on: of the met routes for the category, the one
# first by rule id, so that both engines pick the same one when several apply.
_permit_route[category] := r if {
	some r in _met_routes
	category := r.category
	r.rule_id == min({m.rule_id | some m in _met_routes; m.category == category})
}

# Why a route's consent requirement is not met: which consents have lapsed,
# which name their recipient only by kind, and whose consent is missing, in
# the route's words (the young person's from 15) with the joint-custody rule.
# Empty when the route needs no consent or its consent is given. (Few function
# calls: the embedded engine does not memoise them, and each call costs about
# as much as the reason it builds; the shortfall is looked up in tables made
# once per decision.)
_consent_failures(r) := [] if {
	r.consent_regime == null
} else := [] if {
	[r.consent_regime, r.category] in data.hoi.consent.satisfied
} else := reasons if {
	s := data.hoi.consent.shortfall(r.consent_regime, r.category)
	expired := [data.hoi.reason.with_fields(
		r.rule_id,
		"consent_expired",
		{"{regime}": r.consent_regime},
		{"consents": s.expired, "regime": r.consent_regime},
	) |
		count(s.expired) > 0
	]
	unnamed := [data.hoi.reason.with_fields(
		r.rule_id,
		"consent_recipient_not_named",
		{},
		{"consents": s.unnamed_recipient, "regime": r.consent_regime},
	) |
		count(s.unnamed_recipient) > 0
	]
	reasons := [reason | some part in [expired, unnamed, [_missing_failure(r, s.missing)]]; some reason in part]
}

# Whose consent is missing, in the route's words (the young person's from 15),
# and the joint-custody rule that applies.
_missing_failure(r, persons) := data.hoi.reason.with_fields(
	r.rule_id,
	_missing_key,
	{"{regime}": r.consent_regime, "{rule}": _joint_custody_rule},
	{
		"regime": r.consent_regime,
		"missing": [{"person": p, "capacity": _capacity_of[p]} | some p in persons],
		"rule": _joint_custody_rule,
	},
)

_joint_custody_rule := data.hoi.config.consent.joint_custody_rule

default _missing_key := "missing_consent.custody_holders"

_missing_key := "missing_consent.young_person" if data.hoi.consent.child_decides

# Each person entitled to consent, in the capacity they consent in: the child
# (from 15) or a custody holder.
_capacity_of := object.union(
	{p: "custody_holder" | some p in data.hoi.consent.entitled},
	{input.child.cpr: "child"},
)

# The reason a route fails for want of its relation, built once per route rule
# and relation (the same for every category the route covers), with what the
# relation's grading measured (for the GP, how many days the lookup fell
# outside the consultation window).
_no_relation[[rule_id, relation]] := [data.hoi.reason.with_fields(
	rule_id,
	"no_relation",
	{"{relation}": relation},
	object.union(object.get(data.hoi.relation.details, relation, {}), {"relation": relation}),
)] if {
	some r in data.hoi.routes.route
	relation := r.relation
	relation != null
	not relation in _active_relations
	rule_id := r.rule_id
}

# A permit. Without a block in force there is nothing to override, withhold
# or rely on, and the permit says so without asking.
_permit(category, r) := _permit_as(category, r, {
	"reasons": array.concat([_permitted_reason(r)], data.hoi.routes.support(r)),
	"blocks": [],
	"override": false,
	"override_possible": false,
	"excluded": [],
}) if {
	not _blocks_in_force
} else := _permit_as(category, r, {
	"reasons": reasons,
	"blocks": sort(_blocks_of[category] | _source_blocks_of[category]),
	"override": flag,
	"override_possible": _override_possible(category),
	"excluded": excluded,
}) if {
	flag := _override_flag(category)
	excluded := _excluded(category)
	reasons := [reason |
		some part in [
			[_permitted_reason(r)],
			data.hoi.routes.support(r),
			_override_reasons(category, flag),
			_withheld_reasons(category, excluded),
		]
		some reason in part
	]
}

_permit_as(category, r, shown) := {
	"category": category,
	"decision": "permit",
	"fields": r.fields,
	"rule_id": r.rule_id,
	"legal_basis": data.hoi.reason.legal_basis(r.rule_id),
	"reasons": shown.reasons,
	"relied_on": {
		"consents": _relied_consents(r),
		"objections": [],
		"blocks": shown.blocks,
	},
	"override": shown.override,
	"override_possible": shown.override_possible,
	"obligations": _obligations(shown.override),
	"exclude_organisations": shown.excluded,
}

# Whether any block is in force for this requester or on a source.
_blocks_in_force if count(_hitting_blocks) > 0

_blocks_in_force if count(_source_blocks_in_force) > 0

# Records from blocked source organisations are withheld unless the block was overridden.
_excluded(category) := [] if {
	_override_flag(category)
} else := sort(withheld_organisations(category))

# Say on a permit which sources' records are withheld, and why.
_withheld_reasons(category, excluded) := [] if {
	count(excluded) == 0
} else := [data.hoi.reason.with_fields("BLOCK-SOURCE-ORGANISATION", "withheld_by_block", {}, {
	"organisations": excluded,
	"blocks": sort(_source_blocks_of[category]),
})]

_override_reasons(category, flag) := [] if {
	not flag
} else := [data.hoi.reason.with_fields("SUL-42A-OVERRIDE", "override", {"{grounds}": _override.grounds}, {
	"grounds": _override.grounds,
	"blocks": sort(_blocks_of[category] | _source_blocks_of[category]),
})]

_relied_consents(r) := [] if {
	r.consent_regime == null
} else := ids if {
	ids := sort({c.id | some c in data.hoi.consent.valid(r.consent_regime, r.category)})
}

_permitted_reason(r) := data.hoi.reason.build(r.rule_id, "permitted", {})

_obligations(true) := ["log_to_citizen", "flag_override_in_citizen_log"]

_obligations(false) := ["log_to_citizen"]

# In the order of the route set, the order failures are explained in.
_route_failures(category) := [reason |
	some r in data.hoi.routes.route
	r.category == category
	some reason in array.concat(_consent_failures(r), object.get(_no_relation, [[r.rule_id, r.relation]], []))
]

# Refusals (routes.denial) and explanations of other legal paths
# (routes.alternative) for one category, as reasons.
# (Lists are built in the body: the embedded engine cannot schedule a
# comprehension in the head of a rule whose key comes from the body.)
# Every denial refuses every asked category, so one look says whether any does.
_refused if count(data.hoi.routes.denial) > 0

_denials[category] := found if {
	some category in _asked
	found := [object.remove(d, ["category"]) | some d in data.hoi.routes.denial; d.category == category]
}

# (Only categories with alternatives have an entry.)
_alternatives[category] := found if {
	some category in {a.category | some a in data.hoi.routes.alternative}
	found := [object.remove(a, ["category"]) | some a in data.hoi.routes.alternative; a.category == category]
}

_is_blocked(category) if {
	_blocks_in_force
	count(_blocks_of[category]) > 0
	not _override_allowed(category)
}

_overridden(category) if {
	_blocks_in_force
	count(_blocks_of[category] | _source_blocks_of[category]) > 0
	_override_allowed(category)
}

_override_flag(category) if {
	_overridden(category)
} else := false

# The outcome for one category, in order of precedence.
outcome(category) := _deny(category, [_unknown_role_reason]) if {
	_unknown_role
} else := _deny(category, [_missing_fact_reason]) if {
	count(_missing_facts) > 0
} else := _deny(category, [_unknown_category_reason(category)]) if {
	not data.hoi.config.categories[category]
} else := _deny(category, _denials[category]) if {
	_refused
} else := _blocked_outcome(category) if {
	_is_blocked(category)
} else := _deny_relying(category, [data.hoi.consent.objection_reason(category)], {
	"consents": [],
	"objections": sort(_objections_of[category]),
	"blocks": [],
}) if {
	_objections_of[category]
} else := _deny(category, array.concat([_no_route_reason(category)], object.get(_alternatives, category, []))) if {
	not category in _routed
} else := _permit(category, _permit_route[category]) if {
	_permit_route[category]
} else := _deny(category, array.concat(_route_failures(category), object.get(_alternatives, category, [])))
