package hoi.reason_test

import data.hoi.reason

_rules := {"R-1": {
	"legal_basis": ["sul-6"],
	"messages": {
		"asked": "The role {role} asked for {count} things under {sul-6}.",
		"missing.young_person": "The young person must consent.",
	},
	"codes": {"asked": "asked", "missing.young_person": "missing"},
}}

test_a_reason_takes_its_words_from_the_rules_document if {
	r := reason.build("R-1", "asked", {"{role}": "gp", "{count}": sprintf("%v", [2])}) with data.hoi.rules as _rules
	r == {
		"code": "asked",
		"rule_id": "R-1",
		"legal_basis": ["sul-6"],
		"message": "The role gp asked for 2 things under {sul-6}.",
	}
}

test_a_variant_key_keeps_its_code if {
	r := reason.with_fields("R-1", "missing.young_person", {}, {"regime": "x"}) with data.hoi.rules as _rules
	r == {
		"code": "missing",
		"rule_id": "R-1",
		"legal_basis": ["sul-6"],
		"message": "The young person must consent.",
		"regime": "x",
	}
}

test_an_unknown_message_key_builds_no_reason if {
	not reason.build("R-1", "other", {}) with data.hoi.rules as _rules
}
