package hoi.decision_test

import data.hoi.decision

_input(role, org_type, categories) := {
	"subject": {
		"id": "u1", "role": role, "health_professional": false,
		"organisation": {"type": org_type, "id": "851-family", "part_of": ["851"]},
	},
	"action": "view",
	"resource": {"categories": categories},
	"context": {"purpose": "social_case_work", "date": "2026-11-26"},
	"child": {"cpr": "child", "age": 12, "custody_holders": ["mother"], "municipality": "851"},
	"facts": {"consents": [], "objections": [], "blocks": [], "relations": [_case]},
}

_case := {"type": "case", "organisation_id": "851-family", "date": "2026-09-01", "ended_on": null, "active": true}

test_unknown_role_denies_every_category if {
	result := decision.result with input as _input("teacher", "municipality", ["psychiatry_appointments"])
	outcome := result.categories.psychiatry_appointments
	outcome.decision == "deny"
	[r.code | some r in outcome.reasons] == ["unknown_role"]
}

test_unknown_category_has_its_own_code if {
	result := decision.result with input as _input("municipal_caseworker", "municipality", ["horoscope"])
	result.categories.horoscope.reasons == [{
		"code": "unknown_category",
		"rule_id": "DENY-UNKNOWN-CATEGORY",
		"legal_basis": ["sul-40-1", "fvl-27-1"],
		"message": "The data category horoscope is not in the catalogue.",
	}]
}

test_missing_age_is_missing_fact if {
	full := _input("municipal_caseworker", "municipality", ["psychiatry_appointments"])
	doc := json.remove(full, ["child/age"])
	result := decision.result with input as doc
	[r.code | some r in result.categories.psychiatry_appointments.reasons] == ["missing_fact"]
}

test_missing_consent_names_the_custody_holder if {
	result := decision.result with input as _input("municipal_caseworker", "municipality", ["psychiatry_appointments"])
	reason := result.categories.psychiatry_appointments.reasons[0]
	reason.code == "missing_consent"
	reason.missing == [{"person": "mother", "capacity": "custody_holder"}]
	reason.legal_basis == ["sul-43-1", "sul-44"]
}

test_permit_with_written_consent if {
	consent := {
		"id": "c1", "regime": "sul-43-1", "giver": "mother", "categories": ["psychiatry_appointments"],
		"recipient": {"organisation_type": null, "organisation_id": "851"}, "purposes": [], "form": "written",
		"capacity": "custody_holder", "given_on": "2026-06-01", "valid_until": "2027-05-31",
		"revoked_at": null, "superseded_by": null,
	}
	doc := json.patch(
		_input("municipal_caseworker", "municipality", ["psychiatry_appointments"]),
		[{"op": "add", "path": "/facts/consents/-", "value": consent}],
	)
	outcome := decision.result.categories.psychiatry_appointments with input as doc
	outcome.decision == "permit"
	outcome.rule_id == "SUL-43-1-CONSENT"
	outcome.relied_on.consents == ["c1"]
	outcome.fields == ["date", "time", "department", "status"]
}

test_block_on_requester_denies if {
	block := {
		"id": "b1", "target": {"kind": "organisation", "id": "851", "include_sub_units": true},
		"categories": [], "valid_from": "2026-01-01", "valid_until": null, "lifted_at": null,
	}
	doc := json.patch(
		_input("municipal_caseworker", "municipality", ["psychiatry_appointments"]),
		[{"op": "add", "path": "/facts/blocks/-", "value": block}],
	)
	outcome := decision.result.categories.psychiatry_appointments with input as doc
	[r.code | some r in outcome.reasons] == ["blocked"]
}

test_no_route_is_no_legal_basis if {
	result := decision.result with input as _input("municipal_caseworker", "municipality", ["school_daycare"])
	[r.code | some r in result.categories.school_daycare.reasons] == ["no_legal_basis"]
}

# --- blocks on data sources, overrides, what a deny relied on ---

_consent(giver, regime, category, recipient) := {
	"id": sprintf("c-%s", [giver]),
	"regime": regime,
	"giver": giver,
	"capacity": "custody_holder",
	"categories": [category],
	"recipient": {"organisation_type": null, "organisation_id": recipient},
	"purposes": [],
	"form": "written",
	"given_on": "2026-09-01",
	"valid_until": "2027-08-31",
	"revoked_at": null,
	"superseded_by": null,
}

_block(id, kind, target, sub_units) := {
	"id": id,
	"target": {"kind": kind, "id": target, "include_sub_units": count(sub_units) > 0, "sub_units": sub_units},
	"categories": [],
	"valid_from": "2026-11-01",
	"valid_until": null,
	"lifted_at": null,
}

