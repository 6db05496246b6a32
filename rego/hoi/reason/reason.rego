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
# custody holders' words. args maps each placeholder, braces and all, to its
# text ({"{role}": "gp"}); a value that is not text the caller turns into text
# (sprintf "%v"). The template's placeholders are replaced in one call, with no
# comprehension: about a tenth of a decision's evaluation went into building
# the replacements from bare names (BENCHMARKS.md, s30).
build(rule_id, key, args) := reason if {
	rule := data.hoi.rules[rule_id]
	reason := {
		"code": rule.codes[key],
		"rule_id": rule_id,
		"legal_basis": rule.legal_basis,
		"message": strings.replace_n(args, rule.messages[key]),
	}
}

# The same, with the reason's own further fields (the consents, blocks, ...).
with_fields(rule_id, key, args, fields) := object.union(build(rule_id, key, args), fields)

# A rule's legal basis, as its METADATA declares it.
legal_basis(rule_id) := data.hoi.rules[rule_id].legal_basis
