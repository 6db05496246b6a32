package hoi.correspondence_test

import data.hoi.correspondence
import data.hoi.decision

_today := "2026-11-26"

_gp := {
	"id": "gp-doctor",
	"role": "gp",
	"health_professional": true,
	"organisation": {"type": "gp_clinic", "id": "gp-a", "part_of": []},
}

_psychiatrist := {
	"id": "bup-doctor",
	"role": "bup_psychiatrist",
	"health_professional": true,
	"organisation": {"type": "region_psychiatry", "id": "bup-a", "part_of": ["bup-rn"]},
}

_caseworker := {
	"id": "caseworker",
	"role": "municipal_caseworker",
	"health_professional": false,
	"organisation": {"type": "municipality", "id": "851-family", "part_of": ["851"]},
}

_family := {"organisation_id": "851-family", "type": "municipality", "part_of": ["851"], "municipality_code": "851"}

_ppr := {"organisation_id": "851-ppr", "type": "municipality", "part_of": ["851"], "municipality_code": "851"}

_elsewhere := {"organisation_id": "787-family", "type": "municipality", "part_of": ["787"], "municipality_code": "787"}

_childs_gp := {"organisation_id": "gp-a", "type": "gp_clinic", "part_of": [], "municipality_code": null}

_other_gp := {"organisation_id": "gp-b", "type": "gp_clinic", "part_of": [], "municipality_code": null}

_bup_b := {"organisation_id": "bup-b", "type": "region_psychiatry", "part_of": ["bup-rn"], "municipality_code": null}

_own_evidence := {
	"gp": _open("consultation", "gp-a", "2026-11-24"),
	"bup_psychiatrist": _open("referral", "bup-a", "2026-09-01"),
	"municipal_caseworker": _open("case", "851-family", "2026-09-01"),
}

_open(type, organisation, date) := {
	"type": type,
	"organisation_id": organisation,
	"date": date,
	"ended_on": null,
	"active": true,
}

_authorised(subject) := {
	"id": subject.id,
	"role": subject.role,
	"organisation_id": subject.organisation.id,
	"authorisation": {"id": "AB12C", "profession": "Læge", "status": "valid"},
}

_send(subject, recipient, topic) := {
	"subject": subject,
	"action": "send_correspondence",
	"resource": {"categories": [], "correspondence": {
		"topic": topic,
		"recipient": recipient,
		"recipient_relations": [],
		"grounds": null,
	}},
	"context": {"purpose": topic, "date": _today},
	"child": {
		"cpr": "child",
		"age": 9,
		"custody_holders": ["mother", "father"],
		"registered_gp": "gp-a",
		"municipality": "851",
		"acting_municipality": null,
	},
	"facts": {
		"consents": [],
		"objections": [],
		"blocks": [],
		"relations": [_own_evidence[subject.role]],
		"staff": {"subject": _authorised(subject), "acting_for": null},
	},
}

_consent(id, giver, regime, recipient, given_on) := {
	"id": id,
	"regime": regime,
	"giver": giver,
	"categories": ["psychiatry_appointments"],
	"recipient": {"organisation_type": null, "organisation_id": recipient},
	"purposes": [],
	"form": "written",
	"capacity": _capacity(giver),
	"given_on": given_on,
	"valid_until": "2027-05-31",
	"revoked_at": null,
	"superseded_by": null,
}

_capacity("child") := "child"

_capacity(giver) := "custody_holder" if giver != "child"

_parents(regime, recipient) := [
	_consent("c-mother", "mother", regime, recipient, "2026-06-01"),
	_consent("c-father", "father", regime, recipient, "2026-06-01"),
]

_with_consents(document, consents) := object.union(document, {"facts": {"consents": consents}})

_with_message(document, fields) := object.union(document, {"resource": {"correspondence": fields}})

_with_child(document, fields) := object.union(document, {"child": fields})

_codes(outcome) := [r.code | some r in outcome.reasons]

_rule_ids(outcome) := [r.rule_id | some r in outcome.reasons]

# --- the routes -------------------------------------------------------------------

