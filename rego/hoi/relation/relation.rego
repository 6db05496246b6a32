# METADATA
# title: Relation between the requester and the child
# description: >-
#   Graded in the style of the national treatment-relation service: a
#   requester may look up only while they have an active relation to the child.
package hoi.relation

_today_ns := time.parse_ns("2006-01-02", input.context.date)

_day_ns := ((24 * 60) * 60) * 1000000000

_window := data.hoi.config.gp_window

_own(r) if r.organisation_id == input.subject.organisation.id

# METADATA
# title: The GP's relation is a consultation within the lookup window
# description: >-
#   The child's registered GP may look up from days_before a booked
#   consultation (preparation) to days_after it (follow-up). Looking up only
#   during the consultation was a barrier in the pilot; the window is policy data.
# custom:
#   rule_id: GP-CONSULTATION-WINDOW
#   legal_basis: [sul-42a-1]
active("gp_consultation") if {
	some reg in input.facts.relations
	reg.kind == "registered_gp"
	_own(reg)
	some visit in input.facts.relations
	visit.kind == "consultation"
	_own(visit)
	visit_ns := time.parse_ns("2006-01-02", visit.date)
	_today_ns >= visit_ns - (_window.days_before * _day_ns)
	_today_ns <= visit_ns + (_window.days_after * _day_ns)
}

# METADATA
# title: A psychiatry clinician's relation is an active course of treatment
# description: >-
#   Staff in child and adolescent psychiatry have a relation to a child with an
#   active referral or course of treatment at their own organisation.
# custom:
#   rule_id: BUP-ACTIVE-COURSE
#   legal_basis: [sul-42a-1]
active("treatment_course") if {
	some course in input.facts.relations
	course.kind == "treatment_course"
	_own(course)
	course.active == true
}

# METADATA
# title: A caseworker's relation is an open case in their unit
# description: >-
#   A municipal caseworker has a relation to a child with an open case on the
#   child in the caseworker's own unit.
# custom:
#   rule_id: MUN-OPEN-CASE
#   legal_basis: [rsl-11a-1]
active("open_case") if {
	some case in input.facts.relations
	case.kind == "open_case"
	_own(case)
}
