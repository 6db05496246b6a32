"""The replay store: which token each token id (`jti`) belongs to, shared by replicas.

A bearer access token (RFC 9068) is reused by its client for its whole lifetime;
refusing its second use would break every legitimate client. What the store
refuses instead:

- **another token with a used jti**: the id is bound to the first token that
  carried it (a SHA-256 of the whole compact token). A token that repeats the id
  with other claims, another signature or another encoding is a replay of that id
  and is refused until the first token expires;
- **a single-use token used again**: a token that says `single_use: true`, or any
  token when the service is configured with `HOI_AUTH_TOKEN_SINGLE_USE=true`, is
  accepted once.

One row per (issuer, jti) in the `token_use` table (auth/tables.py); the primary key is the unique
constraint, so two replicas racing to record the same id cannot both win. The
first use of a token costs one insert; later uses of a reusable token at the same
replica are answered from memory. Expired rows are purged, at most once a minute
per replica, as part of a recording. The database work runs in a worker thread,
never on the event loop; a store that cannot be written refuses the token (503).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from auth.tables import TOKEN_USES
from db.times import as_utc
from policy.errors import Unauthenticated, Unavailable

REPLAYED = "the token's id (jti) was already used"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TokenUses:
    """Records each token id's first use; refuses replays (see the module)."""

    db: Engine
    clock: Callable[[], datetime] = _utc_now
    purge_interval_s: float = 60.0
    remember: int = 10_000
    """How many reusable tokens this replica remembers (the rest are looked up)."""
    _seen: OrderedDict[tuple[str, str], tuple[str, datetime]] = field(
        default_factory=OrderedDict, repr=False
    )
    _next_purge: float = field(default=0.0, repr=False)

    async def record(
        self, *, issuer: str, jti: str, token: str, expires_at: datetime, single_use: bool
    ) -> None:
        """Accept this use of the token or raise Unauthenticated (a replay) or
        Unavailable (the store cannot be written: fail closed)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        key = (issuer, jti)
        if not single_use:
            known = self._seen.get(key)
            if known is not None and known[1] > self.clock():
                if known[0] != digest:
                    raise Unauthenticated(REPLAYED + " by another token", reason="replayed")
                return
        try:
            first = await asyncio.to_thread(self._insert, issuer, jti, digest, as_utc(expires_at))
        except SQLAlchemyError as exc:
            raise Unavailable("the token replay store is unavailable") from exc
        if first is None:  # the first use of this id, anywhere
            self._remember(key, digest, expires_at)
            return
        if single_use:
            raise Unauthenticated(REPLAYED + "; this token is single-use", reason="replayed")
        if first != digest:
            raise Unauthenticated(REPLAYED + " by another token", reason="replayed")
        self._remember(key, digest, expires_at)

    def _remember(self, key: tuple[str, str], digest: str, expires_at: datetime) -> None:
        """Only on the event loop's thread (after the insert's await)."""
        self._seen[key] = (digest, as_utc(expires_at))
        self._seen.move_to_end(key)
        while len(self._seen) > self.remember:
            self._seen.popitem(last=False)

    def _insert(self, issuer: str, jti: str, digest: str, expires_at: datetime) -> str | None:
        """Insert the use; None when it is the first, else the digest of the
        token that used the id first. Purges expired uses when one is due."""
        now = self.clock()
        with self.db.connect() as connection:
            if time.monotonic() >= self._next_purge:
                self._next_purge = time.monotonic() + self.purge_interval_s
                with connection.begin():
                    connection.execute(delete(TOKEN_USES).where(TOKEN_USES.c.expires_at < now))
            try:
                with connection.begin():
                    connection.execute(
                        insert(TOKEN_USES).values(
                            issuer=issuer, jti=jti, token_sha256=digest, expires_at=expires_at
                        )
                    )
                return None
            except IntegrityError:
                pass  # the id is known: whose is it?
            row = connection.execute(
                select(TOKEN_USES.c.token_sha256, TOKEN_USES.c.expires_at).where(
                    TOKEN_USES.c.issuer == issuer, TOKEN_USES.c.jti == jti
                )
            ).first()
        if row is None:  # purged between our insert and our look: the old use expired
            return self._insert(issuer, jti, digest, expires_at)
        if as_utc(row.expires_at) <= now:
            # An expired use not yet purged: the id is free again.
            with self.db.begin() as connection:
                connection.execute(
                    delete(TOKEN_USES).where(
                        TOKEN_USES.c.issuer == issuer,
                        TOKEN_USES.c.jti == jti,
                        TOKEN_USES.c.expires_at <= now,
                    )
                )
            return self._insert(issuer, jti, digest, expires_at)
        return str(row.token_sha256)
