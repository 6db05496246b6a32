package hoi.routes_test

import data.hoi.decision
import data.hoi.routes

# A requester who claims the authorisation (hp) is on the staff register with it.
_input(role, org_type, org, purpose, hp) := {
	"subject": {
		"id": "u1", "role": role, "health_professional": hp,
		"organisation": {"type": org_type, "id": org, "part_of": ["851"]},
	},
	"action": "view",
	"resource": {"categories": ["psychiatry_appointments"]},
	"context": {"purpose": purpose, "date": "2026-11-26"},
	"child": {"cpr": "child", "age": 12, "custody_holders": ["mother"], "municipality": "851", "registered_gp": "gp-a"},
	"facts": {
		"consents": [], "objections": [], "blocks": [], "relations": [
			{"type": "referral", "organisation_id": "bup-a", "date": "2026-10-01", "ended_on": null, "active": true},
			{"type": "consultation", "organisation_id": "gp-a", "date": "2026-11-26", "ended_on": null, "active": true},
			{"type": "case", "organisation_id": "851-family", "date": "2026-09-01", "ended_on": null, "active": true},
			{"type": "case", "organisation_id": "851-ppr", "date": "2026-09-01", "ended_on": null, "active": true},
		],
		"staff": {"subject": _registered("u1", role, org, hp), "acting_for": null},
	},
}

_registered(id, role, org, true) := {
	"id": id, "role": role, "organisation_id": org,
	"authorisation": {"id": "AB12C", "profession": "Læge", "status": "valid"},
}

_registered(_, _, _, false) := null

# A medical secretary at bup-a names `named`; the staff register answers `found`.
_secretary(named, found) := json.patch(
	_input("bup_medical_secretary", "region_psychiatry", "bup-a", "current_treatment", false),
	[
		{"op": "add", "path": "/subject/acting_for", "value": named},
		{"op": "replace", "path": "/facts/staff/acting_for", "value": found},
	],
)

_p1 := {"id": "p1", "role": "bup_psychiatrist", "health_professional": true}

_codes(result) := [r.code | some r in result.categories.psychiatry_appointments.reasons]

test_municipal_user_claiming_health_professional_gets_no_lookup_route if {
	doc := _input("ppr_psychologist", "municipality", "851-ppr", "special_education_advice", true)
	found := routes.route with input as doc
	{r.rule_id | some r in found; r.category == "psychiatry_appointments"} == {"SUL-43-1-CONSENT"}
}

test_ppr_without_consent_is_told_it_has_no_rsl_route if {
	doc := _input("ppr_psychologist", "municipality", "851-ppr", "special_education_advice", false)
	result := decision.result with input as doc
	_codes(result) == ["missing_consent", "consent_only_route", "health_professional_required"]
}

test_caseworker_without_consent_is_pointed_to_rsl_11c if {
	doc := _input("municipal_caseworker", "municipality", "851-family", "social_case_work", false)
	result := decision.result with input as doc
	_codes(result) == ["missing_consent", "health_professional_required", "request_from_holder"]
}

test_gp_looks_up_for_current_treatment_without_consent if {
	doc := _input("gp", "gp_clinic", "gp-a", "current_treatment", true)
	outcome := decision.result.categories.psychiatry_appointments with input as doc
	outcome.rule_id == "SUL-42A-1-GP-LOOKUP"
	[r.rule_id | some r in outcome.reasons] == ["SUL-42A-1-GP-LOOKUP", "GP-CONSULTATION-WINDOW"]
}

test_report_of_concern_is_refused_for_everyone if {
	doc := _input("gp", "gp_clinic", "gp-a", "report_of_concern", true)
	result := decision.result with input as doc
	_codes(result) == ["not_current_treatment"]
}

test_secretary_acting_for_psychiatrist_follows_the_clinicians_route if {
	doc := _secretary(_p1, _registered("p1", "bup_psychiatrist", "bup-a", true))
	outcome := decision.result.categories.psychiatry_appointments with input as doc
	outcome.rule_id == "SUL-42A-1-BUP-LOOKUP"
	[r.code | some r in outcome.reasons] == ["permitted", "relation", "on_behalf"]
	endswith(outcome.reasons[2].message, "on behalf of p1 (bup_psychiatrist), as the staff register confirms.")
}

