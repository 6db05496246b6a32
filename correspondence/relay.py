"""The relay: delivers the outbox's messages to the message network, exactly once.

`Relay.run_once()` claims the due pending rows (each under a lease, so several
relays or replicas never post the same row at the same time), posts each message
to the recipient's inbox (`POST {network}/inboxes/{gln}/messages`) with the header
`Idempotency-Key: <message id>`, and reads the MedCom acknowledgement it gets back:

- `ok` (bound to the message: `response.identifier` is its id): delivered; the
  acknowledgement is kept and the content cleared;
- `fatal-error`: failed, not retried (the network will never take it);
- anything else (`transient-error`, a 5xx, a timeout, no answer, an answer that is
  not an acknowledgement of this message): tried again after an exponential
  backoff with jitter, and failed after `max_attempts`.

A relay that dies between posting and recording leaves the row pending; when the
lease runs out a relay posts it again with the same idempotency key, and the
network answers with the acknowledgement it gave the first time instead of
delivering a second copy. So a message is delivered at least once by the relay and
at most once by the network.

`Relay.run(stop_event)` polls for due rows every `poll_interval_s` and wakes at
once on `notify()` (the sender path calls it after its commit).

`python -m correspondence.relay --database-url ... --network-url ...` runs a relay
on its own until stopped (a worker beside the API, and the crash test's victim).

Logs name message ids, HTTP statuses and acknowledgement codes; never content.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine

from correspondence.acknowledgement import (
    Acknowledgement,
    AcknowledgementRefused,
    parse_acknowledgement,
)
from correspondence.outbox import (
    Claimed,
    claim,
    due_ids,
    mark_delivered,
    mark_failed,
    mark_retry,
)

log = logging.getLogger("hoi.correspondence.relay")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RelayConfig:
    network_url: str
    """The message network's base URL (its inboxes are under `/inboxes/{gln}/messages`)."""
    max_attempts: int = 8
    poll_interval_s: float = 2.0
    lease_s: float = 60.0
    """How long a claimed row is held; longer than a post can take (`timeout_s`)."""
    backoff_base_s: float = 1.0
    backoff_max_s: float = 600.0
    timeout_s: float = 10.0
    batch: int = 50
    concurrency: int = 4

    def __post_init__(self) -> None:
        if self.lease_s <= self.timeout_s:
            raise ValueError("the lease must outlast a post (lease_s > timeout_s)")
        if self.max_attempts < 1 or self.concurrency < 1 or self.batch < 1:
            raise ValueError("max_attempts, concurrency and batch must be at least 1")


@dataclass(frozen=True)
class _Outcome:
    kind: str  # delivered | retry | failed
    error: str | None = None
    ack: Acknowledgement | None = None


