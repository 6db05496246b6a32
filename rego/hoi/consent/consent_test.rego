package hoi.consent_test

import data.hoi.consent

_today := "2026-11-26"

_consent(id, giver, from, until) := {
	"id": id,
	"regime": "sul-43-1",
	"giver": giver,
	"categories": ["psychiatry_appointments"],
	"recipient": {"organisation_type": "municipality", "organisation_id": null},
	"purposes": [],
	"form": "written",
	"valid_from": from,
	"valid_until": until,
	"revoked_at": null,
}

_input(age, consents, objections) := {
	"subject": {
		"id": "cw",
		"role": "municipal_caseworker",
		"organisation": {"type": "municipality", "id": "851-family", "part_of": ["851"]},
	},
	"context": {"purpose": "social_case_work", "date": _today},
	"child": {"cpr": "child", "age": age, "custody_holders": ["mother", "father"]},
	"facts": {"consents": consents, "objections": objections, "blocks": [], "relations": []},
}

test_custody_holders_decide_under_fifteen if {
	consent.entitled == {"mother", "father"} with input as _input(14, [], [])
}

test_child_decides_alone_from_fifteen if {
	consent.entitled == {"child"} with input as _input(15, [], [])
}

test_all_custody_holders_must_consent_by_default if {
	result := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(
		9,
		[_consent("c1", "mother", "2026-06-01", "2027-05-31")],
		[],
	)
	result == {"satisfied": false, "missing": ["father"], "expired": [], "relied_on": []}
}

test_any_rule_needs_one_custody_holder if {
	result := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(
		9,
		[_consent("c1", "mother", "2026-06-01", "2027-05-31")],
		[],
	)
		with data.hoi.config.consent.joint_custody_rule as "any"
	result == {"satisfied": true, "missing": [], "expired": [], "relied_on": ["c1"]}
}

test_deny_when_consent_older_than_one_year if {
	old := [
		_consent("c1", "mother", "2025-06-01", "2026-12-31"),
		_consent("c2", "father", "2025-06-01", "2026-12-31"),
	]
	result := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(11, old, [])
	result == {"satisfied": false, "missing": ["father", "mother"], "expired": ["c1", "c2"], "relied_on": []}
}

test_revoked_consent_does_not_count if {
	revoked := object.union(_consent("c1", "mother", "2026-06-01", "2027-05-31"), {"revoked_at": "2026-11-26T08:00:00Z"})
	result := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(
		9,
		[revoked, _consent("c2", "father", "2026-06-01", "2027-05-31")],
		[],
	)
	result.missing == ["mother"]
}

test_oral_consent_does_not_meet_written_regime if {
	oral := object.union(_consent("c1", "child", "2026-06-01", "2027-05-31"), {"form": "oral"})
	result := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(16, [oral], [])
	result.satisfied == false
}

test_objection_counts_only_from_entitled_person if {
	objections := [{"id": "o1", "person": "mother", "categories": [], "recipient": null, "withdrawn_at": null}]
	consent.objections("psychiatry_appointments") == {"o1"} with input as _input(12, [], objections)
	consent.objections("psychiatry_appointments") == set() with input as _input(16, [], objections)
}
