"""The circuit breaker's state machine, on a clock the test moves."""

from __future__ import annotations

from broker.breaker import CircuitBreaker, State


def _state(breaker: CircuitBreaker) -> State:
    return breaker.state


def _breaker(now: list[float]) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, reset_after_s=10, clock=lambda: now[0])


def test_opens_after_threshold_failures_in_a_row() -> None:
    now = [0.0]
    breaker = _breaker(now)
    for _ in range(2):
        assert breaker.allow()
        breaker.failure()
    assert _state(breaker) == "closed"
    assert breaker.allow()
    breaker.failure()
    assert _state(breaker) == "open"
    assert not breaker.allow()


def test_a_success_resets_the_count() -> None:
    now = [0.0]
    breaker = _breaker(now)
    breaker.failure()
    breaker.failure()
    breaker.success()
    breaker.failure()
    breaker.failure()
    assert _state(breaker) == "closed"


def test_half_open_lets_exactly_one_trial_through() -> None:
    now = [0.0]
    breaker = _breaker(now)
    for _ in range(3):
        breaker.failure()
    now[0] = 10.0
    assert _state(breaker) == "half_open"
    assert breaker.allow()
    assert not breaker.allow()  # a second caller waits for the trial's verdict
    breaker.success()
    assert _state(breaker) == "closed"
    assert breaker.allow()


def test_failed_trial_opens_for_a_full_period_again() -> None:
    now = [0.0]
    breaker = _breaker(now)
    for _ in range(3):
        breaker.failure()
    now[0] = 10.0
    assert breaker.allow()
    breaker.failure()
    assert _state(breaker) == "open"
    now[0] = 19.0
    assert not breaker.allow()
    now[0] = 20.0
    assert breaker.allow()


def test_abandoned_trial_frees_the_slot() -> None:
    now = [0.0]
    breaker = _breaker(now)
    for _ in range(3):
        breaker.failure()
    now[0] = 10.0
    assert breaker.allow()
    breaker.abandon()
    assert breaker.allow()
