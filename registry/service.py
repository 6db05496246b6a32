"""The registry's API for its callers (the HTTP routes, the handbook's worlds,
the seeding): recording and reading consents, objections and blocks.

Each concern has its own module: who may record and end entries
(entitlement.py), consents.py, objections.py, blocks.py, the history
(history.py), the facts the policy reads (state.py) and the policy's word on
where each entry stands (standing.py). Reads and writes that answer with an
entry take a `judge`: the policy, which alone says whether it
still counts.

`record_*` functions store and return the row (for callers that need no
answer); the others answer as the API does.
"""

from __future__ import annotations

from registry.blocks import create_block, lift_block, list_blocks, record_block, record_lift
from registry.consents import (
    consent_row,
    create_consent,
    get_consent,
    list_consents,
    record_consent,
    record_revocation,
    revoke_consent,
)
from registry.entitlement import GDPR_REGIMES, capacity, expiry_cap
from registry.history import history
from registry.objections import (
    create_objection,
    list_objections,
    record_objection,
    record_withdrawal,
    withdraw_objection,
)
from registry.standing import Judge, policy_judge
from registry.state import registry_state

__all__ = [
    "GDPR_REGIMES",
    "Judge",
    "capacity",
    "consent_row",
    "create_block",
    "create_consent",
    "create_objection",
    "expiry_cap",
    "get_consent",
    "history",
    "lift_block",
    "list_blocks",
    "list_consents",
    "list_objections",
    "policy_judge",
    "record_block",
    "record_consent",
    "record_lift",
    "record_objection",
    "record_revocation",
    "record_withdrawal",
    "registry_state",
    "revoke_consent",
    "withdraw_objection",
]
