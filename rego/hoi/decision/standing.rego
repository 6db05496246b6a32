# The registry's question, answered by the rules decisions use: where each
# consent, objection and block recorded for the child stands today. Computed
# only when the registry asks (input.action "registry.standing"); a decision
# leaves every part empty.
package hoi.decision

default registry_standing := {"consents": {}, "objections": {}, "blocks": {}}

registry_standing := {
	"consents": data.hoi.consent.standing,
	"objections": data.hoi.consent.objection_standing,
	"blocks": block_standing,
} if {
	input.action == "registry.standing"
}

# METADATA
# title: Whether each recorded block is in force
# description: >-
#   For each block id, "active" while it is in force (not lifted, from its
#   first day to its last), else "lifted", "scheduled" (not begun) or
#   "expired" (ended).
block_standing[b.id] := _block_standing(b) if {
	input.action == "registry.standing"
	some b in input.facts.blocks
}

_block_standing(b) := "lifted" if {
	b.lifted_at != null
} else := "active" if {
	_block_in_force(b)
} else := "scheduled" if {
	_today < b.valid_from
} else := "expired"
