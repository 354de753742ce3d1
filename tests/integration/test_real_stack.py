"""The real parts: django-redis, channels-redis across two layers, a Celery worker."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync
from celery.contrib.testing.worker import start_worker
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.core.cache import caches

from bankdemo.celery import app as celery_app
from sessions_core import tasks
from sessions_core.models import SessionRecord, digest_key
from tests.conftest import switch_broker

pytestmark = pytest.mark.redis


def test_django_redis_cache_round_trip(redis_sessions):
    cache = caches["default"]
    cache.set("greeting", {"hello": "world"}, timeout=30)
    assert cache.get("greeting") == {"hello": "world"}
    assert 0 < cache.ttl("greeting") <= 30
    cache.delete("greeting")
    assert cache.get("greeting") is None


def test_session_engine_shares_one_redis_client_across_contexts(redis_sessions):
    """Django hands each context its own cache object; a websocket kept one each."""
    import contextvars

    from sessions_core import store
    from sessions_core.backends import redis as redis_engine

    def new_session():
        session = store.session_store()
        session["n"] = 1
        session.create()
        return session, redis_engine.client()

    (a, client_a), (b, client_b) = (
        contextvars.Context().run(new_session) for _ in range(2)
    )
    assert client_a is client_b
    assert (
        contextvars.Context().run(caches.__getitem__, "default") is not client_a.cache
    )
    assert store.load(a.session_key) == {"n": 1}
    store.delete_many([digest_key(a.session_key), digest_key(b.session_key)])
    assert store.load(a.session_key) == store.load(b.session_key) == {}


def test_channels_redis_group_message_crosses_two_layer_instances(redis_url):
    config = {
        "hosts": [{"address": redis_url, "socket_timeout": None}],
        "prefix": "bankdemo-test",
    }
    sender, receiver = RedisChannelLayer(**config), RedisChannelLayer(**config)

    async def exchange():
        channel = await receiver.new_channel()
        await receiver.group_add("sessions_core.session.1", channel)
        await sender.group_send("sessions_core.session.1", {"type": "session.changed"})
        message = await receiver.receive(channel)
        await receiver.flush()
        await sender.close_pools()
        await receiver.close_pools()
        return message

    assert async_to_sync(exchange)() == {"type": "session.changed"}


@pytest.fixture
def celery_worker(redis_url, transactional_db):
    """A real Celery worker over the Redis broker, in a thread of this process."""
    switch_broker(redis_url, eager=False)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"
        ):
            yield celery_app
    finally:
        switch_broker("memory://", eager=True)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_celery_worker_runs_the_sweep_over_the_redis_broker(
    celery_worker, demo, sign_in_as
):
    from django.test import override_settings

    client = sign_in_as("alice")
    with override_settings(
        SESSIONS_CORE_IDLE_TIMEOUT=1,
        SESSIONS_CORE_STAFF_IDLE_TIMEOUT=1,
        SESSIONS_CORE_WARNING_LEAD=0,
    ):
        time.sleep(1.1)  # the one short wait: the worker reads the real clock
        tasks.sweep_expired_sessions.delay()
        assert wait_for(lambda: not SessionRecord.objects.live().exists())
    record = SessionRecord.objects.get()
    assert record.end_reason == "idle"
    assert client.get("/").status_code == 302


def test_rotation_on_the_full_stack_tells_tabs_and_the_worker_purges_redis(
    celery_worker, redis_sessions, demo
):
    from asgiref.sync import sync_to_async
    from django.test import Client

    from sessions_core import rotation, store
    from tests.integration.test_consumer import receive_type, socket_for

    clients = []
    for name in ("alice", "bob"):
        client = Client()
        client.force_login(demo[name])
        clients.append(client)
    keys = [client.cookies[settings.SESSION_COOKIE_NAME].value for client in clients]
    assert all(store.load(key) for key in keys)

    async def scenario():
        socket = socket_for(clients[0])
        await socket.connect()
        await receive_type(socket, "state")
        await sync_to_async(rotation.rotate_keys)(grace=0)
        return await receive_type(socket, "expired", timeout=2)

    assert async_to_sync(scenario)()["reason"] == "key_rotated"
    assert wait_for(lambda: not SessionRecord.objects.live().exists())
    assert all(store.load(key) == {} for key in keys)
    assert set(SessionRecord.objects.values_list("end_reason", flat=True)) == {
        "key_rotated"
    }
    # A second purge finds nothing left to do.
    assert tasks.purge_retired_sessions.apply().get() == 0