test_secretary_naming_a_clinician_the_register_lacks_is_refused if {
	result := decision.result with input as _secretary(_p1, null)
	_codes(result) == ["acting_for_unverified"]
}

test_secretary_naming_a_clinician_of_another_organisation_is_refused if {
	result := decision.result with input as _secretary(_p1, _registered("p1", "bup_psychiatrist", "bup-b", true))
	_codes(result) == ["acting_for_unverified"]
}

test_secretary_naming_an_unauthorised_clinician_is_refused if {
	found := object.union(_registered("p1", "bup_psychiatrist", "bup-a", true), {"authorisation": null})
	result := decision.result with input as _secretary(_p1, found)
	_codes(result) == ["acting_for_unverified"]
}

test_secretary_naming_a_social_worker_as_a_psychiatrist_is_refused if {
	found := object.union(_registered("p1", "bup_psychiatrist", "bup-a", true), {"role": "bup_social_worker"})
	result := decision.result with input as _secretary(_p1, found)
	_codes(result) == ["acting_for_unverified"]
}

test_the_logins_on_behalf_claim_confirms_the_clinician if {
	named := {"id": "p1", "role": "bup_psychiatrist", "asserted_by": "token"}
	doc := _secretary(named, _registered("p1", "bup_psychiatrist", "bup-a", true))
	outcome := decision.result.categories.psychiatry_appointments with input as doc
	outcome.rule_id == "SUL-42A-1-BUP-LOOKUP"
	endswith(outcome.reasons[2].message, "as the login's on-behalf claim confirms.")
}

test_a_login_vouched_clinician_without_an_authorisation_looks_up_nothing if {
	named := {"id": "p1", "role": "bup_psychiatrist", "asserted_by": "token"}
	result := decision.result with input as _secretary(named, null)
	_codes(result) == ["no_legal_basis", "health_professional_required"]
}

test_gp_whose_claim_the_register_does_not_confirm_gets_no_lookup if {
	base := _input("gp", "gp_clinic", "gp-a", "current_treatment", true)
	doc := json.patch(base, [{"op": "replace", "path": "/facts/staff/subject", "value": null}])
	result := decision.result with input as doc
	_codes(result) == ["no_legal_basis", "health_professional_required", "health_professional_unverified"]
}

test_secretary_without_clinician_is_refused if {
	doc := _input("bup_medical_secretary", "region_psychiatry", "bup-a", "current_treatment", false)
	result := decision.result with input as doc
	_codes(result) == ["acting_for_required"]
}

test_social_worker_is_not_health_personnel_for_lookup if {
	doc := _input("bup_social_worker", "region_psychiatry", "bup-a", "current_treatment", true)
	result := decision.result with input as doc
	_codes(result) == ["no_legal_basis", "health_professional_required"]
}

# --- the child's GP clinic (gp_clinic) ---

_gp_clinic(doc) := json.patch(doc, [{"op": "replace", "path": "/resource/categories", "value": ["gp_clinic"]}])

_fvl_consent(giver, recipient) := {
	"id": sprintf("c-%s", [giver]),
	"regime": "fvl-28-2-1",
	"giver": giver,
	"capacity": "custody_holder",
	"categories": ["gp_clinic"],
	"recipient": {"organisation_type": null, "organisation_id": recipient},
	"purposes": [],
	"form": "written",
	"given_on": "2026-09-01",
	"valid_until": "2027-08-31",
	"revoked_at": null,
	"superseded_by": null,
}

_with_consents(doc, consents) := json.patch(doc, [{"op": "replace", "path": "/facts/consents", "value": consents}])

_gp_codes(result) := [r.code | some r in result.categories.gp_clinic.reasons]

test_caseworker_with_written_consent_sees_the_childs_gp_clinic if {
	base := _gp_clinic(_input("municipal_caseworker", "municipality", "851-family", "social_case_work", false))
	doc := _with_consents(base, [_fvl_consent("mother", "851-family")])
	outcome := decision.result.categories.gp_clinic with input as doc
	outcome.decision == "permit"
	outcome.rule_id == "FVL-28-GP-CLINIC-CONSENT"
	outcome.fields == ["clinic_name", "phone", "secure_mail", "sor_id", "recipient"]
	[r.rule_id | some r in outcome.reasons] == [
		"FVL-28-GP-CLINIC-CONSENT",
		"MUN-CASE-IN-CHILDS-MUNICIPALITY",
		"FAL-CUSTODY-CONSENT",
	]
}