test_permit_gp_to_family_department_with_both_parents_consent if {
	document := _with_consents(_send(_gp, _family, "coordination"), _parents("sul-43-1", "851-family"))
	outcome := correspondence.outcome with input as document
	outcome == {
		"category": "correspondence",
		"decision": "permit",
		"fields": ["message"],
		"rule_id": "SEND-SUL-43-1-CONSENT",
		"legal_basis": ["sul-43-1", "sul-44"],
		"reasons": [{
			"code": "permitted",
			"rule_id": "SEND-SUL-43-1-CONSENT",
			"legal_basis": ["sul-43-1", "sul-44"],
			"message": "Permitted: the family's written consent ({sul-43-1}) names the recipient.",
		}],
		"relied_on": {"consents": ["c-father", "c-mother"], "objections": [], "blocks": []},
		"override": false,
		"override_possible": false,
		"obligations": ["log_to_citizen"],
		"exclude_organisations": [],
	}
}

test_permit_with_a_consent_naming_the_recipients_municipality if {
	document := _with_consents(_send(_gp, _family, "coordination"), _parents("sul-43-1", "851"))
	outcome := correspondence.outcome with input as document
	outcome.rule_id == "SEND-SUL-43-1-CONSENT"
}

test_deny_gp_to_family_department_without_consent_names_both_custody_holders if {
	outcome := correspondence.outcome with input as _send(_gp, _family, "coordination")
	outcome == {
		"category": "correspondence",
		"decision": "deny",
		"fields": [],
		"rule_id": null,
		"legal_basis": [],
		"reasons": [{
			"code": "missing_consent",
			"rule_id": "SEND-SUL-43-1-CONSENT",
			"legal_basis": ["sul-43-1", "sul-44"],
			"message": "A valid written sul-43-1 consent from the custody holders, naming the recipient, is needed (rule: all).",
			"regime": "sul-43-1",
			"missing": [
				{"person": "father", "capacity": "custody_holder"},
				{"person": "mother", "capacity": "custody_holder"},
			],
			"rule": "all",
		}],
		"relied_on": {"consents": [], "objections": [], "blocks": []},
		"override": false,
		"override_possible": false,
		"obligations": [],
		"exclude_organisations": [],
	}
}

test_deny_when_one_of_two_custody_holders_consented if {
	consents := [_consent("c-mother", "mother", "sul-43-1", "851-family", "2026-06-01")]
	outcome := correspondence.outcome with input as _with_consents(_send(_gp, _family, "coordination"), consents)
	[reason] := outcome.reasons
	reason.missing == [{"person": "father", "capacity": "custody_holder"}]
}

test_deny_a_consent_to_the_family_department_does_not_reach_ppr if {
	document := _with_consents(_send(_psychiatrist, _ppr, "treatment"), _parents("sul-43-1", "851-family"))
	outcome := correspondence.outcome with input as document
	_codes(outcome) == ["missing_consent"]
}

test_deny_a_consent_for_lookups_under_another_regime_does_not_count if {
	document := _with_consents(_send(_gp, _family, "coordination"), _parents("sul-42a-3", "851-family"))
	outcome := correspondence.outcome with input as document
	_codes(outcome) == ["missing_consent"]
}

test_permit_psychiatry_to_ppr_with_the_young_persons_consent_at_fifteen if {
	document := _with_child(
		_with_consents(
			_send(_psychiatrist, _ppr, "treatment"),
			[_consent("c-child", "child", "sul-43-1", "851-ppr", "2026-06-01")],
		),
		{"age": 15},
	)
	outcome := correspondence.outcome with input as document
	outcome.rule_id == "SEND-SUL-43-1-CONSENT"
	outcome.relied_on.consents == ["c-child"]
}

test_deny_at_fifteen_the_parents_consent_no_longer_counts if {
	document := _with_child(
		_with_consents(_send(_psychiatrist, _ppr, "treatment"), _parents("sul-43-1", "851-ppr")),
		{"age": 15},
	)
	outcome := correspondence.outcome with input as document
	[reason] := outcome.reasons
	reason.code == "missing_consent"
	reason.missing == [{"person": "child", "capacity": "child"}]
	reason.message == "A valid written sul-43-1 consent from the young person, naming the recipient, is needed."
}

test_deny_at_fourteen_the_childs_own_consent_does_not_count if {
	document := _with_child(
		_with_consents(
			_send(_psychiatrist, _ppr, "treatment"),
			[_consent("c-child", "child", "sul-43-1", "851-ppr", "2026-06-01")],
		),
		{"age": 14},
	)
	outcome := correspondence.outcome with input as document
	_codes(outcome) == ["missing_consent"]
}

