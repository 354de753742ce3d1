"""Integration fixtures: a clock we control, sign-in helpers, the real Redis."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

START = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)


class Clock:
    """A frozen clock that moves only when a test says so."""

    def __init__(self, traveller):
        self._traveller = traveller

    def advance(self, seconds: float) -> None:
        self._traveller.shift(seconds)

    def now(self) -> float:
        return time.time()


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield Clock(traveller)


def sign_in(username: str, password: str, **extra) -> Client:
    client = Client(**extra)
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def sign_in_as(demo):
    passwords = {
        "alice": "demo-alice-2026",
        "bob": "demo-bob-2026",
        "admin": "demo-admin-2026",
        "operator": "demo-operator-2026",
    }

    def _sign_in(username: str = "alice", **extra) -> Client:
        return sign_in(username, passwords[username], **extra)

    return _sign_in


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
