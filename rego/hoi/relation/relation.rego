# METADATA
# title: Relation between the requester and the child
# description: >-
#   Graded here, in the policy, in the style of the national treatment-relation
#   service, from the evidence the requester's own organisation has with the
#   child (referrals, episodes of care, appointments, consultations, cases, each
#   with its dates and whether it is open). A requester may look up only while
#   they have an active relation to the child. The windows are policy data.
package hoi.relation

_today := input.context.date

_today_ns := time.parse_ns("2006-01-02", _today)

_day_ns := ((24 * 60) * 60) * 1000000000

_window := data.hoi.config.gp_window

_rules := data.hoi.config.relations

_evidence := [e | some e in object.get(object.get(input, "facts", {}), "relations", [])]

# Evidence of one type held by the requester's own organisation.
_own(type) := [e |
	some e in _evidence
	e.type == type
	e.organisation_id == input.subject.organisation.id
]

_dated(e) if is_string(object.get(e, "date", null))

_started(e) if not _dated(e)

_started(e) if e.date <= _today

# Open: active and not ended, or ended no earlier than today (the end date is
# the last day of the referral, episode or case).
_open(e) if {
	object.get(e, "active", false) == true
	object.get(e, "ended_on", null) == null
	_started(e)
}

_open(e) if {
	is_string(object.get(e, "ended_on", null))
	_today <= e.ended_on
	_started(e)
}

# Today is no earlier than `before` days before `day` and no later than `after` days after it.
_within(day, before, after) if {
	day_ns := time.parse_ns("2006-01-02", day)
	_today_ns >= day_ns - (before * _day_ns)
	_today_ns <= day_ns + (after * _day_ns)
}

_registered_gp if input.child.registered_gp == input.subject.organisation.id

# METADATA
# title: The GP's relation is a consultation within the lookup window
# description: >-
#   The child's registered GP may look up from days_before a booked
#   consultation (preparation) to days_after it (follow-up). Looking up only
#   during the consultation was a barrier in the pilot; the window is policy data.
# custom:
#   rule_id: GP-CONSULTATION-WINDOW
#   legal_basis: [sul-42a-1]
#   messages:
#     relation: >-
#       The requester is the child's GP with a consultation inside the lookup
#       window.
gp_window_met if {
	_registered_gp
	some visit in _own("consultation")
	_dated(visit)
	_within(visit.date, _window.days_before, _window.days_after)
}

# METADATA
# title: Any GP with the child in a consultation today at their own clinic
# description: >-
#   A GP who is not the child's registered GP (a colleague at another clinic
#   standing in, an emergency consultation) has a current treatment on the day
#   the child is in a consultation at their own clinic, and only that day: the
#   preparation and follow-up window is the registered GP's. Our reading of
#   the current-treatment condition (the national service grades it A, same
#   place same day); a lawyer must confirm it.
# custom:
#   rule_id: GP-SAME-DAY-CONSULTATION
#   legal_basis: [sul-42a-1]
#   messages:
#     relation: >-
#       The child is in a consultation at the requester's clinic today.
gp_same_day if {
	_rules.same_day_consultation_counts == true
	some visit in _own("consultation")
	visit.date == _today
}

# The window a GP's consultation opens to them: the registered GP's
# preparation and follow-up window, any other GP's the day itself (when a
# same-day consultation counts at all).
_gp_reach := _window if _registered_gp

_gp_reach := {"days_before": 0, "days_after": 0} if {
	not _registered_gp
	_rules.same_day_consultation_counts == true
}

# Whole days from today to the window [day - before, day + after]; 0 inside it.
_days_outside(day, before, after) := round(max([0, opens - _today_ns, _today_ns - closes]) / _day_ns) if {
	day_ns := time.parse_ns("2006-01-02", day)
	opens := day_ns - (before * _day_ns)
	closes := day_ns + (after * _day_ns)
}

# METADATA
# title: How many days a GP's lookup fell outside the consultation window
# description: >-
#   The simultaneity barrier, measured: when a GP has no active consultation
#   relation, the fewest whole days from today to the window of any of their
#   own clinic's consultations with the child (before it opens or after it
#   closes). Undefined when the relation is active or the clinic has no dated
#   consultation with the child. A measurement only: it permits and denies
#   nothing, and the denial for want of a relation carries it (the evaluation
#   counts it from the audit trail, never from source data).
gp_days_outside_window := min(_gp_gaps) if {
	not active("gp_consultation")
	count(_gp_gaps) > 0
}

# Each own consultation's distance in days to its window.
_gp_gaps contains _days_outside(visit.date, _gp_reach.days_before, _gp_reach.days_after) if {
	some visit in _own("consultation")
	_dated(visit)
}