test_permit_a_consent_on_its_365th_day if {
	consents := [
		_consent("c-mother", "mother", "sul-43-1", "851-family", "2025-11-27"),
		_consent("c-father", "father", "sul-43-1", "851-family", "2026-06-01"),
	]
	outcome := correspondence.outcome with input as _with_consents(_send(_gp, _family, "coordination"), consents)
	outcome.decision == "permit"
}

test_deny_a_consent_lapses_on_its_366th_day if {
	consents := [
		_consent("c-mother", "mother", "sul-43-1", "851-family", "2025-11-26"),
		_consent("c-father", "father", "sul-43-1", "851-family", "2026-06-01"),
	]
	outcome := correspondence.outcome with input as _with_consents(_send(_gp, _family, "coordination"), consents)
	_codes(outcome) == ["consent_expired", "missing_consent"]
	outcome.reasons[0].consents == ["c-mother"]
	outcome.reasons[1].missing == [{"person": "mother", "capacity": "custody_holder"}]
}

test_deny_a_consent_naming_only_a_kind_of_organisation if {
	consents := [object.union(c, {"recipient": {"organisation_type": "municipality", "organisation_id": null}}) |
		some c in _parents("sul-43-1", "x")
	]
	outcome := correspondence.outcome with input as _with_consents(_send(_gp, _family, "coordination"), consents)
	_codes(outcome) == ["consent_recipient_not_named", "missing_consent"]
	outcome.reasons[0].consents == ["c-father", "c-mother"]
}

test_permit_psychiatry_to_the_childs_gp_for_the_treatment_without_consent if {
	outcome := correspondence.outcome with input as _send(_psychiatrist, _childs_gp, "treatment")
	outcome.rule_id == "SEND-SUL-41-TREATMENT"
	outcome.legal_basis == ["sul-41-2-1", "sul-41-3"]
	outcome.relied_on.consents == []
}

test_permit_gp_to_psychiatry_with_an_open_referral_there if {
	referral := {"type": "referral", "organisation_id": "bup-b", "date": "2026-11-01", "ended_on": null, "active": true}
	document := _with_message(_send(_gp, _bup_b, "coordination"), {"recipient_relations": [referral]})
	outcome := correspondence.outcome with input as document
	outcome.rule_id == "SEND-SUL-41-TREATMENT"
}

test_deny_an_objection_reaching_the_recipient_stops_a_treatment_message if {
	objection := {
		"id": "o1", "person": "mother", "categories": ["psychiatry_appointments"],
		"recipient": null, "withdrawn_at": null,
	}
	document := object.union(_send(_psychiatrist, _childs_gp, "treatment"), {"facts": {"objections": [objection]}})
	outcome := correspondence.outcome with input as document
	outcome.decision == "deny"
	_codes(outcome) == ["objected"]
	_rule_ids(outcome) == ["SEND-OBJECTION"]
	outcome.relied_on.objections == ["o1"]
}

test_permit_an_objection_to_another_organisation_does_not_stop_it if {
	objection := {
		"id": "o1", "person": "mother", "categories": [],
		"recipient": {"organisation_type": null, "organisation_id": "gp-b"}, "withdrawn_at": null,
	}
	document := object.union(_send(_psychiatrist, _childs_gp, "treatment"), {"facts": {"objections": [objection]}})
	outcome := correspondence.outcome with input as document
	outcome.decision == "permit"
}

test_permit_caseworker_to_gp_with_an_administration_act_consent if {
	document := _with_consents(_send(_caseworker, _childs_gp, "coordination"), _parents("fvl-28-2-1", "gp-a"))
	outcome := correspondence.outcome with input as document
	outcome.rule_id == "SEND-FVL-28-CONSENT"
	outcome.legal_basis == ["fvl-28-2-1"]
}

test_deny_caseworker_to_gp_without_consent_names_the_regime if {
	outcome := correspondence.outcome with input as _send(_caseworker, _childs_gp, "coordination")
	[reason] := outcome.reasons
	[reason.code, reason.rule_id, reason.regime] == ["missing_consent", "SEND-FVL-28-CONSENT", "fvl-28-2-1"]
}

test_deny_caseworker_to_gp_with_a_health_act_consent if {
	document := _with_consents(_send(_caseworker, _childs_gp, "coordination"), _parents("sul-43-1", "gp-a"))
	outcome := correspondence.outcome with input as document
	_codes(outcome) == ["missing_consent"]
}

