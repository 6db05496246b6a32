"""The send question's vocabulary agrees with the policy's data."""

from __future__ import annotations

from policy.catalogue import catalogue
from policy.sending import GROUNDS_REASON_MIN_LENGTH, TOPICS


def test_the_api_accepts_exactly_the_topics_the_policy_knows() -> None:
    rules = catalogue().correspondence
    assert rules is not None
    known = set(rules.message_topics) | set(rules.channels)
    assert set(TOPICS) == known
    assert not set(rules.message_topics) & set(rules.channels)


def test_the_api_asks_at_least_the_reason_length_the_policy_needs() -> None:
    rules = catalogue().correspondence
    assert rules is not None
    assert rules.weighty_concern_min_reason_chars <= GROUNDS_REASON_MIN_LENGTH
