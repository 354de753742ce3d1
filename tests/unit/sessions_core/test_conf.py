from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings as django_settings
from django.test import override_settings

from sessions_core import conf
from sessions_core.conf import DEFAULTS, _Settings, app_settings, raw


def test_reads_settings_when_used_so_overrides_apply():
    assert app_settings.IDLE_TIMEOUT == 600
    with override_settings(SESSIONS_CORE_IDLE_TIMEOUT=42):
        assert app_settings.IDLE_TIMEOUT == 42
    assert app_settings.IDLE_TIMEOUT == 600


def test_a_value_read_before_a_change_is_not_kept_after_it(monkeypatch):
    """A thread that read the old value, and stores it after the change was
    signalled, must not make every later read see the old value."""
    entered, go = threading.Event(), threading.Event()
    reader = None

    class SlowSettings:
        def __getattr__(self, name):
            if threading.current_thread() is reader:
                stale = getattr(django_settings, name)
                entered.set()
                go.wait(5)
                return stale
            return getattr(django_settings, name)

    monkeypatch.setattr(conf, "settings", SlowSettings())
    override = override_settings(SESSIONS_CORE_IDLE_TIMEOUT=600)
    override.enable()
    try:
        reader = threading.Thread(target=raw, args=("IDLE_TIMEOUT",))
        reader.start()
        assert entered.wait(5)
        with override_settings(SESSIONS_CORE_IDLE_TIMEOUT=5):
            go.set()
            reader.join(5)
            assert app_settings.IDLE_TIMEOUT == 5
    finally:
        go.set()
        override.disable()


def test_logout_url_defaults_to_djangos_url_name():
    assert app_settings.LOGOUT_URL == "logout"
    with override_settings(SESSIONS_CORE_LOGOUT_URL="/bye/"):
        assert app_settings.LOGOUT_URL == "/bye/"


def test_environment_feeds_the_settings(monkeypatch):
    import importlib

    import bankdemo.settings as project_settings

    monkeypatch.setenv("SESSION_IDLE_TIMEOUT", "6")
    monkeypatch.setenv("SESSION_ABSOLUTE_TIMEOUT", "14")
    try:
        reloaded = importlib.reload(project_settings)
        assert reloaded.SESSIONS_CORE_IDLE_TIMEOUT == 6
        assert reloaded.SESSIONS_CORE_ABSOLUTE_TIMEOUT == 14
        assert reloaded.SESSION_COOKIE_AGE == 14
    finally:
        monkeypatch.delenv("SESSION_IDLE_TIMEOUT")
        monkeypatch.delenv("SESSION_ABSOLUTE_TIMEOUT")
        importlib.reload(project_settings)


def test_every_property_has_a_default_and_every_default_a_property():
    properties = {
        name for name, attr in vars(_Settings).items() if isinstance(attr, property)
    }
    assert properties == set(DEFAULTS)


def test_properties_return_the_typed_value():
    with override_settings(SESSIONS_CORE_WS_RECHECK=30, SESSIONS_CORE_PURGE_BATCH=10):
        assert type(app_settings.WS_RECHECK) is float
        assert type(app_settings.KEY_VERSION_TTL) is float
        assert type(app_settings.PURGE_BATCH) is int
        assert app_settings.LIMITS_HOOK is None


def test_raw_gives_the_value_as_written_for_the_checks():
    with override_settings(SESSIONS_CORE_IDLE_TIMEOUT="ten"):
        assert raw("IDLE_TIMEOUT") == "ten"
    assert raw("UNUSUAL_WINDOW_DAYS") == DEFAULTS["UNUSUAL_WINDOW_DAYS"]


def reload_settings(monkeypatch, **env):
    """bankdemo.settings as read under ``env``; the caller's module is restored."""
    import importlib

    import bankdemo.settings as project_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        reloaded = importlib.reload(project_settings)
        return {name: getattr(reloaded, name) for name in dir(reloaded)}
    finally:
        for name in env:
            monkeypatch.delenv(name)
        importlib.reload(project_settings)


def test_step_up_settings_come_from_the_environment(monkeypatch):
    from decimal import Decimal

    values = reload_settings(monkeypatch)
    assert values["SESSIONS_CORE_STEP_UP_WINDOW"] == 300
    assert values["BANKING_STEP_UP_AMOUNT"] == Decimal("1000")
    values = reload_settings(
        monkeypatch, SESSION_STEP_UP_WINDOW="60", SESSION_STEP_UP_AMOUNT="250.50"
    )
    assert values["SESSIONS_CORE_STEP_UP_WINDOW"] == 60
    assert values["BANKING_STEP_UP_AMOUNT"] == Decimal("250.50")
    with override_settings(SESSIONS_CORE_STEP_UP_WINDOW=60):
        assert app_settings.STEP_UP_WINDOW == 60
    assert app_settings.STEP_UP_WINDOW == 300


def test_cookies_are_host_prefixed_when_debug_is_off(monkeypatch):
    production = reload_settings(monkeypatch, DJANGO_DEBUG="0")
    assert production["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert production["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    # What browsers ask of the prefix: no Domain, Path=/ (Django's defaults).
    assert "SESSION_COOKIE_DOMAIN" not in production
    assert "CSRF_COOKIE_DOMAIN" not in production
    assert "SESSION_COOKIE_PATH" not in production
    # Plain HTTP (local development): browsers would refuse the prefix.
    development = reload_settings(monkeypatch, DJANGO_DEBUG="1")
    assert development["SESSION_COOKIE_NAME"] == "sessionid"
    assert development["CSRF_COOKIE_NAME"] == "csrftoken"


def test_the_demo_runs_without_debug_over_plain_http(monkeypatch):
    """`make demo`: DEBUG off (the bank's error pages, no traceback) over local
    HTTP, where Secure and __Host- cookies would be refused."""
    demo = reload_settings(monkeypatch, DJANGO_DEBUG="0", DJANGO_HTTPS="0")
    assert demo["DEBUG"] is False
    assert demo["SESSION_COOKIE_NAME"] == "sessionid"
    assert not demo.get("SESSION_COOKIE_SECURE", False)
    assert not demo.get("SECURE_SSL_REDIRECT", False)
    script = (Path(__file__).resolve().parents[3] / "scripts" / "demo.sh").read_text()
    assert (
        'DJANGO_DEBUG="${DJANGO_DEBUG:-0}" DJANGO_HTTPS="${DJANGO_HTTPS:-0}"' in script
    )
