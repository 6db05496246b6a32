package hoi.consent_test

import data.hoi.consent

_today := "2026-11-26"

_consent(id, giver, from, until) := {
	"id": id,
	"regime": "sul-43-1",
	"giver": giver,
	"categories": ["psychiatry_appointments"],
	"recipient": {"organisation_type": null, "organisation_id": "851-family"},
	"purposes": [],
	"form": "written",
	"capacity": "custody_holder",
	"given_on": from,
	"valid_until": until,
	"revoked_at": null,
	"superseded_by": null,
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
	result == {
		"satisfied": false,
		"missing": ["father"],
		"expired": [],
		"unnamed_recipient": [],
		"relied_on": [],
	}
}

test_any_rule_needs_one_custody_holder if {
	result := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(
		9,
		[_consent("c1", "mother", "2026-06-01", "2027-05-31")],
		[],
	)
		with data.hoi.config.consent.joint_custody_rule as "any"
	result == {"satisfied": true, "missing": [], "expired": [], "unnamed_recipient": [], "relied_on": ["c1"]}
}

test_deny_when_consent_older_than_one_year if {
	old := [
		_consent("c1", "mother", "2025-06-01", "2026-12-31"),
		_consent("c2", "father", "2025-06-01", "2026-12-31"),
	]
	result := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(11, old, [])
	result == {
		"satisfied": false,
		"missing": ["father", "mother"],
		"expired": ["c1", "c2"],
		"unnamed_recipient": [],
		"relied_on": [],
	}
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

# --- the registry: consents that outlive 15, replaced consents, the one-year cap ---

_fifteen := {"cpr": "child", "age": 15, "custody_holders": ["mother", "father"]}

_recorded_consent(id, giver, capacity) := {
	"id": id,
	"regime": "sul-43-1",
	"giver": giver,
	"capacity": capacity,
	"categories": ["psychiatry_appointments"],
	"recipient": {"organisation_type": null, "organisation_id": "851-family"},
	"purposes": [],
	"form": "written",
	"given_on": "2026-04-01",
	"valid_until": "2027-03-31",
	"revoked_at": null,
	"superseded_by": null,
}

_registry_input(child, consents) := {
	"subject": {
		"id": "cw",
		"role": "municipal_caseworker",
		"organisation": {"type": "municipality", "id": "851-family", "part_of": ["851"]},
	},
	"context": {"purpose": "social_case_work", "date": "2026-11-26"},
	"child": child,
	"facts": {"consents": consents, "objections": [], "blocks": [], "relations": []},
}

_parents_consents := [
	_recorded_consent("c-mother", "mother", "custody_holder"),
	_recorded_consent("c-father", "father", "custody_holder"),
]

# The consent settings with another custody_holder_consent_lapses_at_self_consent_age.
_lapse_setting(per_regime) := object.union(
	data.hoi.config.consent,
	{"custody_holder_consent_lapses_at_self_consent_age": per_regime},
)

test_custody_holders_consents_stop_counting_at_15_by_default if {
	doc := _registry_input(_fifteen, _parents_consents)
	status := consent.status("sul-43-1", "psychiatry_appointments") with input as doc
	status == {
		"satisfied": false,
		"missing": ["child"],
		"expired": [],
		"unnamed_recipient": [],
		"relied_on": [],
	}
}

test_custody_holders_consents_outlive_15_where_the_regime_says_so if {
	config := _lapse_setting({"sul-43-1": false})
	doc := _registry_input(_fifteen, _parents_consents)
	status := consent.status("sul-43-1", "psychiatry_appointments") with input as doc
		with data.hoi.config.consent as config
	status == {
		"satisfied": true,
		"missing": [],
		"expired": [],
		"unnamed_recipient": [],
		"relied_on": ["c-father", "c-mother"],
	}
}

test_a_regime_the_setting_does_not_name_lapses if {
	config := _lapse_setting({"fvl-28-2-1": false})
	not consent.custody_consent_outlives_self_consent_age("sul-43-1") with data.hoi.config.consent as config
}

test_a_replaced_consent_does_not_count if {
	young := object.union(_fifteen, {"age": 12})
	replaced := object.union(_recorded_consent("c-mother-old", "mother", "custody_holder"), {"superseded_by": "c-mother"})
	consents := [replaced, _recorded_consent("c-father", "father", "custody_holder")]
	status := consent.status("sul-43-1", "psychiatry_appointments") with input as _registry_input(young, consents)
	status == {
		"satisfied": false,
		"missing": ["mother"],
		"expired": [],
		"unnamed_recipient": [],
		"relied_on": [],
	}
}

test_a_consent_lapses_a_year_after_it_was_given_whatever_end_it_names if {
	young := object.union(_fifteen, {"age": 12})
	old := {"given_on": "2025-11-26", "valid_until": "2026-12-31"}
	consents := [
		object.union(_recorded_consent("c-mother", "mother", "custody_holder"), old),
		object.union(_recorded_consent("c-father", "father", "custody_holder"), old),
	]
	status := consent.status("sul-43-1", "psychiatry_appointments") with input as _registry_input(young, consents)
	status == {
		"satisfied": false,
		"missing": ["father", "mother"],
		"expired": ["c-father", "c-mother"],
		"unnamed_recipient": [],
		"relied_on": [],
	}
}

test_a_consent_counts_on_the_last_day_of_its_year if {
	young := object.union(_fifteen, {"age": 12})
	old := {"given_on": "2025-11-27", "valid_until": "2026-11-26"}
	consents := [
		object.union(_recorded_consent("c-mother", "mother", "custody_holder"), old),
		object.union(_recorded_consent("c-father", "father", "custody_holder"), old),
	]
	status := consent.status("sul-43-1", "psychiatry_appointments") with input as _registry_input(young, consents)
	status == {
		"satisfied": true,
		"missing": [],
		"expired": [],
		"unnamed_recipient": [],
		"relied_on": ["c-father", "c-mother"],
	}
}

_to(recipient) := [object.union(_consent(id, giver, "2026-06-01", "2027-05-31"), {"recipient": recipient}) |
	some [id, giver] in [["c1", "mother"], ["c2", "father"]]
]

test_consent_to_the_municipality_covers_its_department if {
	consents := _to({"organisation_type": null, "organisation_id": "851"})
	result := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(9, consents, [])
	result.satisfied
}

test_consent_to_another_unit_does_not_count if {
	consents := _to({"organisation_type": null, "organisation_id": "851-ppr"})
	result := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(9, consents, [])
	not result.satisfied
}

test_consent_to_a_kind_of_organisation_is_refused_with_its_reason if {
	consents := _to({"organisation_type": "municipality", "organisation_id": null})
	result := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(9, consents, [])
	result == {
		"satisfied": false,
		"missing": ["father", "mother"],
		"expired": [],
		"unnamed_recipient": ["c1", "c2"],
		"relied_on": [],
	}
}

test_objection_to_a_kind_of_organisation_still_counts if {
	objection := {
		"id": "o1", "person": "father", "categories": [], "withdrawn_at": null,
		"recipient": {"organisation_type": "municipality", "organisation_id": null},
	}
	consent.objections("psychiatry_appointments") == {"o1"} with input as _input(9, [], [objection])
}
