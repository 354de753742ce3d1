"""The rotation purge when a part fails mid-batch (sessions_core.rotation).

Redis is sent the batch's UNLINK first and its answer is read after the records'
UPDATE, before the commit: a store that stops answering rolls the UPDATE back, an
UPDATE that fails still has the store's answer read, and neither leaves a pooled
connection with an unread answer on it. A private redis-server is paused or the
UPDATE made to fail; the next run finishes the purge.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import DatabaseError
from django.db.models import QuerySet

from sessions_core import rotation, store, tasks
from sessions_core.backends import redis as engine
from sessions_core.models import SessionRecord
from tests.integration.test_outage import private_redis, private_sessions  # noqa: F401


@pytest.fixture
def rotated(private_sessions, sign_in_as, monkeypatch):  # noqa: F811
    monkeypatch.setattr(tasks.purge_retired_sessions, "apply_async", lambda **kw: None)
    keys = [
        sign_in_as(name).cookies[settings.SESSION_COOKIE_NAME].value
        for name in ("alice", "bob")
    ]
    rotation.rotate_keys(grace=0)
    return keys


def purge() -> int:
    return rotation.purge_retired(versions=tasks._retired_versions(), limit=100)[0]


def in_use() -> int:
    return len(engine.client().redis.connection_pool._in_use_connections)


def answers_its_own_commands() -> bool:
    """Every pooled connection gives a command its own answer, not an UNLINK's
    count left unread on it."""
    redis = engine.client().redis
    for n in range(len(redis.connection_pool._available_connections) + 1):
        redis.set(f"purge-faults:probe:{n}", f"mine-{n}")
        if redis.get(f"purge-faults:probe:{n}") != f"mine-{n}".encode():
            return False
    return True


def test_a_store_that_stops_answering_rolls_the_batch_back(
    rotated,
    private_sessions,  # noqa: F811
    monkeypatch,
):
    real = store.start_deleting

    def paused_then_sent(digests):
        private_sessions.pause()  # the UNLINK waits in the socket, unanswered
        return real(digests)

    monkeypatch.setattr(store, "start_deleting", paused_then_sent)
    try:
        with pytest.raises(store.StoreUnavailable):
            purge()
    finally:
        private_sessions.resume()
    assert SessionRecord.objects.live().count() == 2, "rolled back: still to purge"
    assert in_use() == 0
    assert answers_its_own_commands()
    monkeypatch.setattr(store, "start_deleting", real)
    assert purge() == 2
    assert not SessionRecord.objects.live().exists()
    assert all(store.load(key) == {} for key in rotated)
    assert in_use() == 0


def test_an_update_that_fails_still_reads_the_stores_answer(rotated, monkeypatch):
    real_update = QuerySet.update

    def failing(self, **kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(QuerySet, "update", failing)
    with pytest.raises(DatabaseError, match="disk I/O error"):
        purge()
    assert in_use() == 0
    assert answers_its_own_commands()
    # The store went first: the sessions are gone, their records wait for the
    # next run (and every reader refuses them meanwhile: their version is retired).
    assert all(store.load(key) == {} for key in rotated)
    assert SessionRecord.objects.live().count() == 2
    monkeypatch.setattr(QuerySet, "update", real_update)
    assert purge() == 2
    assert not SessionRecord.objects.live().exists()
    assert engine.client().redis.ping()


def test_a_store_down_in_the_first_pass_fails_the_task_and_loses_nothing(
    rotated,
    private_sessions,  # noqa: F811
    monkeypatch,
):
    # The first pass raises (the task's autoretry runs it again): it must not go
    # on to end records whose keys it could not delete.
    def second_pass(**kwargs):
        raise AssertionError("the records' pass ran after the store failed")

    with monkeypatch.context() as patch:
        patch.setattr(rotation, "purge_retired", second_pass)
        private_sessions.pause()
        try:
            with pytest.raises(store.StoreUnavailable):
                tasks.purge_retired_sessions.run()
        finally:
            private_sessions.resume()
    assert SessionRecord.objects.live().count() == 2
    assert in_use() == 0
    assert answers_its_own_commands()
    assert tasks.purge_retired_sessions.run() == 2
    assert not SessionRecord.objects.live().exists()
    assert all(store.load(key) == {} for key in rotated)
