package hoi.decision_test

import data.hoi.decision

_standing_block(id, from, until, lifted) := {
	"id": id,
	"target": {"kind": "period", "id": null, "include_sub_units": false},
	"categories": [],
	"valid_from": from,
	"valid_until": until,
	"lifted_at": lifted,
}

_asking(blocks) := {
	"action": "registry.standing",
	"context": {"date": "2026-11-26"},
	"facts": {"consents": [], "objections": [], "blocks": blocks},
}

test_each_block_is_judged_as_decisions_judge_it if {
	blocks := [
		_standing_block("open", "2026-01-01", null, null),
		_standing_block("today", "2026-11-26", "2026-11-26", null),
		_standing_block("later", "2026-12-01", null, null),
		_standing_block("over", "2026-01-01", "2026-11-25", null),
		_standing_block("lifted", "2026-01-01", null, "2026-06-01T08:00:00+00:00"),
	]
	decision.block_standing == {
		"open": "active",
		"today": "active",
		"later": "scheduled",
		"over": "expired",
		"lifted": "lifted",
	} with input as _asking(blocks)
}

test_a_decision_does_not_compute_standing if {
	standing := decision.registry_standing with input as object.union(
		_asking([_standing_block("open", "2026-01-01", null, null)]),
		{"action": "view"},
	)
	standing == {"consents": {}, "objections": {}, "blocks": {}}
}
