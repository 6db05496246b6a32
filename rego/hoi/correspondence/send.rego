# METADATA
# title: Sending a message about the child
# description: >-
#   A message (MedCom correspondence) about a child discloses what it says to
#   its recipient, so the policy decides it as it decides a lookup: the sender
#   needs an active relation to the child, the recipient must be involved with
#   the child, the kind of message must belong in correspondence, and a legal
#   route must carry the disclosure from the sender's sector to the
#   recipient's. The outcome has the shape of a lookup's category outcome
#   (category "correspondence"). The decision entrypoint asks this package only
#   for input.action "send_correspondence", after its own guards (unknown role,
#   missing facts).
package hoi.correspondence

# Functions of other packages are called by their full data path: the embedded
# engine (regorus) resolves imported rules but not imported functions.

_config := data.hoi.config

_settings := object.get(_config, "correspondence", {})

_role := _config.roles[input.subject.role]

_today := input.context.date

_message := object.get(object.get(input, "resource", {}), "correspondence", {})

_topic := object.get(_message, "topic", null)

_grounds := object.get(_message, "grounds", null)

_recipient_doc := object.get(_message, "recipient", null)

# The recipient as the consent package matches organisations: {id, type, part_of}.
default _recipient := {"id": null, "type": null, "part_of": []}

_recipient := {
	"id": _recipient_doc.organisation_id,
	"type": _recipient_doc.type,
	"part_of": _part_of,
} if {
	is_object(_recipient_doc)
	is_string(object.get(_recipient_doc, "organisation_id", null))
	is_string(object.get(_recipient_doc, "type", null))
}

default _part_of := []

_part_of := p if {
	p := object.get(_recipient_doc, "part_of", [])
	is_array(p)
}

default _recipient_relations := []

_recipient_relations := r if {
	r := object.get(_message, "recipient_relations", [])
	is_array(r)
}

_health_types := {"gp_clinic", "region_psychiatry"}

# --- the kind of message ------------------------------------------------------

# The channel a topic belongs to instead of correspondence (policy data).
_channel := _settings.channels[_topic]

# METADATA
# title: A report of concern goes to the municipality's reporting channel
# description: >-
#   A report of concern (underretning) about a child is made to the child's
#   municipality through its official reporting channel; for health personnel
#   the disclosure rests on the duty to report. It is not correspondence, and
#   a message is refused with the channel to use.
# custom:
#   rule_id: SEND-REPORT-OF-CONCERN-CHANNEL
#   legal_basis: [bl-133, sul-43-2-1]
#   messages:
#     wrong_channel: >-
#       A report of concern is not correspondence. Report the concern to the
#       child's municipality through its reporting channel ({channel}); the
#       duty to report rests on {bl-133}.
_channel_reason := data.hoi.reason.with_fields(
	"SEND-REPORT-OF-CONCERN-CHANNEL",
	"wrong_channel",
	{"{channel}": _channel.label},
	{"channel": _channel, "topic": _topic},
) if {
	_topic == "report_of_concern"
}

# METADATA
# title: Referrals and certificates go by their own MedCom standard
# description: >-
#   A referral, a medical certificate or a status certificate has its own
#   MedCom standard, with its own recipient handling and form. Sending one as
#   correspondence is refused, with the standard to use.
# custom:
#   rule_id: SEND-OWN-STANDARD-CHANNEL
#   legal_basis: [sul-40-1, fvl-27-1]
#   messages:
#     wrong_channel: >-
#       A {topic} message is not sent as correspondence; use {channel}.
_channel_reason := data.hoi.reason.with_fields(
	"SEND-OWN-STANDARD-CHANNEL",
	"wrong_channel",
	{"{topic}": _topic, "{channel}": _channel.label},
	{"channel": _channel, "topic": _topic},
) if {
	_topic != "report_of_concern"
}

# --- the sender ---------------------------------------------------------------

