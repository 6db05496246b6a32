package hoi.staff_test

import data.hoi.staff

_entry(id, org, status) := {
	"id": id, "role": "bup_psychiatrist", "organisation_id": org,
	"authorisation": {"id": "AB12C", "profession": "Læge", "status": status},
}

_doc(hp, found) := {
	"subject": {
		"id": "u1", "role": "bup_psychiatrist", "health_professional": hp,
		"organisation": {"type": "region_psychiatry", "id": "bup-a", "part_of": []},
	},
	"facts": {"staff": {"subject": found, "acting_for": null}},
}

test_a_registered_authorisation_confirms_the_claim if {
	staff.health_professional with input as _doc(true, _entry("u1", "bup-a", "valid"))
	not staff.health_professional_unconfirmed with input as _doc(true, _entry("u1", "bup-a", "valid"))
}

test_no_claim_no_health_professional if {
	not staff.health_professional with input as _doc(false, _entry("u1", "bup-a", "valid"))
	not staff.health_professional_unconfirmed with input as _doc(false, _entry("u1", "bup-a", "valid"))
}

test_an_authorisation_at_another_organisation_does_not_count if {
	not staff.health_professional with input as _doc(true, _entry("u1", "bup-b", "valid"))
	staff.health_professional_unconfirmed with input as _doc(true, _entry("u1", "bup-b", "valid"))
}

test_someone_elses_entry_does_not_count if {
	not staff.health_professional with input as _doc(true, _entry("u2", "bup-a", "valid"))
}

test_a_suspended_or_revoked_authorisation_does_not_count if {
	not staff.health_professional with input as _doc(true, _entry("u1", "bup-a", "suspended"))
	not staff.health_professional with input as _doc(true, _entry("u1", "bup-a", "revoked"))
}

test_without_the_staff_facts_nothing_is_confirmed if {
	doc := json.remove(_doc(true, _entry("u1", "bup-a", "valid")), ["facts/staff"])
	not staff.health_professional with input as doc
	staff.health_professional_unconfirmed with input as doc
}

test_a_request_naming_a_clinician_confirms_nothing_by_itself if {
	doc := json.patch(_doc(false, null), [{
		"op": "add", "path": "/subject/acting_for",
		"value": {"id": "p1", "role": "bup_psychiatrist", "health_professional": true, "asserted_by": "request"},
	}])
	not staff.acting_for with input as doc
}
