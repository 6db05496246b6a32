package hoi.consent_test

import data.hoi.consent

_child := {"cpr": "child", "age": 15, "custody_holders": ["mother", "father"]}

_consent(id, giver, capacity) := {
	"id": id,
	"regime": "sul-43-1",
	"giver": giver,
	"capacity": capacity,
	"categories": ["psychiatry_appointments"],
	"recipient": {"organisation_type": "municipality", "organisation_id": null},
	"purposes": [],
	"form": "written",
	"given_on": "2026-04-01",
	"valid_until": "2027-03-31",
	"revoked_at": null,
	"superseded_by": null,
}

_input(child, consents) := {
	"subject": {
		"id": "cw",
		"role": "municipal_caseworker",
		"organisation": {"type": "municipality", "id": "851-family", "part_of": ["851"]},
	},
	"context": {"purpose": "social_case_work", "date": "2026-11-26"},
	"child": child,
	"facts": {"consents": consents, "objections": [], "blocks": [], "relations": []},
}

_parents := [_consent("c-mother", "mother", "custody_holder"), _consent("c-father", "father", "custody_holder")]

# The consent settings with another custody_holder_consent_lapses_at_self_consent_age.
_lapse_setting(per_regime) := object.union(
	data.hoi.config.consent,
	{"custody_holder_consent_lapses_at_self_consent_age": per_regime},
)

test_custody_holders_consents_stop_counting_at_15_by_default if {
	status := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(_child, _parents)
	status == {"satisfied": false, "missing": ["child"], "expired": [], "relied_on": []}
}

test_custody_holders_consents_outlive_15_where_the_regime_says_so if {
	config := _lapse_setting({"sul-43-1": false})
	doc := _input(_child, _parents)
	status := consent.status("sul-43-1", "psychiatry_appointments") with input as doc
		with data.hoi.config.consent as config
	status == {"satisfied": true, "missing": [], "expired": [], "relied_on": ["c-father", "c-mother"]}
}

test_a_regime_the_setting_does_not_name_lapses if {
	config := _lapse_setting({"fvl-28-2-1": false})
	not consent.custody_consent_outlives_self_consent_age("sul-43-1") with data.hoi.config.consent as config
}

test_a_replaced_consent_does_not_count if {
	young := object.union(_child, {"age": 12})
	replaced := object.union(_consent("c-mother-old", "mother", "custody_holder"), {"superseded_by": "c-mother"})
	consents := [replaced, _consent("c-father", "father", "custody_holder")]
	status := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(young, consents)
	status == {"satisfied": false, "missing": ["mother"], "expired": [], "relied_on": []}
}

test_a_consent_lapses_a_year_after_it_was_given_whatever_end_it_names if {
	young := object.union(_child, {"age": 12})
	old := {"given_on": "2025-11-26", "valid_until": "2026-12-31"}
	consents := [
		object.union(_consent("c-mother", "mother", "custody_holder"), old),
		object.union(_consent("c-father", "father", "custody_holder"), old),
	]
	status := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(young, consents)
	status == {"satisfied": false, "missing": ["father", "mother"], "expired": ["c-father", "c-mother"], "relied_on": []}
}

test_a_consent_counts_on_the_last_day_of_its_year if {
	young := object.union(_child, {"age": 12})
	old := {"given_on": "2025-11-27", "valid_until": "2026-11-26"}
	consents := [
		object.union(_consent("c-mother", "mother", "custody_holder"), old),
		object.union(_consent("c-father", "father", "custody_holder"), old),
	]
	status := consent.status("sul-43-1", "psychiatry_appointments") with input as _input(young, consents)
	status == {"satisfied": true, "missing": [], "expired": [], "relied_on": ["c-father", "c-mother"]}
}