class Relay:
    """Delivers the outbox in `db` to the network `config.network_url` names."""

    def __init__(
        self,
        db: Engine,
        config: RelayConfig,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout_s), follow_redirects=False
        )
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken = False

    def notify(self) -> None:
        """A message was just written: look now rather than at the next poll. Safe
        from any thread."""
        self._woken = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt: doubling from
        `backoff_base_s` up to `backoff_max_s`, half of it random (so relays that
        failed together do not retry together)."""
        ceiling = min(
            self.config.backoff_max_s, self.config.backoff_base_s * 2 ** max(attempts - 1, 0)
        )
        return timedelta(seconds=ceiling / 2 + self._rng.uniform(0, ceiling / 2))

    def _url(self, gln: str) -> str:
        return f"{self.config.network_url.rstrip('/')}/inboxes/{gln}/messages"

    async def _post(self, message: Claimed) -> _Outcome:
        try:
            response = await self._client.post(
                self._url(message.recipient_gln),
                content=message.bundle.encode("utf-8"),
                headers={
                    "content-type": "application/fhir+json",
                    "accept": "application/fhir+json",
                    "idempotency-key": message.message_id,
                },
            )
        except httpx.HTTPError as exc:
            return _Outcome("retry", f"no answer: {type(exc).__name__}")
        ack: Acknowledgement | None = None
        try:
            ack = parse_acknowledgement(response.json())
        except (ValueError, AcknowledgementRefused):
            ack = None
        status = response.status_code
        if ack is not None and ack.acknowledges != message.message_id:
            return _Outcome("retry", f"http {status}: an acknowledgement of another message")
        if ack is not None and ack.code == "fatal-error":
            return _Outcome("failed", f"http {status}: fatal-error {' '.join(ack.issues)}", ack)
        if ack is not None and ack.code == "ok" and response.is_success:
            return _Outcome("delivered", ack=ack)
        if ack is not None:
            return _Outcome("retry", f"http {status}: {ack.code} {' '.join(ack.issues)}".strip())
        return _Outcome("retry", f"http {status}: no acknowledgement")

    async def _deliver(self, message: Claimed) -> None:
        outcome = await self._post(message)
        now = self._clock()
        if outcome.kind == "delivered":
            assert outcome.ack is not None
            await asyncio.to_thread(mark_delivered, self.db, message.message_id, outcome.ack, now)
            log.info(
                "message delivered",
                extra={"message_id": message.message_id, "attempts": message.attempts},
            )
            return
        error = outcome.error or "unknown"
        if outcome.kind == "failed" or message.attempts >= self.config.max_attempts:
            await asyncio.to_thread(mark_failed, self.db, message.message_id, error, outcome.ack)
            log.warning(
                "message failed",
                extra={
                    "message_id": message.message_id,
                    "attempts": message.attempts,
                    "error": error,
                },
            )
            return
        at = now + self.backoff(message.attempts)
        await asyncio.to_thread(mark_retry, self.db, message.message_id, error, at)
        log.info(
            "message to be retried",
            extra={"message_id": message.message_id, "attempts": message.attempts, "error": error},
        )

    async def run_once(self) -> int:
        """Claim and post the messages due now; return how many were attempted."""
        now = self._clock()
        lease = timedelta(seconds=self.config.lease_s)
        ids = await asyncio.to_thread(due_ids, self.db, now, self.config.batch)
        gate = asyncio.Semaphore(self.config.concurrency)

        async def one(message_id: str) -> int:
            async with gate:
                message = await asyncio.to_thread(claim, self.db, message_id, self._clock(), lease)
                if message is None:  # another relay has it
                    return 0
                await self._deliver(message)
                return 1

        results = await asyncio.gather(*(one(i) for i in ids), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures:  # the row stays pending; it is claimed again after its lease
            log.warning("relay attempt failed", extra={"error": type(failure).__name__})
        return sum(r for r in results if isinstance(r, int))

    async def run(self, stop_event: asyncio.Event) -> None:
        """Deliver until `stop_event` is set: at once when notified, else every
        `poll_interval_s`. An error in one round (the database away) is logged and
        the next round tries again."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        if self._woken:
            self._wake.set()
        while not stop_event.is_set():
            self._wake.clear()
            self._woken = False
            try:
                handled = await self.run_once()
            except Exception as exc:  # keep relaying; the rows stay pending
                log.warning("relay round failed", extra={"error": type(exc).__name__})
                handled = 0
            if handled and not stop_event.is_set():
                continue  # there may be more due
            waiters = [
                asyncio.ensure_future(stop_event.wait()),
                asyncio.ensure_future(self._wake.wait()),
            ]
            try:
                await asyncio.wait(
                    waiters,
                    timeout=self.config.poll_interval_s,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                for waiter in waiters:
                    waiter.cancel()
                await asyncio.gather(*waiters, return_exceptions=True)

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()


class RelayTask:
    """A relay running in the background of an event loop, stopped cleanly."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self.relay.run(self._stop), name="hoi-outbox-relay"
            )

    async def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._task is not None:
            # On a timeout wait_for cancels it; a row it held is claimed again after its lease.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._task, timeout_s)
            self._task = None
        await self.relay.aclose()


def main(argv: list[str] | None = None) -> None:
    """Run one relay until SIGTERM or SIGINT."""
    from db.engine import make_engine

    parser = argparse.ArgumentParser(prog="python -m correspondence.relay", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--network-url", required=True)
    parser.add_argument("--lease-s", type=float, default=RelayConfig.lease_s)
    parser.add_argument("--timeout-s", type=float, default=RelayConfig.timeout_s)
    parser.add_argument("--poll-interval-s", type=float, default=RelayConfig.poll_interval_s)
    parser.add_argument("--backoff-base-s", type=float, default=RelayConfig.backoff_base_s)
    parser.add_argument("--max-attempts", type=int, default=RelayConfig.max_attempts)
    parser.add_argument("--concurrency", type=int, default=RelayConfig.concurrency)
    args = parser.parse_args(argv)
    config = RelayConfig(
        network_url=args.network_url,
        lease_s=args.lease_s,
        timeout_s=args.timeout_s,
        poll_interval_s=args.poll_interval_s,
        backoff_base_s=args.backoff_base_s,
        max_attempts=args.max_attempts,
        concurrency=args.concurrency,
    )
    db = make_engine(args.database_url)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        relay = Relay(db, config)
        try:
            await relay.run(stop)
        finally:
            await relay.aclose()

    try:
        asyncio.run(serve())
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
