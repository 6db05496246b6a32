"""Load through the balancer: N concurrent clients asking for decisions, each
answer noted with the replica that gave it (HAProxy's header), its decision id,
the policy revision that made it and whether anything was permitted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from cluster.haproxy import REPLICA_HEADER

DECISION = {
    "action": "view",
    "resource": {
        "child_cpr": "6809144615",
        "categories": ["psychiatry_appointments", "psychiatry_contacts", "school_daycare"],
    },
    "context": {"purpose": "social_case_work"},
}
"""The README's decision (examples/caseworker-psychiatry.json): Alma's caseworker,
on the parents' written consent; it permits when the policy is reachable."""


@dataclass(frozen=True)
class Answer:
    sent: float
    """Seconds since the drill began (time.monotonic based)."""
    received: float
    status: int
    """HTTP status; 0 when no answer came (connection error, timeout)."""
    replica: str
    decision_id: str | None = None
    revision: str | None = None
    permitted: bool = False
    reasons: tuple[str, ...] = ()
    """Every reason code of the decision (engine_error when the engine was down)."""

    @property
    def ok(self) -> bool:
        """A decision made by the policy: 200 and no category failed closed."""
        return self.status == 200 and "engine_error" not in self.reasons


def read_answer(sent: float, received: float, response: httpx.Response) -> Answer:
    replica = response.headers.get(REPLICA_HEADER, "")
    if response.status_code != 200:
        return Answer(sent, received, response.status_code, replica)
    body: dict[str, Any] = response.json()
    categories = body.get("categories", {}).values()
    return Answer(
        sent,
        received,
        200,
        replica,
        decision_id=body.get("decision_id"),
        revision=body.get("policy_revision"),
        permitted=any(c.get("decision") == "permit" for c in categories),
        reasons=tuple(r.get("code", "") for c in categories for r in c.get("reasons", [])),
    )


@dataclass
class Load:
    url: str
    token: str
    concurrency: int = 12
    origin: float = field(default_factory=time.monotonic)
    answers: list[Answer] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.origin

    async def run(self, seconds: float, during: Callable[[], Any] | None = None) -> list[Answer]:
        """Drive load for `seconds`; `during`, a coroutine function, runs beside it
        (the drill's kills and rollouts). Returns this run's answers."""
        start = len(self.answers)
        end = self.now() + seconds
        limits = httpx.Limits(max_connections=self.concurrency)
        headers = {"authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(
            base_url=self.url, limits=limits, headers=headers, timeout=10.0
        ) as client:

            async def one_client() -> None:
                while self.now() < end:
                    sent = self.now()
                    try:
                        response = await client.post("/v1/decisions", json=DECISION)
                    except httpx.HTTPError:
                        self.answers.append(Answer(sent, self.now(), 0, ""))
                        continue
                    self.answers.append(read_answer(sent, self.now(), response))

            tasks = [one_client() for _ in range(self.concurrency)]
            if during is not None:
                tasks.append(during())
            await asyncio.gather(*tasks)
        return self.answers[start:]


def throughput(answers: list[Answer]) -> float:
    """Answered decisions a second over the span they were sent in."""
    done = [a for a in answers if a.ok]
    if len(done) < 2:
        return 0.0
    span = max(a.received for a in done) - min(a.sent for a in done)
    return len(done) / span if span > 0 else 0.0