# The details a denial for want of each relation carries (only the GP's has one).
details[relation] := {"days_outside_window": gp_days_outside_window} if {
	relation := "gp_consultation"
	gp_days_outside_window
}

_last_contact_recent(episode) if {
	_dated(episode)
	_within(episode.date, 0, _rules.course_days_after_last_contact)
}

_last_contact_recent(_) if {
	some visit in _own("appointment")
	_dated(visit)
	_within(visit.date, 36500, _rules.course_days_after_last_contact)
}

# METADATA
# title: A psychiatry clinician's relation is an active course of treatment
# description: >-
#   Staff in child and adolescent psychiatry have a relation to a child while
#   their own unit has an active referral for the child, or an episode of care
#   that is not closed and whose last contact is at most
#   course_days_after_last_contact days ago (or still booked). A single
#   appointment without a referral or episode is historical, however recent.
# custom:
#   rule_id: BUP-ACTIVE-COURSE
#   legal_basis: [sul-42a-1]
#   messages:
#     relation: >-
#       The child is in an active course of treatment at the requester's unit.
course if {
	some e in array.concat(_own("referral"), _own("episode"))
	_course_evidence(e)
}

_course_evidence(e) if {
	e.type == "referral"
	_open(e)
}

_course_evidence(e) if {
	e.type == "episode"
	_open(e)
	_last_contact_recent(e)
}

# METADATA
# title: A caseworker's relation is an open case in their unit
# description: >-
#   A municipal caseworker or PPR psychologist has a relation to a child with
#   a case on the child that is open in the requester's own unit.
# custom:
#   rule_id: MUN-OPEN-CASE
#   legal_basis: [rsl-11a-1]
#   messages:
#     relation: >-
#       The requester's unit has an open case on the child.
open_case if {
	some case in _own("case")
	_open(case)
}

# The municipality responsible for the child: the acting municipality under
# Retssikkerhedsloven § 9 where one is recorded (a child placed outside the
# municipality that placed it), else the municipality the child lives in.
_responsible := m if {
	m := object.get(input.child, "acting_municipality", null)
	is_string(m)
} else := m if {
	m := object.get(input.child, "municipality", null)
	is_string(m)
}

# METADATA
# title: Municipal staff see health data only with a case in the child's own municipality
# description: >-
#   Psychiatry data reaches the municipality only for a case: the requester's
#   own unit (the family department, or PPR with a referral) must have an open
#   case on the child, and the unit must belong to the municipality responsible
#   for the child: the municipality the child lives in, or, for a child placed
#   elsewhere, the acting municipality under Retssikkerhedsloven § 9. A consent
#   alone opens nothing to a unit without a case, nor to another municipality.
# custom:
#   rule_id: MUN-CASE-IN-CHILDS-MUNICIPALITY
#   legal_basis: [sul-43-1, rsl-9]
#   messages:
#     relation: >-
#       The requester's unit has an open case on the child in the municipality
#       responsible for the child.
municipal_case if {
	open_case
	_responsible in object.get(input.subject.organisation, "part_of", [])
}

# The relation kinds the routes name (rego/hoi/routes), each from the rule above
# that grades it.
active("gp_consultation") if gp_window_met

active("gp_consultation") if gp_same_day

active("treatment_course") if course

active("open_case") if open_case

active("municipal_case") if municipal_case

# The reason a permit gives for the relation it relied on, by the rule that
# graded it; for the GP, the registered GP's window first, else the same-day
# consultation.
# Only an active relation is relied on, so only those reasons are built.
# (Each key is bound in the body: the embedded engine's compiler takes no
# constant key in the head of a partial object rule.)
reasons[relation] := data.hoi.reason.build("GP-CONSULTATION-WINDOW", "relation", {}) if {
	relation := "gp_consultation"
	gp_window_met
}

reasons[relation] := data.hoi.reason.build("GP-SAME-DAY-CONSULTATION", "relation", {}) if {
	relation := "gp_consultation"
	not gp_window_met
	gp_same_day
}

reasons[relation] := data.hoi.reason.build("MUN-CASE-IN-CHILDS-MUNICIPALITY", "relation", {}) if {
	relation := "municipal_case"
	municipal_case
}

reasons[relation] := data.hoi.reason.build("BUP-ACTIVE-COURSE", "relation", {}) if {
	relation := "treatment_course"
	course
}

reasons[relation] := data.hoi.reason.build("MUN-OPEN-CASE", "relation", {}) if {
	relation := "open_case"
	open_case
}