# METADATA
# title: The sender needs an active relation to the child
# description: >-
#   Only someone whose own organisation works with the child now may send a
#   message about it: the relation their role's lookups need (an open case in
#   the unit, the GP's consultation window, an active course of treatment).
# custom:
#   rule_id: SEND-SENDER-RELATION
#   legal_basis: [sul-40-1, fvl-27-1]
#   messages:
#     no_relation: >-
#       The sender has no active relation to the child ({relation} needed).
_sender_related if data.hoi.relation.active(_role.relation)

_no_relation_reason := data.hoi.reason.with_fields(
	"SEND-SENDER-RELATION",
	"no_relation",
	{"{relation}": _role.relation},
	{"relation": _role.relation},
)

# --- the recipient --------------------------------------------------------------

# Evidence the recipient holds that is open today: active and not ended, or
# ending no earlier than today. A booked appointment counts before its day.
_open_evidence contains e if {
	some e in _recipient_relations
	object.get(e, "active", false) == true
	object.get(e, "ended_on", null) == null
}

_open_evidence contains e if {
	some e in _recipient_relations
	is_string(object.get(e, "ended_on", null))
	_today <= e.ended_on
}

_course_types := {"referral", "episode", "appointment"}

_open_cases contains e if {
	some e in _open_evidence
	e.type == "case"
}

# The municipality responsible for the child: the acting municipality where
# one is recorded, else the one the child lives in.
_responsible := m if {
	m := object.get(input.child, "acting_municipality", null)
	is_string(m)
} else := m if {
	m := object.get(input.child, "municipality", null)
	is_string(m)
}

_recipient_municipalities := {m | some m in _recipient.part_of} | {m |
	m := object.get(_recipient_doc, "municipality_code", null)
	is_string(m)
}

# METADATA
# title: The recipient must be involved with the child
# description: >-
#   A message goes only to an organisation that works with the child (the
#   pilot's wrong-recipient mistake): to a GP clinic only when it is the
#   child's registered GP; to a psychiatry unit only with an open referral,
#   episode or appointment there; to a municipal unit only when it holds the
#   child's open case, or, while no municipal unit has one, when it belongs to
#   the municipality responsible for the child (first contact). A unit of
#   another municipality, or another unit than the one holding the open case,
#   is refused.
# custom:
#   rule_id: SEND-RECIPIENT-INVOLVED
#   legal_basis: [sul-40-1, fvl-27-1, rsl-9]
#   messages:
#     recipient_not_involved: >-
#       The recipient {recipient} is not involved with the child ({needed}
#       needed).
_recipient_involved if {
	_recipient.type == "gp_clinic"
	_recipient.id == object.get(input.child, "registered_gp", null)
}

_recipient_involved if {
	_recipient.type == "region_psychiatry"
	some e in _open_evidence
	e.type in _course_types
	e.organisation_id == _recipient.id
}

_recipient_involved if {
	_recipient.type == "municipality"
	some e in _open_cases
	e.organisation_id == _recipient.id
}

_recipient_involved if {
	_recipient.type == "municipality"
	count(_open_cases) == 0
	_responsible in _recipient_municipalities
}

# What would make the recipient involved, in the reason's words.
_needed := {
	"gp_clinic": "the child's registered GP",
	"region_psychiatry": "an open referral, episode or appointment at the recipient",
}

default _needed_for := "a GP clinic, psychiatry unit or municipal unit"

_needed_for := _needed[_recipient.type] if {
	_recipient.type in _health_types
} else := "the unit holding the child's open case" if {
	_recipient.type == "municipality"
	count(_open_cases) > 0
} else := "a unit of the municipality responsible for the child" if {
	_recipient.type == "municipality"
}

_not_involved_reason := data.hoi.reason.with_fields(
	"SEND-RECIPIENT-INVOLVED",
	"recipient_not_involved",
	{"{recipient}": _recipient.id, "{needed}": _needed_for},
	{"recipient": _recipient.id, "needed": _needed_for},
)

