"""The garbage-collection bench's timer (the load itself runs in
`python -m bench.gc_pauses`)."""

from __future__ import annotations

import gc

from bench.gc_pauses import Pauses


def test_each_collection_is_timed_under_its_generation() -> None:
    pauses = Pauses()
    gc.callbacks.append(pauses)
    try:
        gc.collect(2)
        gc.collect(1)
    finally:
        gc.callbacks.remove(pauses)
    assert len(pauses.by_generation[2]) >= 1 and len(pauses.by_generation[1]) >= 1
    assert all(t >= 0 for found in pauses.by_generation.values() for t in found)