_child := {
	"cpr": "child", "age": 12, "custody_holders": ["mother", "father"],
	"municipality": "851", "registered_gp": "gp-x",
}

_caseworker := {
	"id": "cw-1",
	"role": "municipal_caseworker",
	"organisation": {"type": "municipality", "id": "851-family", "part_of": ["851"]},
	"health_professional": false,
}

# A caseworker asks for psychiatry appointments; both parents gave a § 43 consent.
_caseworker_base := {
	"subject": _caseworker,
	"action": "view",
	"resource": {"categories": ["psychiatry_appointments"]},
	"context": {"purpose": "social_case_work", "date": "2026-11-26", "case_reference": null, "override": null},
	"child": _child,
	"facts": {
		"consents": [_consent(p, "sul-43-1", "psychiatry_appointments", "851-family") | some p in ["mother", "father"]],
		"objections": [],
		"blocks": [],
		"relations": [_case],
	},
}

# `doc` with these blocks and this override request.
_with(doc, blocks, override) := object.union(doc, {
	"facts": object.union(doc.facts, {"blocks": blocks}),
	"context": object.union(doc.context, {"override": override}),
})

_gp := {
	"id": "gp-1",
	"role": "gp",
	"organisation": {"type": "gp_clinic", "id": "gp-x", "part_of": []},
	"health_professional": true,
}

_gp_relations := [{
	"type": "consultation",
	"organisation_id": "gp-x",
	"date": "2026-11-26",
	"ended_on": null,
	"active": true,
}]

# The child's GP, with a consultation today, asks for municipal contacts; both
# parents gave a Forvaltningslov § 28 consent.
_gp_base := {
	"subject": _gp,
	"action": "view",
	"resource": {"categories": ["municipal_contacts"]},
	"context": {"purpose": "current_treatment", "date": "2026-11-26", "case_reference": null, "override": null},
	"child": _child,
	"facts": {
		"consents": [_consent(p, "fvl-28-2-1", "municipal_contacts", "gp-x") | some p in ["mother", "father"]],
		"objections": [],
		"blocks": [],
		"relations": _gp_relations,
		"staff": {"subject": _gp_registered, "acting_for": null},
	},
}

# The staff register shows the GP at the clinic with a valid authorisation.
_gp_registered := {
	"id": "gp-1",
	"role": "gp",
	"organisation_id": "gp-x",
	"authorisation": {"id": "AB12C", "profession": "Læge", "status": "valid"},
}

_weighty := {"grounds": "citizen_unreachable", "reason": "Acute crisis, the family cannot be reached."}

test_source_block_withholds_that_department_and_lists_the_block if {
	blocks := [_block("b-ward", "source_organisation", "bup-rn-aalborg-sengeafsnit", [])]
	outcome := decision.result.categories.psychiatry_appointments with input as _with(_caseworker_base, blocks, null)
	outcome == {
		"category": "psychiatry_appointments",
		"decision": "permit",
		"fields": ["date", "time", "department", "status"],
		"rule_id": "SUL-43-1-CONSENT",
		"legal_basis": ["sul-43-1", "sul-44"],
		"reasons": [
			{
				"code": "permitted",
				"rule_id": "SUL-43-1-CONSENT",
				"legal_basis": ["sul-43-1", "sul-44"],
				"message": "Permitted: every requirement of this legal route is met.",
			},
			{
				"code": "relation",
				"rule_id": "MUN-CASE-IN-CHILDS-MUNICIPALITY",
				"legal_basis": ["sul-43-1", "rsl-9"],
				"message": concat(" ", [
					"The requester's unit has an open case on the child",
					"in the municipality responsible for the child.",
				]),
			},
			{
				"code": "consent_given",
				"rule_id": "FAL-CUSTODY-CONSENT",
				"legal_basis": ["sul-14", "fal-2", "fal-3-1"],
				"message": "The custody holders consented for a child under 15 (rule: all).",
			},
			{
				"code": "withheld_by_block",
				"rule_id": "BLOCK-SOURCE-ORGANISATION",
				"legal_basis": ["sul-42a-5", "sul-41-3"],
				"message": "Some records are withheld at the family's request: the family has blocked their source.",
				"organisations": ["bup-rn-aalborg-sengeafsnit"],
				"blocks": ["b-ward"],
			},
		],
		"relied_on": {"consents": ["c-father", "c-mother"], "objections": [], "blocks": ["b-ward"]},
		"override": false,
		"override_possible": false,
		"obligations": ["log_to_citizen"],
		"exclude_organisations": ["bup-rn-aalborg-sengeafsnit"],
	}
}

