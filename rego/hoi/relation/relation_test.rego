package hoi.relation_test

import data.hoi.relation

_input(relations) := {
	"subject": {"id": "gp-1", "role": "gp", "organisation": {"type": "gp_clinic", "id": "clinic-a"}},
	"context": {"purpose": "treatment_preparation", "date": "2026-11-26"},
	"facts": {"relations": relations},
}

_registered := {"kind": "registered_gp", "organisation_id": "clinic-a"}

_visit(day) := {"kind": "consultation", "organisation_id": "clinic-a", "date": day}

test_gp_window_opens_days_before_consultation if {
	relation.active("gp_consultation") with input as _input([_registered, _visit("2026-12-10")])
}

test_gp_window_closed_too_early if {
	not relation.active("gp_consultation") with input as _input([_registered, _visit("2026-12-11")])
}

test_gp_window_closes_days_after_consultation if {
	relation.active("gp_consultation") with input as _input([_registered, _visit("2026-10-27")])
	not relation.active("gp_consultation") with input as _input([_registered, _visit("2026-10-26")])
}

test_consultation_without_registration_is_no_relation if {
	not relation.active("gp_consultation") with input as _input([_visit("2026-11-26")])
}

test_treatment_course_must_be_at_own_unit if {
	course := {"kind": "treatment_course", "organisation_id": "clinic-a", "active": true}
	relation.active("treatment_course") with input as _input([course])
	other := object.union(course, {"organisation_id": "elsewhere"})
	not relation.active("treatment_course") with input as _input([other])
}
