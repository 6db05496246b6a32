"""The replay store: a token's id (jti) is bound to that one token across replicas;
single-use tokens are refused the second time; expired uses are purged."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from auth.replay import TokenUses
from auth.tables import TOKEN_USES
from db.engine import make_engine
from db.schema import create_schema
from policy.errors import Unauthenticated, Unavailable

ISSUER = "https://idp.region.example"
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'replay.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def use(
    store: TokenUses,
    token: str,
    *,
    jti: str = "jti-1",
    issuer: str = ISSUER,
    single_use: bool = False,
    lives: timedelta = timedelta(minutes=10),
) -> None:
    expires = START + lives
    asyncio.run(
        store.record(issuer=issuer, jti=jti, token=token, expires_at=expires, single_use=single_use)
    )


def test_a_bearer_token_may_be_used_again_during_its_lifetime(db: Engine, clock: Clock) -> None:
    store = TokenUses(db, clock=clock)
    for _ in range(3):
        use(store, "header.payload.signature")


def test_another_token_with_a_used_jti_is_refused(db: Engine, clock: Clock) -> None:
    store = TokenUses(db, clock=clock)
    use(store, "header.payload.signature")
    with pytest.raises(Unauthenticated, match="already used"):
        use(store, "header.payload.other-signature")


def test_a_single_use_token_is_refused_the_second_time(db: Engine, clock: Clock) -> None:
    store = TokenUses(db, clock=clock)
    use(store, "a.b.c", single_use=True)
    with pytest.raises(Unauthenticated, match="already used"):
        use(store, "a.b.c", single_use=True)


def test_replicas_sharing_the_database_refuse_each_others_replays(db: Engine, clock: Clock) -> None:
    first, second = TokenUses(db, clock=clock), TokenUses(db, clock=clock)
    use(first, "a.b.c")
    use(second, "a.b.c")  # the same bearer token at another replica
    with pytest.raises(Unauthenticated, match="already used"):
        use(second, "a.b.forged", jti="jti-1")
    use(first, "once.only.token", jti="jti-2", single_use=True)
    with pytest.raises(Unauthenticated, match="already used"):
        use(second, "once.only.token", jti="jti-2", single_use=True)


def test_the_same_jti_from_another_issuer_is_another_token(db: Engine, clock: Clock) -> None:
    store = TokenUses(db, clock=clock)
    use(store, "a.b.c")
    use(store, "x.y.z", issuer="https://idp.other-region.example")


def test_expired_uses_are_purged_and_their_jti_freed(db: Engine, clock: Clock) -> None:
    store = TokenUses(db, clock=clock, purge_interval_s=60)
    use(store, "a.b.c", jti="old")
    clock.now = START + timedelta(hours=1)  # past the token's expiry and the purge interval
    later = TokenUses(db, clock=clock, purge_interval_s=60)
    use(later, "d.e.f", jti="new", lives=timedelta(hours=1, minutes=10))
    with db.connect() as connection:
        jtis: list[str] = list(connection.execute(select(TOKEN_USES.c.jti)).scalars())
        assert jtis == ["new"]
        assert connection.execute(select(func.count()).select_from(TOKEN_USES)).scalar() == 1


def test_a_store_that_cannot_record_refuses_the_token(tmp_path: Path, clock: Clock) -> None:
    """Fail closed: no table, no acceptance."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(Unavailable):
        use(TokenUses(engine, clock=clock), "a.b.c")
    engine.dispose()
