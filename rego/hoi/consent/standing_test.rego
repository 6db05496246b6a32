package hoi.consent_test

import data.hoi.consent

_standing_consent(id, giver, capacity, from, until) := {
	"id": id,
	"regime": "sul-43-1",
	"giver": giver,
	"capacity": capacity,
	"categories": ["psychiatry_appointments"],
	"recipient": {"organisation_type": null, "organisation_id": "851-family"},
	"purposes": [],
	"form": "written",
	"given_on": from,
	"valid_until": until,
	"revoked_at": null,
	"superseded_by": null,
}

_objection(id, person, capacity) := {
	"id": id,
	"person": person,
	"capacity": capacity,
	"categories": [],
	"recipient": null,
	"withdrawn_at": null,
}

_asking(age, consents, objections) := {
	"action": "registry.standing",
	"context": {"date": "2026-11-26"},
	"child": {"cpr": "child", "age": age, "custody_holders": ["mother", "father"]},
	"facts": {"consents": consents, "objections": objections},
}

# The two helpers below ask the policy with a prepared input, so each test reads
# as one line per case.
_status(age, c) := status if {
	# regal ignore:with-outside-test-context
	judged := consent.standing[c.id] with input as _asking(age, [c], [])
	status := object.remove(judged, ["lapsed_at_self_consent_age"])
}

_lapsed(age, c) := lapsed if {
	# regal ignore:with-outside-test-context
	lapsed := consent.standing[c.id].lapsed_at_self_consent_age with input as _asking(age, [c], [])
}

test_a_consent_in_its_period_from_a_custody_holder_is_active if {
	c := _standing_consent("c", "mother", "custody_holder", "2026-06-01", "2027-05-31")
	_status(14, c) == {"status": "active", "why": null}
}

test_revoked_and_replaced_consents_say_so if {
	c := _standing_consent("c", "mother", "custody_holder", "2026-06-01", "2027-05-31")
	_status(14, object.union(c, {"revoked_at": "2026-07-01T08:00:00+00:00"})).status == "revoked"
	_status(14, object.union(c, {"superseded_by": "c2"})).status == "superseded"
}

test_a_consent_past_its_end_has_expired if {
	c := _standing_consent("c", "mother", "custody_holder", "2025-06-01", "2026-05-31")
	_status(14, c) == {"status": "expired", "why": null}
}

test_a_consent_capped_by_the_regime_expired_at_the_cap if {
	c := object.union(
		_standing_consent("c", "mother", "custody_holder", "2025-06-01", "2026-05-31"),
		{"valid_until_requested": "2027-01-01"},
	)
	_status(14, c) == {"status": "expired", "why": "max_validity"}
}

test_a_custody_holders_consent_lapses_when_the_child_turns_fifteen if {
	c := _standing_consent("c", "mother", "custody_holder", "2026-06-01", "2027-05-31")
	_status(15, c) == {"status": "expired", "why": "self_consent_age"}
	_lapsed(15, c)
	not _lapsed(14, c)
	_lapsed(15, object.union(c, {"revoked_at": "2026-07-01T08:00:00+00:00"}))
}

test_the_young_persons_own_consent_stays_active if {
	c := _standing_consent("c", "child", "child", "2026-06-01", "2027-05-31")
	_status(15, c) == {"status": "active", "why": null}
	not _lapsed(15, c)
}

test_a_giver_no_longer_custody_holder_no_longer_counts if {
	c := _standing_consent("c", "stepfather", "custody_holder", "2026-06-01", "2027-05-31")
	_status(14, c) == {"status": "expired", "why": "not_custody_holder"}
}

test_objections_count_only_from_an_entitled_person if {
	objections := [
		_objection("mine", "mother", "custody_holder"),
		_objection("gone", "stepfather", "custody_holder"),
		object.union(_objection("back", "father", "custody_holder"), {"withdrawn_at": "2026-07-01T08:00:00+00:00"}),
	]
	consent.objection_standing == {
		"mine": {"counts": true, "why": null},
		"gone": {"counts": false, "why": "not_custody_holder"},
		"back": {"counts": false, "why": "withdrawn"},
	} with input as _asking(14, [], objections)
	at_fifteen := {"counts": false, "why": "self_consent_age"}
	consent.objection_standing.mine == at_fifteen with input as _asking(15, [], objections)
}

test_a_decision_does_not_compute_standing if {
	c := _standing_consent("c", "mother", "custody_holder", "2026-06-01", "2027-05-31")
	consent.standing == {} with input as object.union(_asking(14, [c], []), {"action": "view"})
}
