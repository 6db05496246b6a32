package hoi.decision_test

import data.hoi.decision

_consent(giver, regime, category, recipient_type) := {
	"id": sprintf("c-%s", [giver]),
	"regime": regime,
	"giver": giver,
	"capacity": "custody_holder",
	"categories": [category],
	"recipient": {"organisation_type": recipient_type, "organisation_id": null},
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

_child := {"cpr": "child", "age": 12, "custody_holders": ["mother", "father"]}

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
		"consents": [_consent(p, "sul-43-1", "psychiatry_appointments", "municipality") | some p in ["mother", "father"]],
		"objections": [],
		"blocks": [],
		"relations": [],
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

_gp_relations := [
	{"kind": "registered_gp", "organisation_id": "gp-x", "date": null, "active": true, "grade": "B"},
	{"kind": "consultation", "organisation_id": "gp-x", "date": "2026-11-26", "active": true, "grade": "A"},
]

# The child's GP, with a consultation today, asks for municipal contacts; both
# parents gave a Forvaltningslov § 28 consent.
_gp_base := {
	"subject": _gp,
	"action": "view",
	"resource": {"categories": ["municipal_contacts"]},
	"context": {"purpose": "current_treatment", "date": "2026-11-26", "case_reference": null, "override": null},
	"child": _child,
	"facts": {
		"consents": [_consent(p, "fvl-28-2-1", "municipal_contacts", "gp_clinic") | some p in ["mother", "father"]],
		"objections": [],
		"blocks": [],
		"relations": _gp_relations,
	},
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
		"reasons": [{
			"code": "permitted",
			"rule_id": "SUL-43-1-CONSENT",
			"legal_basis": ["sul-43-1", "sul-44"],
			"message": "Permitted: every requirement of this legal route is met.",
		}],
		"relied_on": {"consents": ["c-father", "c-mother"], "objections": [], "blocks": ["b-ward"]},
		"override": false,
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
	not decision.override_allowed with input as _with(object.union(_caseworker_base, {"subject": subject}), [], _weighty)
}

test_blank_override_reason_is_refused if {
	blank := {"grounds": "citizen_unreachable", "reason": "   "}
	not decision.override_allowed with input as _with(_gp_base, [], blank)
	refusal := decision.override_refusal with input as _with(_gp_base, [], blank)
	refusal == "An override needs its grounds and a stated weighty reason."
}

test_health_professional_with_reason_may_override if {
	decision.override_allowed with input as _with(_gp_base, [], _weighty)
}

test_override_of_a_source_block_is_flagged_and_withholds_nothing if {
	blocks := [_block("b-unit", "source_organisation", "851-family", [])]
	outcome := decision.result.categories.municipal_contacts with input as _with(_gp_base, blocks, _weighty)
	outcome.decision == "permit"
	outcome.override == true
	outcome.exclude_organisations == []
	outcome.obligations == ["log_to_citizen", "flag_override_in_citizen_log"]
	outcome.relied_on.blocks == ["b-unit"]
	[r.code | some r in outcome.reasons] == ["permitted", "override"]
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
