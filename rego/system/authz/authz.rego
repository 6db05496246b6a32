# METADATA
# title: Who may call OPA
# description: >-
#   OPA runs with --authentication=token --authorization=basic and asks this
#   policy about every API call. Only a caller bearing the token in OPA's own
#   environment (HOI_OPA_TOKEN, at least 32 characters) gets in: the policy
#   service. Not a decision rule of the hoi policy; the embedded engine never
#   loads it.
package system.authz

# Only the service's token is admitted. Fail closed: no token, a wrong token,
# or an OPA started without a token of at least 32 characters admits no one.
# The comparison runs in constant time.
default allow := false

allow if {
	is_string(input.identity)
	count(_expected) >= 32
	crypto.hmac.equal(input.identity, _expected)
}

_expected := object.get(opa.runtime().env, "HOI_OPA_TOKEN", "")
