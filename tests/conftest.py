"""Fixtures shared by every kind of test."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from bankdemo.banking.demo_data import seed


def require(what: str, why: str) -> None:
    """Skip a test whose real part is missing, but fail under CI: CI never skips."""
    message = f"{what} is not available: {why}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: a missing real part is a failure)")
    pytest.skip(message)


@pytest.fixture
def demo(db):
    """The seeded demo bank: alice, bob, admin and operator."""
    seed()
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    return {
        name: users.get(username=name) for name in ("alice", "bob", "admin", "operator")
    }


@pytest.fixture
def alice(demo):
    return demo["alice"]


@pytest.fixture
def bob(demo):
    return demo["bob"]


@pytest.fixture(autouse=True)
def _fresh_keyring():
    from sessions_core import keyring

    keyring.invalidate()
    yield
    keyring.invalidate()


@pytest.fixture
def redis_url():
    """The real Redis, database TEST_REDIS_URL, flushed before and after."""
    import redis

    url = settings.TEST_REDIS_URL
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        require("Redis", f"{url}: {exc}")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def switch_broker(url: str, *, eager: bool) -> None:
    """Point the Celery app at another broker, forgetting pooled connections.

    Celery builds its connection and producer pools once, from the broker URL of
    the moment; without this a test that used a dead broker would leave every later
    test publishing to it.
    """
    from bankdemo.celery import app

    app.conf.update(broker_url=url, task_always_eager=eager, result_backend=None)
    # What Celery itself does after a fork (Celery._after_fork): private, but the
    # only handle on the cached pools.
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None
