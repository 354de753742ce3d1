"""store.read_many, the websockets' backstop read, against both engines."""

from __future__ import annotations

import pytest

from sessions_core import store
from sessions_core.backends.base import Tombstone
from sessions_core.models import digest_key

TTL = 60
ENDED = Tombstone("admin", 7)


@pytest.fixture
def engine_class(engine, db):
    return store.engine()


def digest(n: int) -> str:
    return digest_key(f"many-{n}")


def test_entries_come_back_in_order_live_ended_and_missing(engine_class):
    engine_class.write_new(digest(1), '{"n": 1}', TTL)
    engine_class.write_new(digest(2), '{"n": 2}', TTL)
    engine_class.end_keys({digest(2): ENDED})
    entries = store.read_many([digest(3), digest(2), digest(1), digest(1)])
    assert entries == [
        store.Entry(),
        store.Entry(end=ENDED),
        store.Entry(data={"n": 1}),
        store.Entry(data={"n": 1}),
    ]
    assert store.read_many([]) == []


def test_more_digests_than_one_round_trip_takes(engine_class):
    count = 1201  # over the Redis chunk (1,000) and the database's (500)
    for n in range(0, count, 2):
        engine_class.write_new(digest(n), f'{{"n": {n}}}', TTL)
    entries = store.read_many([digest(n) for n in range(count)])
    assert [entry.data for entry in entries] == [
        {"n": n} if n % 2 == 0 else None for n in range(count)
    ]
