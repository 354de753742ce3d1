from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.urls import reverse_lazy

from sessions_core import checks, checks_host
from sessions_core.conf import DEFAULTS, PREFIX

MIDDLEWARE = "sessions_core.middleware.SessionLifetimeMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
HOOK = "SESSIONS_CORE_LIMITS_HOOK"


def ids(messages):
    return [message.id for message in messages]


def setting_messages():
    return checks.check_limits() + checks.check_settings()


def role_limits(user, limits):
    """A limits hook, for the hook checks."""
    return limits


def one_argument(user):
    return None


def assert_one(messages, check_id, setting, value=None):
    """Exactly one message, with the id; it names the setting (and the value)."""
    assert ids(messages) == [check_id]
    assert setting in messages[0].msg
    assert setting in messages[0].hint
    if value is not None:
        assert repr(value) in messages[0].msg


def test_demo_settings_pass_every_check():
    assert checks.check_limits() == []
    assert checks.check_settings() == []
    assert checks_host.check_middleware() == []
    assert checks_host.check_stores() == []


def test_bankdemo_settings_pass_the_check_command():
    import bankdemo.settings as project

    ours = {name: getattr(project, name) for name in dir(project) if PREFIX in name}
    with override_settings(**ours):
        call_command("check")  # raises SystemCheckError on any error
        assert [m for m in run_checks() if m.id.startswith("sessions_core.")] == []


def test_defaults_pass_every_check(settings):
    for name in DEFAULTS:
        if hasattr(settings, PREFIX + name):
            delattr(settings, PREFIX + name)
    assert setting_messages() == []


def test_every_setting_is_checked():
    assert set(DEFAULTS) == {*checks.NUMBERS, *checks.NAMES, checks.HOOK}


def test_every_id_is_tested():
    source = Path(checks.__file__).read_text()
    defined = set(re.findall(r"E0\d\d|W0\d\d", source))
    tested = set(re.findall(r"sessions_core\.([EW]0\d\d)", Path(__file__).read_text()))
    assert defined - tested == set()


@override_settings(SESSIONS_CORE_IDLE_TIMEOUT=0)
def test_e001_non_positive_timeout():
    assert ids(checks.check_limits()) == ["sessions_core.E001"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IDLE_TIMEOUT", -1),
        ("STAFF_IDLE_TIMEOUT", 0),
        ("ABSOLUTE_TIMEOUT", 0),
        ("WARNING_LEAD", -1),
    ],
)
def test_e001_names_the_timeout_and_its_value(settings, name, value):
    setattr(settings, PREFIX + name, value)
    assert_one(setting_messages(), "sessions_core.E001", PREFIX + name, value)


@override_settings(SESSIONS_CORE_WARNING_LEAD=0)
def test_e001_a_lead_of_zero_is_allowed_with_a_warning():
    assert ids(checks.check_limits()) == ["sessions_core.W001"]


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
    assert "SESSIONS_CORE_WARNING_LEAD" in messages[0].hint


@override_settings(SESSIONS_CORE_STAFF_IDLE_TIMEOUT=900)
def test_w002_staff_limit_longer_than_everyone():
    messages = checks.check_limits()
    assert ids(messages) == ["sessions_core.W002"]
    assert "SESSIONS_CORE_STAFF_IDLE_TIMEOUT" in messages[0].hint


@override_settings(SESSIONS_CORE_IDLE_TIMEOUT="ten")
def test_e010_non_numeric_idle_timeout_is_an_error_not_a_crash():
    messages = checks.check_limits()
    assert_one(messages, "sessions_core.E010", "SESSIONS_CORE_IDLE_TIMEOUT", "ten")
    assert messages[0].is_serious()
    with pytest.raises(SystemCheckError, match=r"sessions_core\.E010"):
        call_command("check")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IDLE_TIMEOUT", "600"),
        ("STAFF_IDLE_TIMEOUT", 300.0),
        ("ABSOLUTE_TIMEOUT", None),
        ("WARNING_LEAD", True),
        ("MAX_PER_USER", "3"),
        ("TRUSTED_PROXIES", False),
        ("PURGE_BATCH", 5000.5),
        ("AUDIT_RETENTION_DAYS", "90"),
        ("UNUSUAL_SHORT_SESSION", [300]),
        ("UNUSUAL_MIN_COUNT", "3"),
        ("UNUSUAL_WINDOW_DAYS", 7.0),
        ("WS_RECHECK", "30"),
        ("KEY_VERSION_TTL", True),
    ],
)
def test_e010_number_settings_of_the_wrong_type(settings, name, value):
    setattr(settings, PREFIX + name, value)
    assert_one(setting_messages(), "sessions_core.E010", PREFIX + name, value)