# --- the legal routes -----------------------------------------------------------

# Which way the message goes, for the topics sent as correspondence.
_path := "health_to_health" if {
	_role.sector == "health"
	_recipient.type in _health_types
} else := "health_to_municipal" if {
	_role.sector == "health"
	_recipient.type == "municipality"
} else := "municipal" if {
	_role.sector == "municipal"
	_recipient.type in (_health_types | {"municipality"})
}

_correspondence_topic if _topic in object.get(_settings, "message_topics", [])

# METADATA
# title: Between health professionals for the current treatment
# description: >-
#   A GP or a psychiatry unit may send a message about the child's treatment,
#   or to coordinate it, to another health-care provider involved in it,
#   without consent, because the current treatment needs it. The patient (from
#   15; under 15 any custody holder) may object, and an objection reaching the
#   recipient stops the message.
# custom:
#   rule_id: SEND-SUL-41-TREATMENT
#   legal_basis: [sul-41-2-1, sul-41-3]
#   messages:
#     permitted: >-
#       Permitted: a message between health-care providers for the child's
#       current treatment ({sul-41-2-1}).
_treatment_route if {
	_correspondence_topic
	_path == "health_to_health"
}

# METADATA
# title: From health care to the municipality with a written consent
# description: >-
#   A GP or a psychiatry unit may send health information to a municipal unit
#   (the family department, PPR) with the patient's written consent, at most a
#   year old, from the young person from 15 or the custody holders under 15
#   (under joint custody as the policy's rule says). The consent must name the
#   recipient unit or its municipality. Our reading, unconfirmed: a consent's
#   data categories describe lookups, so any such consent naming the recipient
#   counts for a message.
# custom:
#   rule_id: SEND-SUL-43-1-CONSENT
#   legal_basis: [sul-43-1, sul-44]
#   messages:
#     permitted: >-
#       Permitted: the family's written consent ({sul-43-1}) names the recipient.
#     consent_expired: >-
#       A {regime} consent naming the recipient has lapsed; a new one is needed.
#     consent_recipient_not_named: >-
#       A consent names its recipient only as a kind of organisation; it does
#       not count. A consent must name the unit or organisation the message goes to.
#     missing_consent.young_person: >-
#       A valid written {regime} consent from the young person, naming the
#       recipient, is needed.
#     missing_consent.custody_holders: >-
#       A valid written {regime} consent from the custody holders, naming the
#       recipient, is needed (rule: {rule}).
_consent_rule := "SEND-SUL-43-1-CONSENT" if {
	_correspondence_topic
	_path == "health_to_municipal"
}

# METADATA
# title: From the municipality to anyone with the family's consent
# description: >-
#   A caseworker or PPR psychologist may send confidential information about
#   the child to a GP, a psychiatry unit or another municipal unit with the
#   family's explicit consent naming the recipient. Without it the duty of
#   confidentiality stands.
# custom:
#   rule_id: SEND-FVL-28-CONSENT
#   legal_basis: [fvl-28-2-1]
#   messages:
#     permitted: >-
#       Permitted: the family's consent ({fvl-28-2-1}) names the recipient.
#     consent_expired: >-
#       A {regime} consent naming the recipient has lapsed; a new one is needed.
#     consent_recipient_not_named: >-
#       A consent names its recipient only as a kind of organisation; it does
#       not count. A consent must name the unit or organisation the message goes to.
#     missing_consent.young_person: >-
#       A valid {regime} consent from the young person, naming the recipient,
#       is needed.
#     missing_consent.custody_holders: >-
#       A valid {regime} consent from the custody holders, naming the
#       recipient, is needed (rule: {rule}).
_consent_rule := "SEND-FVL-28-CONSENT" if {
	_correspondence_topic
	_path == "municipal"
}

