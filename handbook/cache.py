"""The handbook the service serves: built on first request, then kept."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from engine.base import PolicyEngine
from handbook.build import Handbook, build_handbook
from policy.legal import LegalCatalogue

SERVED_AT = "/policy/"


class HandbookCache:
    """Builds the handbook once per day (the matrix is evaluated as of a date)."""

    def __init__(
        self, engine: PolicyEngine, legal: LegalCatalogue, today: Callable[[], dt.date]
    ) -> None:
        self._engine = engine
        self._legal = legal
        self._today = today
        self._lock = asyncio.Lock()
        self._built: Handbook | None = None

    async def get(self) -> Handbook:
        async with self._lock:
            day = self._today()
            if self._built is None or self._built.day != day:
                self._built = await build_handbook(
                    self._engine, self._legal, day=day, base_href=SERVED_AT
                )
            return self._built