# --- a weighty concern --------------------------------------------------------------

_concern := {"kind": "weighty_concern", "reason": "The child said it is afraid to go home."}

test_permit_a_weighty_concern_without_consent if {
	document := _with_message(_send(_gp, _family, "coordination"), {"grounds": _concern})
	outcome := correspondence.outcome with input as document
	outcome.rule_id == "SEND-SUL-43-2-WEIGHTY-CONCERN"
	outcome.legal_basis == ["sul-43-2-2", "sul-43-3"]
	outcome.obligations == ["log_to_citizen", "record_disclosure_grounds"]
}

test_permit_a_consent_is_preferred_to_a_weighty_concern if {
	document := _with_consents(
		_with_message(_send(_gp, _family, "coordination"), {"grounds": _concern}),
		_parents("sul-43-1", "851-family"),
	)
	outcome := correspondence.outcome with input as document
	outcome.rule_id == "SEND-SUL-43-1-CONSENT"
}

test_deny_a_weighty_concern_in_nine_characters if {
	grounds := {"kind": "weighty_concern", "reason": " 123456789 "}
	document := _with_message(_send(_gp, _family, "coordination"), {"grounds": grounds})
	outcome := correspondence.outcome with input as document
	_codes(outcome) == ["missing_consent", "grounds_insufficient"]
}

test_permit_a_weighty_concern_in_ten_characters if {
	grounds := {"kind": "weighty_concern", "reason": "1234567890"}
	document := _with_message(_send(_gp, _family, "coordination"), {"grounds": grounds})
	outcome := correspondence.outcome with input as document
	outcome.decision == "permit"
}

test_deny_a_weighty_concern_from_someone_the_register_does_not_confirm if {
	document := object.union(
		_with_message(_send(_gp, _family, "coordination"), {"grounds": _concern}),
		{"facts": {"staff": {"subject": null}}},
	)
	outcome := correspondence.outcome with input as document
	_codes(outcome) == ["missing_consent", "health_professional_required"]
}

test_permit_a_weighty_concern_is_not_stopped_by_an_objection if {
	objection := {"id": "o1", "person": "father", "categories": [], "recipient": null, "withdrawn_at": null}
	document := object.union(
		_with_message(_send(_gp, _family, "coordination"), {"grounds": _concern}),
		{"facts": {"objections": [objection]}},
	)
	outcome := correspondence.outcome with input as document
	outcome.rule_id == "SEND-SUL-43-2-WEIGHTY-CONCERN"
}

test_deny_the_municipality_cannot_rely_on_a_weighty_concern if {
	document := _with_message(_send(_caseworker, _childs_gp, "coordination"), {"grounds": _concern})
	outcome := correspondence.outcome with input as document
	_codes(outcome) == ["missing_consent"]
}

# --- channels, relations, recipients ---------------------------------------------------

test_deny_a_report_of_concern_with_the_channel_to_use if {
	outcome := correspondence.outcome with input as _send(_gp, _family, "report_of_concern")
	[reason] := outcome.reasons
	reason.code == "wrong_channel"
	reason.rule_id == "SEND-REPORT-OF-CONCERN-CHANNEL"
	reason.legal_basis == ["bl-133", "sul-43-2-1"]
	reason.channel == data.hoi.config.correspondence.channels.report_of_concern
	reason.channel.id == "municipal_report_of_concern"
}

test_deny_referrals_and_certificates_with_their_medcom_standard if {
	every topic in ["referral", "medical_certificate", "status_report"] {
		outcome := correspondence.outcome with input as _send(_gp, _family, topic)
		[reason] := outcome.reasons
		reason.code == "wrong_channel"
		reason.rule_id == "SEND-OWN-STANDARD-CHANNEL"
		reason.channel == data.hoi.config.correspondence.channels[topic]
	}
}

test_deny_a_sender_without_an_active_relation if {
	document := object.union(_send(_gp, _family, "coordination"), {"facts": {"relations": []}})
	outcome := correspondence.outcome with input as document
	[reason] := outcome.reasons
	[reason.code, reason.rule_id, reason.relation] == ["no_relation", "SEND-SENDER-RELATION", "gp_consultation"]
}

test_deny_a_gp_clinic_that_is_not_the_childs_gp if {
	outcome := correspondence.outcome with input as _send(_psychiatrist, _other_gp, "treatment")
	[reason] := outcome.reasons
	[reason.code, reason.recipient, reason.needed] == ["recipient_not_involved", "gp-b", "the child's registered GP"]
}