_regimes := {"SEND-SUL-43-1-CONSENT": "sul-43-1", "SEND-FVL-28-CONSENT": "fvl-28-2-1"}

_regime := _regimes[_consent_rule]

_status := data.hoi.consent.message_status(_regime, _recipient)

_consent_met if _status.satisfied == true

# METADATA
# title: Without consent, only for a weighty concern, by a health professional
# description: >-
#   Without consent a health professional may send health information to the
#   municipality only when a weighty concern for the child or others makes it
#   necessary, stated in the message's grounds (at least a few words). The
#   health professional holding the information decides, and the grounds are
#   noted. Our reading of the exception, unconfirmed; a report of concern goes
#   by its own channel.
# custom:
#   rule_id: SEND-SUL-43-2-WEIGHTY-CONCERN
#   legal_basis: [sul-43-2-2, sul-43-3]
#   messages:
#     permitted: >-
#       Permitted without consent for a weighty concern ({sul-43-2-2}); the
#       grounds are recorded.
#     grounds_insufficient: >-
#       Grounds of a weighty concern must be of kind weighty_concern and say
#       why in at least {chars} characters.
#     health_professional_required: >-
#       Only a health professional, as the staff register confirms, may send
#       without consent for a weighty concern.
_weighty_concern_met if {
	_path == "health_to_municipal"
	_grounds_sufficient
	data.hoi.staff.health_professional
}

_min_chars := object.get(_settings, "weighty_concern_min_reason_chars", 10)

_grounds_sufficient if {
	_grounds.kind == "weighty_concern"
	is_string(_grounds.reason)
	count(trim_space(_grounds.reason)) >= _min_chars
}

_grounds_failures := array.concat(
	[data.hoi.reason.with_fields(
		"SEND-SUL-43-2-WEIGHTY-CONCERN",
		"grounds_insufficient",
		{"{chars}": sprintf("%v", [_min_chars])},
		{"grounds": object.get(_grounds, "kind", null)},
	) |
		_path == "health_to_municipal"
		is_object(_grounds)
		not _grounds_sufficient
	],
	[data.hoi.reason.build("SEND-SUL-43-2-WEIGHTY-CONCERN", "health_professional_required", {}) |
		_path == "health_to_municipal"
		is_object(_grounds)
		not data.hoi.staff.health_professional
	],
)

# METADATA
# title: An entitled person's objection stops a message to the recipient
# description: >-
#   The young person from 15, or any custody holder under 15, may object to
#   information being passed on; an objection that reaches the recipient (it
#   names it, its organisation or its kind, or no recipient at all) stops a
#   message whatever consents exist. A weighty concern is the exception.
#   Whatever data categories the objection names, it counts against a message
#   to the recipient it reaches (the safe side; unconfirmed).
# custom:
#   rule_id: SEND-OBJECTION
#   legal_basis: [sul-41-3, fal-3-1]
#   messages:
#     objected: >-
#       A person entitled to decide for the child has objected to information
#       being passed on to this recipient.
_objections := data.hoi.consent.objections_to(_recipient)

_objected := data.hoi.reason.with_fields("SEND-OBJECTION", "objected", {}, {"objections": sort(_objections)})

# METADATA
# title: No legal route, no message
# description: >-
#   A message for which no route applies (an unknown topic, a recipient of a
#   kind no route reaches, a sender whose sector no route starts from) is
#   refused: the duties of confidentiality stand.
# custom:
#   rule_id: SEND-NO-ROUTE
#   legal_basis: [sul-40-1, fvl-27-1]
#   scenario_exempt: >-
#     Every topic and recipient the send API accepts has a route or a channel;
#     this guard answers inputs the API refuses before asking (an unknown topic
#     or kind of recipient). The Rego tests and tests/engine/test_send_policy.py
#     exercise it on both engines.
#   messages:
#     no_route: >-
#       No legal route lets the role {role} send a {topic} message to a
#       {recipient_type}.
_no_route_reason := data.hoi.reason.build("SEND-NO-ROUTE", "no_route", {
	"{role}": input.subject.role,
	"{topic}": _topic,
	"{recipient_type}": _recipient.type,
})

