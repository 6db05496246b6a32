"""A category's outcome does not depend on the other categories asked with it.

AuthZEN batches rely on this (decisions.AuditedDecisions.decide_together): the
evaluations of one call that differ only in their categories are decided with
one evaluation of the policy, then cut apart. A policy change that made one
category's answer depend on another's presence would make those answers wrong;
this test stops it. Overrides are outside the promise: the policy's answer to an
override request depends on the categories asked, so such questions are decided
alone (decisions.together_key)."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from policy.paths import REGO_DIR
from sandbox.corpus import corpus

SAMPLE = 120


@pytest.fixture(scope="module")
def engine() -> EmbeddedEngine:
    return EmbeddedEngine(PolicyBundle(REGO_DIR))


def _documents() -> list[dict[str, Any]]:
    situations = corpus().situations
    documents = [s.document for s in situations if not s.document["context"].get("override")]
    return random.Random(12).sample(documents, SAMPLE)


def test_each_category_is_decided_as_if_asked_alone(engine: EmbeddedEngine) -> None:
    compared = 0
    for document in _documents():
        joint = engine.evaluate_sync(document)
        for category in document["resource"]["categories"]:
            alone = copy.deepcopy(document)
            alone["resource"]["categories"] = [category]
            answer = engine.evaluate_sync(alone)
            assert answer["categories"][category] == joint["categories"][category]
            assert answer.get("override") == joint.get("override")
            compared += 1
    assert compared >= SAMPLE * 2  # the sample asks several categories per question