test_deny_a_psychiatry_unit_without_open_evidence if {
	closed := object.union(_open("episode", "bup-b", "2026-01-01"), {"ended_on": "2026-11-25", "active": false})
	document := _with_message(_send(_gp, _bup_b, "coordination"), {"recipient_relations": [closed]})
	outcome := correspondence.outcome with input as document
	_codes(outcome) == ["recipient_not_involved"]
}

test_deny_a_unit_of_another_municipality if {
	document := _with_consents(_send(_gp, _elsewhere, "coordination"), _parents("sul-43-1", "787-family"))
	outcome := correspondence.outcome with input as document
	[reason] := outcome.reasons
	[reason.code, reason.rule_id] == ["recipient_not_involved", "SEND-RECIPIENT-INVOLVED"]
}

test_permit_a_unit_of_the_acting_municipality if {
	document := _with_child(
		_with_consents(_send(_gp, _elsewhere, "coordination"), _parents("sul-43-1", "787-family")),
		{"acting_municipality": "787"},
	)
	outcome := correspondence.outcome with input as document
	outcome.decision == "permit"
}

test_deny_another_unit_than_the_one_holding_the_open_case if {
	case := {"type": "case", "organisation_id": "851-family", "date": "2026-09-01", "ended_on": null, "active": true}
	document := _with_consents(
		_with_message(_send(_gp, _ppr, "coordination"), {"recipient_relations": [case]}),
		_parents("sul-43-1", "851-ppr"),
	)
	outcome := correspondence.outcome with input as document
	[reason] := outcome.reasons
	[reason.code, reason.needed] == ["recipient_not_involved", "the unit holding the child's open case"]
}

test_permit_the_unit_holding_the_open_case if {
	case := {"type": "case", "organisation_id": "851-ppr", "date": "2026-09-01", "ended_on": null, "active": true}
	document := _with_consents(
		_with_message(_send(_gp, _ppr, "coordination"), {"recipient_relations": [case]}),
		_parents("sul-43-1", "851-ppr"),
	)
	outcome := correspondence.outcome with input as document
	outcome.decision == "permit"
}

test_deny_no_route_for_an_unknown_topic if {
	outcome := correspondence.outcome with input as _send(_psychiatrist, _childs_gp, "gossip")
	[reason] := outcome.reasons
	[reason.code, reason.rule_id] == ["no_route", "SEND-NO-ROUTE"]
}

test_deny_no_route_to_an_unknown_kind_of_recipient if {
	school := {"organisation_id": "school-1", "type": "school", "part_of": ["851"], "municipality_code": "851"}
	outcome := correspondence.outcome with input as _send(_psychiatrist, school, "treatment")
	_codes(outcome) == ["recipient_not_involved"]
}

# --- through the entrypoint ----------------------------------------------------------

test_the_entrypoint_answers_a_send if {
	document := _with_consents(_send(_gp, _family, "coordination"), _parents("sul-43-1", "851-family"))
	answer := decision.result with input as document
	answer.correspondence.decision == "permit"
	answer.categories == {}
}

test_the_entrypoint_answers_null_for_a_lookup if {
	document := object.union(_send(_gp, _family, "coordination"), {"action": "view"})
	answer := decision.result with input as document
	answer.correspondence == null
}

test_deny_a_send_without_the_childs_age_as_a_missing_fact if {
	document := _send(_gp, _family, "coordination")
	answer := decision.result with input as object.union(document, {"child": {"cpr": "child", "age": null}})
	[reason] := answer.correspondence.reasons
	[reason.code, reason.rule_id, reason.missing] == ["missing_fact", "DENY-MISSING-FACT", ["child.age"]]
}

test_deny_a_send_without_a_recipient_as_a_missing_fact if {
	document := _with_message(_send(_gp, _family, "coordination"), {"recipient": null})
	answer := decision.result with input as document
	[reason] := answer.correspondence.reasons
	reason.missing == ["resource.correspondence.recipient"]
}

test_deny_a_send_from_an_unknown_role if {
	document := object.union(_send(_gp, _family, "coordination"), {"subject": {"role": "teacher"}})
	answer := decision.result with input as document
	[reason] := answer.correspondence.reasons
	[reason.code, reason.rule_id] == ["unknown_role", "DENY-UNKNOWN-ROLE"]
}