test_source_block_with_sub_units_withholds_every_unit if {
	blocks := [_block("b-bup", "source_organisation", "bup-rn", ["bup-rn-hjoerring", "bup-rn-thisted"])]
	outcome := decision.result.categories.psychiatry_appointments with input as _with(_caseworker_base, blocks, null)
	outcome.exclude_organisations == ["bup-rn", "bup-rn-hjoerring", "bup-rn-thisted"]
}

test_block_deny_lists_the_block_relied_on if {
	blocks := [_block("b-family", "organisation", "851-family", [])]
	outcome := decision.result.categories.psychiatry_appointments with input as _with(_caseworker_base, blocks, null)
	outcome.decision == "deny"
	outcome.relied_on == {"consents": [], "objections": [], "blocks": ["b-family"]}
	outcome.reasons[0].override_refused == false
	outcome.reasons[0].override_refusal == null
}

test_municipal_user_can_never_override if {
	blocks := [_block("b-family", "organisation", "851-family", [])]
	override := {"grounds": "citizen_consents", "reason": "The mother agreed on the phone."}
	doc := _with(_caseworker_base, blocks, override)
	outcome := decision.result.categories.psychiatry_appointments with input as doc
	outcome.decision == "deny"
	outcome.override == false
	outcome.reasons[0].override_refusal == "Municipal users can never override a citizen's block."
}

test_municipal_user_claiming_health_authorisation_still_cannot_override if {
	subject := object.union(_caseworker, {"health_professional": true})
	doc := _with(object.union(_caseworker_base, {"subject": subject}), [], _weighty)
	not decision._override_allowed("psychiatry_appointments") with input as doc
}

test_blank_override_reason_is_refused if {
	blank := {"grounds": "citizen_unreachable", "reason": "   "}
	not decision._override_allowed("psychiatry_appointments") with input as _with(_gp_base, [], blank)
	refusal := decision._override_refusal("psychiatry_appointments") with input as _with(_gp_base, [], blank)
	refusal == "An override needs its grounds and a stated weighty reason."
}

test_health_professional_with_reason_may_override if {
	decision._override_allowed("psychiatry_appointments") with input as _with(_gp_base, [], _weighty)
}

test_a_gp_whose_authorisation_the_register_does_not_confirm_cannot_override if {
	suspended := json.patch(_gp_base, [{
		"op": "replace", "path": "/facts/staff/subject/authorisation/status",
		"value": "suspended",
	}])
	not decision._override_allowed("psychiatry_appointments") with input as _with(suspended, [], _weighty)
	refusal := decision._override_refusal("psychiatry_appointments") with input as _with(suspended, [], _weighty)
	refusal == "Only an authorised health professional may override a citizen's block."
}

test_no_one_overrides_a_block_on_municipal_data if {
	not decision._override_allowed("municipal_contacts") with input as _with(_gp_base, [], _weighty)
	refusal := decision._override_refusal("municipal_contacts") with input as _with(_gp_base, [], _weighty)
	startswith(refusal, "A block on municipal or school data stands for everyone")
}

test_override_does_not_lift_a_source_block_on_municipal_data if {
	blocks := [_block("b-unit", "source_organisation", "851-family", [])]
	outcome := decision.result.categories.municipal_contacts with input as _with(_gp_base, blocks, _weighty)
	outcome.decision == "permit"
	outcome.override == false
	outcome.exclude_organisations == ["851-family"]
	outcome.obligations == ["log_to_citizen"]
	[r.code | some r in outcome.reasons] == ["permitted", "relation", "consent_given", "withheld_by_block"]
}

test_without_override_the_same_source_block_withholds_the_unit if {
	blocks := [_block("b-unit", "source_organisation", "851-family", [])]
	outcome := decision.result.categories.municipal_contacts with input as _with(_gp_base, blocks, null)
	outcome.decision == "permit"
	outcome.override == false
	outcome.exclude_organisations == ["851-family"]
}

test_override_without_a_block_is_not_flagged if {
	outcome := decision.result.categories.municipal_contacts with input as _with(_gp_base, [], _weighty)
	outcome.decision == "permit"
	outcome.override == false
	outcome.obligations == ["log_to_citizen"]
}

# --- whether an override is possible, and the policy's answer to one ---

# The child's GP, with a consultation today, looks up psychiatry appointments
# for the current treatment (Sundhedsloven § 42 a, stk. 1).
_gp_lookup := object.union(_gp_base, {
	"resource": {"categories": ["psychiatry_appointments"]},
	"facts": object.union(_gp_base.facts, {"consents": []}),
})

test_source_block_on_a_gp_lookup_says_an_override_is_possible if {
	blocks := [_block("b-ward", "source_organisation", "bup-rn-aalborg-sengeafsnit", [])]
	outcome := decision.result.categories.psychiatry_appointments with input as _with(_gp_lookup, blocks, null)
	outcome.decision == "permit"
	outcome.exclude_organisations == ["bup-rn-aalborg-sengeafsnit"]
	outcome.override_possible == true
}

