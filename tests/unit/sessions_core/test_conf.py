from __future__ import annotations

from django.test import override_settings

from sessions_core.conf import DEFAULTS, _Settings, app_settings, raw


def test_reads_settings_when_used_so_overrides_apply():
    assert app_settings.IDLE_TIMEOUT == 600
    with override_settings(SESSIONS_CORE_IDLE_TIMEOUT=42):
        assert app_settings.IDLE_TIMEOUT == 42
    assert app_settings.IDLE_TIMEOUT == 600


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
