"""Integration fixtures: a clock we control, sign-in helpers, the real Redis."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from sessions_core import clock as live_clock
from sessions_core.testing import ManualClock

START = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """Time that moves only when the test says so: ``advance`` for HTTP, and
    ``await elapse`` for websockets, whose timers fire on the way."""
    with (
        time_machine.travel(START, tick=False) as traveller,
        live_clock.use(ManualClock(traveller)) as manual,
    ):
        yield manual


def sign_in(username: str, password: str, **extra) -> Client:
    client = Client(**extra)
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


PASSWORDS = {
    "alice": "demo-alice-2026",
    "bob": "demo-bob-2026",
    "admin": "demo-admin-2026",
    "operator": "demo-operator-2026",
}


@pytest.fixture
def sign_in_as(demo):
    def _sign_in(username: str = "alice", **extra) -> Client:
        return sign_in(username, PASSWORDS[username], **extra)

    return _sign_in


def confirm_it_is_me(client: Client, username: str = "alice") -> Client:
    """Confirm it's them on /confirm/ (step-up), as signing out other devices and
    changing the password ask; signing in is not a confirmation."""
    response = client.post("/confirm/", {"password": PASSWORDS[username]})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def redis_sessions(redis_url, settings):
    """Sessions and cache in the real Redis through django-redis."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "bankdemo-test",
        }
    }
    settings.SESSION_ENGINE = "sessions_core.backends.redis"
    yield redis_url
    caches["default"].close()


@pytest.fixture(params=["db", "redis"])
def engine(request):
    """Run a lifetime test against the database engine and against real Redis."""
    if request.param == "redis":
        request.getfixturevalue("redis_sessions")
    return request.param
