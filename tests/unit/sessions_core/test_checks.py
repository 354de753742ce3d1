from __future__ import annotations

import pytest
from django.test import override_settings

from sessions_core import checks

MIDDLEWARE = "sessions_core.middleware.SessionLifetimeMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"


def ids(messages):
    return [message.id for message in messages]


def test_demo_settings_pass_every_check():
    assert checks.check_limits() == []
    assert checks.check_middleware() == []
    assert checks.check_stores() == []


@override_settings(SESSIONS_CORE_IDLE_TIMEOUT=0)
def test_e001_non_positive_timeout():
    assert ids(checks.check_limits()) == ["sessions_core.E001"]


@override_settings(
    SESSIONS_CORE_IDLE_TIMEOUT=20000, SESSIONS_CORE_STAFF_IDLE_TIMEOUT=300
)
def test_e002_idle_longer_than_absolute():
    assert "sessions_core.E002" in ids(checks.check_limits())


@override_settings(SESSIONS_CORE_WARNING_LEAD=600)
def test_e003_lead_not_shorter_than_idle():
    assert "sessions_core.E003" in ids(checks.check_limits())


@override_settings(
    SESSIONS_CORE_WARNING_LEAD=5,
    SESSIONS_CORE_IDLE_TIMEOUT=8,
    SESSIONS_CORE_STAFF_IDLE_TIMEOUT=8,
)
def test_w001_short_lead_is_a_warning_not_an_error():
    messages = checks.check_limits()
    assert ids(messages) == ["sessions_core.W001"]
    assert not messages[0].is_serious()


@override_settings(SESSIONS_CORE_STAFF_IDLE_TIMEOUT=900)
def test_w002_staff_limit_longer_than_everyone():
    assert ids(checks.check_limits()) == ["sessions_core.W002"]


def test_e004_middleware_missing(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    assert ids(checks.check_middleware()) == ["sessions_core.E004"]


def test_e005_middleware_before_authentication(settings):
    rest = [m for m in settings.MIDDLEWARE if m not in {MIDDLEWARE, AUTH}]
    settings.MIDDLEWARE = [MIDDLEWARE, AUTH, *rest]
    assert ids(checks.check_middleware()) == ["sessions_core.E005"]


@pytest.mark.parametrize("layers", [{}, {"default": {}}])
def test_e006_no_channel_layer(settings, layers):
    settings.CHANNEL_LAYERS = layers
    assert ids(checks.check_stores()) == ["sessions_core.E006"]


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.signed_cookies",
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cache",
    ],
)
def test_e007_engines_whose_ends_are_not_final_refused(settings, engine):
    settings.SESSION_ENGINE = engine
    assert ids(checks.check_stores()) == ["sessions_core.E007"]


def test_e008_redis_engine_needs_a_django_redis_cache(settings):
    settings.SESSION_ENGINE = "sessions_core.backends.redis"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    assert ids(checks.check_stores()) == ["sessions_core.E008"]
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache"}}
    assert ids(checks.check_stores()) == []


def test_e009_django_session_middleware_instead_of_ours(settings):
    settings.MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware"
        if m == "sessions_core.middleware.SessionMiddleware"
        else m
        for m in settings.MIDDLEWARE
    ]
    assert ids(checks.check_middleware()) == ["sessions_core.E009"]


def test_bankdemo_e001_demo_secret_key_refused_for_deployment(settings):
    from bankdemo.banking.checks import check_demo_secret_key

    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    assert ids(check_demo_secret_key()) == ["bankdemo.E001"]
    settings.SECRET_KEY = "a-real-secret-" + "x" * 40
    assert check_demo_secret_key() == []
