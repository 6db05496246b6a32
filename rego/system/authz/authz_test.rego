package system.authz_test

import data.system.authz

_token := "a-token-of-at-least-thirty-two-characters"

_runtime := {"env": {"HOI_OPA_TOKEN": _token}}

test_allow_the_configured_token if {
	authz.allow with input as {"identity": _token, "path": ["v1", "data"], "method": "POST"}
		with opa.runtime as _runtime
}

test_deny_without_a_token if {
	not authz.allow with input as {"path": ["v1", "data"], "method": "POST"}
		with opa.runtime as _runtime
}

test_deny_a_wrong_token if {
	not authz.allow with input as {"identity": concat("", [_token, "x"]), "path": ["health"]}
		with opa.runtime as _runtime
}

test_deny_a_token_that_is_not_a_string if {
	not authz.allow with input as {"identity": 42} with opa.runtime as _runtime
}

test_deny_everyone_when_opa_has_no_token if {
	not authz.allow with input as {"identity": ""} with opa.runtime as {"env": {}}
}

test_deny_everyone_when_the_token_is_short if {
	not authz.allow with input as {"identity": "short"}
		with opa.runtime as {"env": {"HOI_OPA_TOKEN": "short"}}
}
