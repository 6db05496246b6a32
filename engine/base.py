"""The interface every policy engine backend implements."""

from __future__ import annotations

from typing import Any, Protocol

from policy.errors import HoiError

DECISION_RULE = "data.hoi.decision.result"
NONCE_KEY = "nonce"
"""The decision echoes `input.request.nonce` under this key; `evaluate` removes it
after checking it (OPA), so both engines return the same decision document."""
REVISION_KEY = "_policy_revision"
"""An engine whose policy can change while it runs (OPA following a bundle server)
adds the revision that answered under this key; the decision point takes it out
and records it, so during a rollout every decision names the revision that made it."""


class EngineError(HoiError):
    """The engine could not produce a decision (load, evaluation, timeout, transport)."""


class PolicyEngine(Protocol):
    """Evaluates the decision entrypoint for one input document."""

    @property
    def name(self) -> str:
        """Short name recorded with every decision (`embedded` or `opa`)."""
        ...

    @property
    def revision(self) -> str:
        """The revision of the policy bundle this engine evaluates."""
        ...

    async def evaluate(self, document: dict[str, Any]) -> dict[str, Any]:
        """Return the value of DECISION_RULE for `document`, without the nonce echo;
        raise EngineError."""
        ...

    async def ready(self) -> bool:
        """True when the engine has its policies loaded and answers."""
        ...

    async def aclose(self) -> None:
        """Release what the engine holds."""
        ...
