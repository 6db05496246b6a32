# METADATA
# title: Reasons, built from the rules' own words
# description: >-
#   Every reason a decision gives is built here, from the rule's METADATA: its
#   legal basis and its message templates. The bundle build turns the
#   annotations into the data document data.hoi.rules (keyed by rule id),
#   because the embedded engine cannot read rego.metadata. A template names
#   its values in braces ({role}); a provision id in braces ({sul-43-1}) is
#   left for the service to fill in with the citation from legal_basis/.
package hoi.reason

# The reason a rule gives under one of its message keys. The code is the key
# up to its first dot (the rules document carries it, as codes): a
# "missing_consent.custody_holders" message is a missing_consent reason in the
# custody holders' words. args maps placeholder names to text.
build(rule_id, key, args) := reason if {
	rule := data.hoi.rules[rule_id]
	reason := {
		"code": rule.codes[key],
		"rule_id": rule_id,
		"legal_basis": rule.legal_basis,
		"message": strings.replace_n(
			object.union(
				# (text as it is, other values as %v; inline, not a helper function:
				# the embedded engine pays for every call)
				{sprintf("{%s}", [name]): value | some name, value in args; is_string(value)},
				{sprintf("{%s}", [name]): sprintf("%v", [value]) | some name, value in args; not is_string(value)},
			),
			rule.messages[key],
		),
	}
}

# The same, with the reason's own further fields (the consents, blocks, ...).
with_fields(rule_id, key, args, fields) := object.union(build(rule_id, key, args), fields)

# A rule's legal basis, as its METADATA declares it.
legal_basis(rule_id) := data.hoi.rules[rule_id].legal_basis