# --- why a consent route fails ---------------------------------------------------

default _missing_key := "missing_consent.custody_holders"

_missing_key := "missing_consent.young_person" if data.hoi.consent.child_decides

_capacities := {true: "child", false: "custody_holder"}

_consent_failures := [reason |
	some part in [_expired_reasons, _unnamed_reasons, [_missing_reason]]
	some reason in part
]

_expired_reasons := [data.hoi.reason.with_fields(
	_consent_rule,
	"consent_expired",
	{"{regime}": _regime},
	{"consents": _status.expired, "regime": _regime},
) |
	count(_status.expired) > 0
]

_unnamed_reasons := [data.hoi.reason.with_fields(
	_consent_rule,
	"consent_recipient_not_named",
	{},
	{"consents": _status.unnamed_recipient, "regime": _regime},
) |
	count(_status.unnamed_recipient) > 0
]

_missing_reason := data.hoi.reason.with_fields(
	_consent_rule,
	_missing_key,
	{"{regime}": _regime, "{rule}": _config.consent.joint_custody_rule},
	{
		"regime": _regime,
		"missing": [{"person": p, "capacity": _capacities[p == input.child.cpr]} | some p in _status.missing],
		"rule": _config.consent.joint_custody_rule,
	},
)

# --- the outcome ----------------------------------------------------------------

_logged := ["log_to_citizen"]

# A weighty concern is logged, and its grounds go in the sender's record.
_weighty_obligations := ["log_to_citizen", "record_disclosure_grounds"]

# The outcome of the message's legal route, when one applies.
_route_outcome := _permit("SEND-SUL-41-TREATMENT", [], _logged) if {
	_treatment_route
	count(_objections) == 0
} else := _permit(_consent_rule, _status.relied_on, _logged) if {
	_consent_met
	count(_objections) == 0
} else := _permit("SEND-SUL-43-2-WEIGHTY-CONCERN", [], _weighty_obligations) if {
	_weighty_concern_met
} else := _deny_relying([_objected], {"consents": [], "objections": sort(_objections), "blocks": []}) if {
	_correspondence_topic
	_path
	count(_objections) > 0
} else := _deny(array.concat(_consent_failures, _grounds_failures)) if {
	_consent_rule
}

# METADATA
# title: The outcome of sending the message
# description: >-
#   In order of precedence: a topic with its own channel is refused with the
#   channel; then the sender's relation; then the recipient's involvement;
#   then the legal route (permit, or why not and what would make it lawful).
outcome := _deny([_channel_reason]) if {
	_channel
} else := _deny([_no_relation_reason]) if {
	not _sender_related
} else := _deny([_not_involved_reason]) if {
	not _recipient_involved
} else := _route_outcome if {
	_route_outcome
} else := _deny([_no_route_reason])

_deny(reasons) := _deny_relying(reasons, {"consents": [], "objections": [], "blocks": []})

_deny_relying(reasons, relied_on) := {
	"category": "correspondence",
	"decision": "deny",
	"fields": [],
	"rule_id": null,
	"legal_basis": [],
	"reasons": reasons,
	"relied_on": relied_on,
	"override": false,
	"override_possible": false,
	"obligations": [],
	"exclude_organisations": [],
}

_permit(rule_id, consents, obligations) := {
	"category": "correspondence",
	"decision": "permit",
	"fields": ["message"],
	"rule_id": rule_id,
	"legal_basis": data.hoi.reason.legal_basis(rule_id),
	"reasons": [data.hoi.reason.build(rule_id, "permitted", {})],
	"relied_on": {"consents": consents, "objections": [], "blocks": []},
	"override": false,
	"override_possible": false,
	"obligations": obligations,
	"exclude_organisations": [],
}