@override_settings(
    SESSIONS_CORE_IDLE_TIMEOUT="ten",
    SESSIONS_CORE_ABSOLUTE_TIMEOUT=10,
    SESSIONS_CORE_WARNING_LEAD=5,
)
def test_relations_wait_for_numbers_of_the_right_type():
    assert ids(checks.check_limits()) == ["sessions_core.E010"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_PER_USER", -1),
        ("TRUSTED_PROXIES", -1),
        ("PURGE_BATCH", 0),
        ("AUDIT_RETENTION_DAYS", 0),
        ("UNUSUAL_SHORT_SESSION", -300),
        ("UNUSUAL_MIN_COUNT", 0),
        ("UNUSUAL_WINDOW_DAYS", 0),
        ("WS_RECHECK", 0),
        ("WS_RECHECK", float("inf")),
        ("KEY_VERSION_TTL", -0.5),
        ("KEY_VERSION_TTL", float("nan")),
    ],
)
def test_e011_number_settings_out_of_range(settings, name, value):
    setattr(settings, PREFIX + name, value)
    assert_one(setting_messages(), "sessions_core.E011", PREFIX + name, value)


@override_settings(
    SESSIONS_CORE_MAX_PER_USER=0,
    SESSIONS_CORE_TRUSTED_PROXIES=2,
    SESSIONS_CORE_UNUSUAL_SHORT_SESSION=0,
    SESSIONS_CORE_WS_RECHECK=0.5,
    SESSIONS_CORE_KEY_VERSION_TTL=0,
)
def test_e011_zero_where_it_means_something_and_ints_for_floats_pass():
    assert checks.check_settings() == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BACKGROUND_HEADER", ""),
        ("BACKGROUND_HEADER", "X Session Background"),
        ("BACKGROUND_HEADER", "X_Session_Background"),
        ("BACKGROUND_HEADER", None),
        ("END_COOKIE", ""),
        ("END_COOKIE", "end;path=/"),
        ("END_COOKIE", b"sessions_core_end"),
        ("LOGOUT_URL", ""),
        ("LOGOUT_URL", 42),
    ],
)
def test_e012_names_that_are_not_non_empty_strings(settings, name, value):
    setattr(settings, PREFIX + name, value)
    assert_one(setting_messages(), "sessions_core.E012", PREFIX + name, value)


@pytest.mark.parametrize("url", ["/bye/", "logout", reverse_lazy("logout")])
def test_e012_logout_url_may_be_a_path_a_name_or_lazy(settings, url):
    settings.SESSIONS_CORE_LOGOUT_URL = url
    assert checks.check_settings() == []


@pytest.mark.parametrize(
    "path",
    [
        "sessions_core.nowhere.role_limits",
        "sessions_core.policy.no_such_hook",
        "role_limits",
        42,
        role_limits,  # the function itself, not its path
    ],
)
def test_e013_limits_hook_that_does_not_import(settings, path):
    settings.SESSIONS_CORE_LIMITS_HOOK = path
    assert_one(checks.check_settings(), "sessions_core.E013", HOOK)


@pytest.mark.parametrize(
    "path",
    [
        "sessions_core.checks.WCAG_MIN_LEAD",  # an int
        f"{__name__}.one_argument",
    ],
)
def test_e014_limits_hook_that_cannot_be_called_with_user_and_limits(settings, path):
    settings.SESSIONS_CORE_LIMITS_HOOK = path
    assert_one(checks.check_settings(), "sessions_core.E014", HOOK, path)


