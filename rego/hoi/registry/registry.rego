# METADATA
# title: Who may see and record a child's consent situation
# description: >-
#   The consents, objections and blocks recorded for a child say things about
#   the child and the family (who objected, which department is blocked). A
#   professional sees them, and records a consent or objection the family gave
#   them, only with the relation to the child that their own lookups need.
package hoi.registry

_role := data.hoi.config.roles[input.subject.role]

# METADATA
# title: A professional with an active relation sees and records the consent situation
# description: >-
#   A professional in a catalogue role, at a kind of organisation the role
#   exists at, may read the child's consents, objections and blocks, and record
#   what the family gave them, while they have the active relation their
#   role's lookups need: the caseworker's open case, the GP's consultation
#   window, psychiatry's course of treatment. Without it the registry is
#   closed to them, as the records are.
# custom:
#   rule_id: REG-ACTIVE-RELATION
#   legal_basis: [sul-40-1, fvl-27-1]
#   messages:
#     no_relation: >-
#       Only a professional with an active relation to the child sees or records
#       the child's consents, objections and blocks.
allowed if {
	input.subject.organisation.type in _role.organisation_types
	data.hoi.relation.active(_role.relation)
}

# The answer the service reads: allowed, or why not.
access := {"allowed": true, "rule_id": "REG-ACTIVE-RELATION", "reasons": []} if {
	allowed
} else := {"allowed": false, "rule_id": null, "reasons": [data.hoi.reason.with_fields(
	"REG-ACTIVE-RELATION",
	"no_relation",
	{},
	{"relation": object.get(object.get(data.hoi.config.roles, input.subject.role, {}), "relation", null)},
)]}
