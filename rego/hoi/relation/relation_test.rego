package hoi.relation_test

import data.hoi.relation

_input(relations) := {
	"subject": {"id": "gp-1", "role": "gp", "organisation": {"type": "gp_clinic", "id": "clinic-a", "part_of": ["851"]}},
	"context": {"purpose": "treatment_preparation", "date": "2026-11-26"},
	"child": {"registered_gp": "clinic-a", "municipality": "851"},
	"facts": {"relations": relations},
}

_not_registered(relations) := object.union(_input(relations), {"child": {"registered_gp": "clinic-b"}})

_at(type, day, ended_on, active) := {
	"type": type,
	"organisation_id": "clinic-a",
	"date": day,
	"ended_on": ended_on,
	"active": active,
}

_visit(day) := _at("consultation", day, null, true)

test_gp_window_opens_days_before_consultation if {
	relation.active("gp_consultation") with input as _input([_visit("2026-12-10")])
}

test_gp_window_closed_too_early if {
	not relation.active("gp_consultation") with input as _input([_visit("2026-12-11")])
}

test_gp_window_closes_days_after_consultation if {
	relation.active("gp_consultation") with input as _input([_visit("2026-10-27")])
	not relation.active("gp_consultation") with input as _input([_visit("2026-10-26")])
}

test_another_gp_only_on_the_day_of_the_consultation if {
	relation.active("gp_consultation") with input as _not_registered([_visit("2026-11-26")])
	not relation.gp_window_met with input as _not_registered([_visit("2026-11-26")])
	not relation.active("gp_consultation") with input as _not_registered([_visit("2026-11-25")])
	not relation.active("gp_consultation") with input as _not_registered([_visit("2026-11-27")])
}

test_active_referral_is_a_course if {
	relation.active("treatment_course") with input as _input([_at("referral", "2026-10-01", null, true)])
}

test_referral_counts_to_its_last_day if {
	relation.active("treatment_course") with input as _input([_at("referral", "2026-01-01", "2026-11-26", false)])
	not relation.active("treatment_course") with input as _input([_at("referral", "2026-01-01", "2026-11-25", false)])
}

test_appointments_alone_are_no_course if {
	not relation.active("treatment_course") with input as _input([_at("appointment", "2026-11-26", null, true)])
	not relation.active("treatment_course") with input as _input([_at("appointment", "2026-02-01", null, true)])
}

test_open_episode_counts_while_the_last_contact_is_recent if {
	episode := _at("episode", "2025-01-01", null, true)
	relation.active("treatment_course") with input as _input([episode, _at("appointment", "2026-05-30", null, true)])
	not relation.active("treatment_course") with input as _input([episode, _at("appointment", "2026-05-29", null, true)])
	relation.active("treatment_course") with input as _input([_at("episode", "2026-05-30", null, true)])
	not relation.active("treatment_course") with input as _input([_at("episode", "2026-05-29", null, true)])
}

test_closed_episode_is_no_course if {
	closed := _at("episode", "2026-10-01", "2026-11-20", false)
	not relation.active("treatment_course") with input as _input([closed, _at("appointment", "2026-11-20", null, true)])
}

test_treatment_course_must_be_at_own_unit if {
	other := object.union(_at("referral", null, null, true), {"organisation_id": "elsewhere"})
	not relation.active("treatment_course") with input as _input([other])
}

test_municipal_case_needs_the_childs_municipality if {
	case := _at("case", "2026-09-01", null, true)
	relation.active("municipal_case") with input as _input([case])
	not relation.active("municipal_case") with input as object.union(_input([case]), {"child": {"municipality": "787"}})
	not relation.active("municipal_case") with input as json.remove(_input([case]), ["child/municipality"])
}

test_acting_municipality_under_rsl_9_replaces_the_residence if {
	case := _at("case", "2026-09-01", null, true)
	placed := object.union(_input([case]), {"child": {"municipality": "787", "acting_municipality": "851"}})
	relation.active("municipal_case") with input as placed
	elsewhere := object.union(_input([case]), {"child": {"municipality": "851", "acting_municipality": "787"}})
	not relation.active("municipal_case") with input as elsewhere
}

test_closed_case_is_no_relation if {
	not relation.active("open_case") with input as _input([_at("case", "2026-01-01", "2026-11-25", false)])
	relation.active("open_case") with input as _input([_at("case", "2026-01-01", "2026-11-26", false)])
}

test_no_days_outside_inside_the_gp_window if {
	not relation.gp_days_outside_window with input as _input([_visit("2026-12-10")])
	not relation.gp_days_outside_window with input as _input([_visit("2026-10-27")])
	relation.details == {} with input as _input([_visit("2026-12-10")])
}

test_days_outside_before_the_gp_window_opens if {
	relation.gp_days_outside_window == 1 with input as _input([_visit("2026-12-11")])
	relation.gp_days_outside_window == 24 with input as _input([_visit("2027-01-03")])
}

test_days_outside_after_the_gp_window_closes if {
	relation.gp_days_outside_window == 1 with input as _input([_visit("2026-10-26")])
	relation.gp_days_outside_window == 56 with input as _input([_visit("2026-09-01")])
}

test_days_outside_is_the_nearest_consultation if {
	visits := [_visit("2026-09-01"), _visit("2026-12-20"), _visit("2027-03-01")]
	relation.gp_days_outside_window == 10 with input as _input(visits)
	relation.details == {"gp_consultation": {"days_outside_window": 10}} with input as _input(visits)
}

test_days_outside_counts_only_the_gps_own_consultations if {
	elsewhere := object.union(_visit("2026-12-11"), {"organisation_id": "clinic-b"})
	not relation.gp_days_outside_window with input as _input([elsewhere])
	relation.gp_days_outside_window == 1 with input as _input([elsewhere, _visit("2026-10-26")])
}

test_no_days_outside_without_a_dated_consultation if {
	not relation.gp_days_outside_window with input as _input([])
	not relation.gp_days_outside_window with input as _input([_at("consultation", null, null, true)])
	not relation.gp_days_outside_window with input as _input([_at("appointment", "2026-12-20", null, true)])
	relation.details == {} with input as _input([])
}

test_days_outside_for_another_gp_is_from_the_consultation_day if {
	relation.gp_days_outside_window == 3 with input as _not_registered([_visit("2026-11-23")])
	relation.gp_days_outside_window == 2 with input as _not_registered([_visit("2026-11-28")])
	not relation.gp_days_outside_window with input as _not_registered([_visit("2026-11-26")])
}

test_no_days_outside_for_another_gp_when_same_day_does_not_count if {
	not relation.gp_days_outside_window with input as _not_registered([_visit("2026-11-23")])
		with data.hoi.config.relations.same_day_consultation_counts as false
}