@pytest.mark.parametrize("path", [None, "", f"{__name__}.role_limits"])
def test_limits_hook_unset_or_importable_passes(settings, path):
    settings.SESSIONS_CORE_LIMITS_HOOK = path
    assert checks.check_settings() == []


@pytest.mark.parametrize("window", [0, -300])
def test_e017_step_up_window_not_above_zero(settings, window):
    settings.SESSIONS_CORE_STEP_UP_WINDOW = window
    assert_one(
        checks.check_settings(), "sessions_core.E017", PREFIX + "STEP_UP_WINDOW", window
    )


def test_step_up_window_of_the_wrong_type_is_e010_once(settings):
    settings.SESSIONS_CORE_STEP_UP_WINDOW = "300"
    assert ids(checks.check_settings()) == ["sessions_core.E010"]


@pytest.mark.parametrize(("window", "warned"), [(900, False), (901, True)])
def test_w005_step_up_window_too_long_to_be_recent(settings, window, warned):
    settings.SESSIONS_CORE_STEP_UP_WINDOW = window
    messages = checks.check_settings()
    assert ids(messages) == (["sessions_core.W005"] if warned else [])


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("ACCESS_TOKEN_TTL", 900, None),
        ("ACCESS_TOKEN_TTL", 901, "sessions_core.W007"),
        ("REFRESH_GRACE", 60, None),
        ("REFRESH_GRACE", 60.5, "sessions_core.W008"),
        ("REFRESH_GRACE", 0, None),  # no retry at all: allowed
    ],
)
def test_w007_w008_token_lifetimes_too_long(settings, name, value, check_id):
    setattr(settings, PREFIX + name, value)
    messages = checks.check_settings()
    if check_id is None:
        assert messages == []
    else:
        assert_one(messages, check_id, PREFIX + name, value)


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("ACCESS_TOKEN_TTL", 0, "sessions_core.E011"),
        ("ACCESS_TOKEN_TTL", "300", "sessions_core.E010"),
        ("REFRESH_GRACE", -1, "sessions_core.E011"),
    ],
)
def test_token_settings_of_wrong_type_or_range_are_errors_once(
    settings, name, value, check_id
):
    setattr(settings, PREFIX + name, value)
    assert ids(checks.check_settings()) == [check_id]


@pytest.mark.parametrize(
    ("name", "value", "warned"),
    [
        ("IDLE_TIMEOUT", 3600, False),  # SP 800-63B-4 §2.2.3: 1 hour at most
        ("IDLE_TIMEOUT", 3601, True),
        ("STAFF_IDLE_TIMEOUT", 3601, True),
    ],
)
def test_w003_idle_limit_weaker_than_aal2(settings, name, value, warned):
    settings.SESSIONS_CORE_IDLE_TIMEOUT = 3600
    settings.SESSIONS_CORE_STAFF_IDLE_TIMEOUT = 300
    settings.SESSIONS_CORE_ABSOLUTE_TIMEOUT = 86400
    setattr(settings, PREFIX + name, value)
    if name == "STAFF_IDLE_TIMEOUT":
        settings.SESSIONS_CORE_IDLE_TIMEOUT = value  # no W002 in the way
    messages = checks.check_limits()
    warned_about = [m.msg for m in messages if m.id == "sessions_core.W003"]
    assert bool(warned_about) is warned
    assert all("SP 800-63B-4" in msg for msg in warned_about)
    assert all(m.id == "sessions_core.W003" for m in messages)


@pytest.mark.parametrize(("absolute", "warned"), [(86400, False), (86401, True)])
def test_w004_absolute_limit_weaker_than_aal2(settings, absolute, warned):
    settings.SESSIONS_CORE_ABSOLUTE_TIMEOUT = absolute
    messages = checks.check_limits()
    assert ids(messages) == (["sessions_core.W004"] if warned else [])
    if warned:
        assert "24 hours" in messages[0].msg and "ABSOLUTE_TIMEOUT" in messages[0].hint


