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
	"child": {"cpr": "child", "age": 12, "custody_holders": ["mother"]},
	"facts": {"consents": [], "objections": [], "blocks": [], "relations": []},
}

test_unknown_role_denies_every_category if {
	result := decision.result with input as _input("teacher", "municipality", ["psychiatry_appointments"])
	outcome := result.categories.psychiatry_appointments
	outcome.decision == "deny"
	[r.code | some r in outcome.reasons] == ["unknown_role"]
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
		"valid_from": "2026-06-01", "valid_until": "2027-05-31", "revoked_at": null,
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