test_caseworker_without_consent_is_told_whose_consent_would_open_the_gp_clinic if {
	doc := _gp_clinic(_input("municipal_caseworker", "municipality", "851-family", "social_case_work", false))
	outcome := decision.result.categories.gp_clinic with input as doc
	outcome.decision == "deny"
	outcome.fields == []
	found := [[r.code, r.rule_id, r.regime] | some r in outcome.reasons]
	found == [["missing_consent", "FVL-28-GP-CLINIC-CONSENT", "fvl-28-2-1"]]
	outcome.reasons[0].missing == [{"person": "mother", "capacity": "custody_holder"}]
}

test_caseworker_of_another_unit_with_a_consent_has_no_relation if {
	base := _gp_clinic(_input("municipal_caseworker", "municipality", "851-other", "social_case_work", false))
	doc := _with_consents(base, [_fvl_consent("mother", "851-other")])
	result := decision.result with input as doc
	_gp_codes(result) == ["no_relation"]
}

test_consent_of_the_health_act_regime_does_not_open_the_gp_clinic if {
	base := _gp_clinic(_input("municipal_caseworker", "municipality", "851-family", "social_case_work", false))
	consent := object.union(_fvl_consent("mother", "851-family"), {"regime": "sul-43-1"})
	result := decision.result with input as _with_consents(base, [consent])
	_gp_codes(result) == ["missing_consent"]
}

test_psychiatry_with_an_active_course_sees_the_childs_gp_clinic if {
	doc := _gp_clinic(_input("bup_psychiatrist", "region_psychiatry", "bup-a", "coordination", true))
	outcome := decision.result.categories.gp_clinic with input as doc
	outcome.rule_id == "SUL-41-2-GP-CLINIC"
	[r.rule_id | some r in outcome.reasons] == ["SUL-41-2-GP-CLINIC", "BUP-ACTIVE-COURSE"]
}

test_psychiatry_without_a_course_does_not_learn_the_gp_clinic if {
	doc := _gp_clinic(_input("bup_psychologist", "region_psychiatry", "bup-b", "current_treatment", true))
	result := decision.result with input as doc
	_gp_codes(result) == ["no_relation"]
}

test_an_objection_stops_the_gp_clinic_for_psychiatry if {
	base := _gp_clinic(_input("bup_psychiatrist", "region_psychiatry", "bup-a", "coordination", true))
	objection := {
		"id": "o-1", "person": "mother", "categories": ["gp_clinic"],
		"recipient": null, "withdrawn_at": null,
	}
	doc := json.patch(base, [{"op": "replace", "path": "/facts/objections", "value": [objection]}])
	result := decision.result with input as doc
	_gp_codes(result) == ["objection"]
}

test_a_report_of_concern_does_not_open_the_gp_clinic if {
	doc := _gp_clinic(_input("gp", "gp_clinic", "gp-a", "report_of_concern", true))
	result := decision.result with input as doc
	_gp_codes(result) == ["not_current_treatment"]
}

test_gp_whose_authorisation_the_register_does_not_confirm_does_not_learn_the_gp_clinic if {
	base := _gp_clinic(_input("gp", "gp_clinic", "gp-a", "current_treatment", true))
	doc := json.patch(base, [{"op": "replace", "path": "/facts/staff/subject", "value": null}])
	result := decision.result with input as doc
	_gp_codes(result) == ["no_legal_basis", "health_professional_unverified"]
}

test_the_childs_gp_in_the_window_sees_the_gp_clinic if {
	doc := _gp_clinic(_input("gp", "gp_clinic", "gp-a", "coordination", true))
	outcome := decision.result.categories.gp_clinic with input as doc
	outcome.rule_id == "SUL-41-2-GP-CLINIC"
	[r.rule_id | some r in outcome.reasons] == ["SUL-41-2-GP-CLINIC", "GP-CONSULTATION-WINDOW"]
}
