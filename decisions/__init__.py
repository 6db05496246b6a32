"""The application service for access decisions: the one audited decision path.

Every way in (the native API, AuthZEN, the child overview, the command line) asks
`AuditedDecisions`; none of them talks to the decision point and the audit log
on its own. Nothing here knows about HTTP: callers pass plain values (`Origin`).
"""

from decisions.service import CLOCK_SKEW, AuditedDecisions, Origin, together_key

__all__ = ["CLOCK_SKEW", "AuditedDecisions", "Origin", "together_key"]