test_block_on_the_gp_says_an_override_is_possible if {
	blocks := [_block("b-gp", "organisation", "gp-x", [])]
	outcome := decision.result.categories.psychiatry_appointments with input as _with(_gp_lookup, blocks, null)
	outcome.decision == "deny"
	outcome.override_possible == true
}

test_no_block_no_override_possible if {
	outcome := decision.result.categories.psychiatry_appointments with input as _with(_gp_lookup, [], null)
	outcome.decision == "permit"
	outcome.override_possible == false
}

test_caseworker_is_never_told_an_override_is_possible if {
	source := [_block("b-ward", "source_organisation", "bup-rn-aalborg-sengeafsnit", [])]
	on_source := decision.result.categories.psychiatry_appointments with input as _with(_caseworker_base, source, null)
	on_source.override_possible == false
	own := [_block("b-family", "organisation", "851-family", [])]
	on_own := decision.result.categories.psychiatry_appointments with input as _with(_caseworker_base, own, null)
	on_own.decision == "deny"
	on_own.override_possible == false
}

test_override_not_possible_where_no_route_would_permit if {
	blocks := [_block("b-gp", "organisation", "gp-x", [])]
	no_consultation := object.union(_gp_lookup, {"facts": object.union(_gp_lookup.facts, {"relations": []})})
	outcome := decision.result.categories.psychiatry_appointments with input as _with(no_consultation, blocks, null)
	outcome.decision == "deny"
	outcome.override_possible == false
}

test_result_says_no_override_was_asked if {
	answer := decision.result.override with input as _with(_gp_lookup, [], null)
	answer == {"requested": false, "allowed": false, "refusal": null}
}

test_result_says_an_override_was_allowed if {
	answer := decision.result.override with input as _with(_gp_lookup, [], _weighty)
	answer == {"requested": true, "allowed": true, "refusal": null}
}

test_result_says_why_an_override_was_refused if {
	override := {"grounds": "citizen_consents", "reason": "The mother agreed on the phone."}
	answer := decision.result.override with input as _with(_caseworker_base, [], override)
	answer == {
		"requested": true,
		"allowed": false,
		"refusal": "Municipal users can never override a citizen's block.",
	}
}

test_result_echoes_the_request_nonce if {
	doc := object.union(_input("teacher", "municipality", ["school_daycare"]), {"request": {"nonce": "n-1"}})
	result := decision.result with input as doc
	result.nonce == "n-1"
}

test_result_without_a_nonce_echoes_null if {
	result := decision.result with input as _input("teacher", "municipality", ["school_daycare"])
	result.nonce == null
}

test_type_only_consent_recorded_before_is_refused_with_its_reason if {
	typed := [object.union(c, {"recipient": {"organisation_type": "municipality", "organisation_id": null}}) |
		some c in _caseworker_base.facts.consents
	]
	doc := object.union(_caseworker_base, {"facts": object.union(_caseworker_base.facts, {"consents": typed})})
	outcome := decision.result.categories.psychiatry_appointments with input as doc
	outcome.decision == "deny"
	[r.code | some r in outcome.reasons] == [
		"consent_recipient_not_named", "missing_consent",
		"health_professional_required", "request_from_holder",
	]
	outcome.reasons[0].consents == ["c-father", "c-mother"]
}

test_gp_outside_the_window_is_denied_with_the_days_outside if {
	booked := json.patch(_gp_base, [{"op": "replace", "path": "/facts/relations/0/date", "value": "2026-12-20"}])
	outcome := decision.result.categories.municipal_contacts with input as booked
	outcome == {
		"category": "municipal_contacts",
		"decision": "deny",
		"exclude_organisations": [],
		"fields": [],
		"legal_basis": [],
		"obligations": [],
		"override": false,
		"override_possible": false,
		"reasons": [{
			"code": "no_relation",
			"days_outside_window": 10,
			"legal_basis": ["fvl-28-2-1", "sul-42a-1"],
			"message": "The requester has no active relation to the child (gp_consultation needed).",
			"relation": "gp_consultation",
			"rule_id": "FVL-28-GP-CONSENT",
		}],
		"relied_on": {"blocks": [], "consents": [], "objections": []},
		"rule_id": null,
	}
}

test_no_relation_outside_general_practice_carries_no_days if {
	closed := json.patch(_caseworker_base, [{"op": "replace", "path": "/facts/relations", "value": []}])
	outcome := decision.result.categories.psychiatry_appointments with input as closed
	some reason in outcome.reasons
	reason.code == "no_relation"
	object.keys(reason) == {"code", "legal_basis", "message", "relation", "rule_id"}
}
