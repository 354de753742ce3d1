"""The store contract, run against every store: the database and Redis engines.

What ``sessions_core.backends.base.FinalSessionStore`` asks of a store, primitive
by primitive, by digest. A new store passes this file before anything else.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection

from sessions_core import store
from sessions_core.backends.base import TOMBSTONE_MARK, Tombstone
from sessions_core.models import digest_key

TTL = 60
LIVE = '{"n":1}'
NEWER = '{"n":2}'
ENDED = Tombstone("admin", 7)


@pytest.fixture
def engine_class(engine, db):
    return store.engine()


def digest(name: str) -> str:
    return digest_key(f"contract-{name}")


def test_nothing_stored_reads_as_nothing(engine_class):
    entry = engine_class.read(digest("none"))
    assert entry.data is None and entry.end is None


def test_write_new_only_where_nothing_is(engine_class):
    assert engine_class.write_new(digest("a"), LIVE, TTL)
    assert not engine_class.write_new(digest("a"), NEWER, TTL)
    assert engine_class.read(digest("a")).data == {"n": 1}


def test_write_if_live_only_over_live_data(engine_class):
    assert not engine_class.write_if_live(digest("gone"), LIVE, TTL)
    assert engine_class.read(digest("gone")).data is None
    engine_class.write_new(digest("a"), LIVE, TTL)
    assert engine_class.write_if_live(digest("a"), NEWER, TTL)
    assert engine_class.read(digest("a")).data == {"n": 2}


def test_an_end_is_read_at_once_and_no_write_undoes_it(engine_class):
    engine_class.write_new(digest("a"), LIVE, TTL)
    engine_class.end_keys({digest("a"): ENDED, digest("never"): ENDED})
    for name in ("a", "never"):
        assert engine_class.read(digest(name)) == store.Entry(end=ENDED)
    assert not engine_class.write_if_live(digest("a"), NEWER, TTL)
    assert not engine_class.write_new(digest("a"), NEWER, TTL)
    engine_class.discard(digest("a"))  # logout's flush
    assert engine_class.read(digest("a")).end == ENDED


def test_discard_removes_live_data(engine_class):
    engine_class.write_new(digest("a"), LIVE, TTL)
    engine_class.discard(digest("a"))
    assert engine_class.read(digest("a")).data is None


def test_delete_digests_removes_anything(engine_class):
    engine_class.write_new(digest("a"), LIVE, TTL)
    engine_class.end_keys({digest("b"): ENDED})
    engine_class.delete_digests([digest("a"), digest("b")])
    assert engine_class.read(digest("a")) == engine_class.read(digest("b"))
    assert engine_class.read(digest("a")).data is None


def test_move_carries_live_data_and_leaves_nothing_behind(engine_class):
    engine_class.write_new(digest("old"), LIVE, TTL)
    assert engine_class.move(digest("old"), digest("new"), NEWER, TTL) is True
    assert engine_class.read(digest("new")).data == {"n": 2}
    assert engine_class.read(digest("old")).data is None


def test_move_of_an_ended_session_carries_the_end(engine_class):
    engine_class.end_keys({digest("old"): ENDED})
    assert engine_class.move(digest("old"), digest("new"), LIVE, TTL) == ENDED
    assert engine_class.read(digest("new")).end == ENDED


def test_move_from_nothing_writes_nothing(engine_class):
    assert engine_class.move(digest("old"), digest("new"), LIVE, TTL) is False
    assert engine_class.read(digest("new")).data is None


def test_move_to_a_taken_key_is_refused(engine_class):
    engine_class.write_new(digest("old"), LIVE, TTL)
    engine_class.write_new(digest("new"), NEWER, TTL)
    assert engine_class.move(digest("old"), digest("new"), LIVE, TTL) is None
    assert engine_class.read(digest("old")).data == {"n": 1}


def test_garbage_reads_as_nothing_not_as_an_error(engine_class):
    assert engine_class.decode_entry("not json").data is None
    assert engine_class.decode_entry(TOMBSTONE_MARK + "not json").end.reason == ""


def test_entries_live_as_long_as_they_are_told(engine_class, settings):
    """Data for its ttl, tombstones for what the policy says (store_ttl)."""
    settings.SESSIONS_CORE_ABSOLUTE_TIMEOUT = settings.SESSION_COOKIE_AGE = 1
    engine_class.write_new(digest("a"), LIVE, 1)
    engine_class.end_keys({digest("b"): ENDED})
    assert engine_class.read(digest("a")).data and engine_class.read(digest("b")).end
    time.sleep(1.1)  # Redis expires keys by its own clock: a real second
    assert engine_class.read(digest("a")).data is None
    assert engine_class.read(digest("b")).end is None


@contextmanager
def unreachable(engine: str, settings):
    """The store down: Redis on a port nothing listens on; a database whose every
    query fails as a dropped connection does (through Django's own hook)."""
    if engine == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            }
        }
        yield
        return

    def refuse(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


def test_a_store_that_cannot_be_reached_says_so(engine, engine_class, settings):
    calls = (
        lambda store_class: store_class.read(digest("a")),
        lambda store_class: store_class.write_new(digest("a"), LIVE, TTL),
        lambda store_class: store_class.write_if_live(digest("a"), LIVE, TTL),
        lambda store_class: store_class.end_keys({digest("a"): ENDED}),
        lambda store_class: store_class.move(digest("a"), digest("b"), LIVE, TTL),
        lambda store_class: store_class.discard(digest("a")),
    )
    with unreachable(engine, settings):
        for call in calls:
            with pytest.raises(store.StoreUnavailable):
                call(store.engine())
