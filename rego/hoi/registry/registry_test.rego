package hoi.registry_test

import data.hoi.registry

_caseworker(relations) := {
	"subject": {
		"id": "cw-1",
		"role": "municipal_caseworker",
		"organisation": {"type": "municipality", "id": "851-family"},
	},
	"context": {"purpose": "social_case_work", "date": "2026-11-26"},
	"facts": {"relations": relations},
}

_open_case := {"type": "case", "organisation_id": "851-family", "date": null, "ended_on": null, "active": true}

test_caseworker_with_open_case_may_read if {
	answer := registry.access with input as _caseworker([_open_case])
	answer == {"allowed": true, "rule_id": "REG-ACTIVE-RELATION", "reasons": []}
}

test_caseworker_without_case_is_refused if {
	answer := registry.access with input as _caseworker([])
	answer.allowed == false
	[reason] := answer.reasons
	reason.code == "no_relation"
	reason.relation == "open_case"
}

test_case_in_another_unit_does_not_count if {
	other := object.union(_open_case, {"organisation_id": "787-family"})
	not registry.allowed with input as _caseworker([other])
}

test_unknown_role_is_refused if {
	unknown := object.union(_caseworker([_open_case]), {"subject": {
		"id": "x",
		"role": "janitor",
		"organisation": {"type": "municipality", "id": "851-family"},
	}})
	answer := registry.access with input as unknown
	answer.allowed == false
	answer.reasons[0].relation == null
}