def secure_cookies(settings, session="__Host-sessionid", csrf="__Host-csrftoken"):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME = session, csrf


def test_host_prefixed_secure_cookies_pass(settings):
    secure_cookies(settings)
    assert checks_host.check_cookie_prefix() == []


def test_plain_names_over_plain_http_pass(settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME = "sessionid", "csrftoken"
    assert checks_host.check_cookie_prefix() == []


def test_w006_secure_cookie_without_the_host_prefix(settings):
    secure_cookies(settings, session="sessionid")
    messages = checks_host.check_cookie_prefix()
    assert ids(messages) == ["sessions_core.W006"]
    assert "SESSION_COOKIE_NAME" in messages[0].msg
    assert "__Host-sessionid" in messages[0].hint
    secure_cookies(settings, csrf="csrftoken")
    assert ids(checks_host.check_cookie_prefix()) == ["sessions_core.W006"]
    settings.CSRF_USE_SESSIONS = True  # then there is no CSRF cookie at all
    assert checks_host.check_cookie_prefix() == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("SESSION_COOKIE_DOMAIN", ".bank.example"),
        ("CSRF_COOKIE_DOMAIN", "bank.example"),
        ("SESSION_COOKIE_PATH", "/app/"),
        ("SESSION_COOKIE_SECURE", False),
    ],
)
def test_e018_host_prefix_that_browsers_would_drop(settings, setting, value):
    secure_cookies(settings)
    setattr(settings, setting, value)
    messages = checks_host.check_cookie_prefix()
    assert ids(messages) == ["sessions_core.E018"]
    assert setting in messages[0].msg
    assert setting.split("_COOKIE")[0] in messages[0].hint


def test_bankdemo_e002_step_up_amount(settings):
    from decimal import Decimal

    from bankdemo.banking.checks import check_step_up_amount

    assert check_step_up_amount() == []
    for amount in (Decimal("-1"), 1000, "1000", Decimal("NaN")):
        settings.BANKING_STEP_UP_AMOUNT = amount
        assert ids(check_step_up_amount()) == ["bankdemo.E002"]
    settings.BANKING_STEP_UP_AMOUNT = Decimal("0")  # every transfer is confirmed
    assert check_step_up_amount() == []


def test_e004_middleware_missing(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    assert ids(checks_host.check_middleware()) == ["sessions_core.E004"]


def test_e005_middleware_before_authentication(settings):
    rest = [m for m in settings.MIDDLEWARE if m not in {MIDDLEWARE, AUTH}]
    settings.MIDDLEWARE = [MIDDLEWARE, AUTH, *rest]
    assert ids(checks_host.check_middleware()) == ["sessions_core.E005"]


@pytest.mark.parametrize("layers", [{}, {"default": {}}])
def test_e006_no_channel_layer(settings, layers):
    settings.CHANNEL_LAYERS = layers
    assert ids(checks_host.check_stores()) == ["sessions_core.E006"]


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
    assert ids(checks_host.check_stores()) == ["sessions_core.E007"]


def test_e008_redis_engine_needs_a_django_redis_cache(settings):
    settings.SESSION_ENGINE = "sessions_core.backends.redis"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    assert ids(checks_host.check_stores()) == ["sessions_core.E008"]
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache"}}
    assert ids(checks_host.check_stores()) == []


def test_e009_django_session_middleware_instead_of_ours(settings):
    settings.MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware"
        if m == "sessions_core.middleware.SessionMiddleware"
        else m
        for m in settings.MIDDLEWARE
    ]
    assert ids(checks_host.check_middleware()) == ["sessions_core.E009"]


def test_bankdemo_e001_demo_secret_key_refused_for_deployment(settings):
    from bankdemo.banking.checks import check_demo_secret_key

    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    assert ids(check_demo_secret_key()) == ["bankdemo.E001"]
    settings.SECRET_KEY = "a-real-secret-" + "x" * 40
    assert check_demo_secret_key() == []
