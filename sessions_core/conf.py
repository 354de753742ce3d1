"""Typed, lazy access to sessions_core's settings.

Each setting is read from ``django.conf.settings`` when first used, never at
import, and kept: a setting left to its default would otherwise cost a raised
AttributeError on every read, several times a request (3 µs each). Django's
``setting_changed`` (``override_settings``, pytest-django's ``settings``) makes
them read again; settings changed any other way at runtime are not seen, as
Django itself does not support that. Properties convert and never validate:
``sessions_core.checks`` validates the raw values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

PREFIX = "SESSIONS_CORE_"

# Every setting, without its prefix, and its default.
DEFAULTS: dict[str, Any] = {
    "IDLE_TIMEOUT": 600,
    "STAFF_IDLE_TIMEOUT": 300,
    "ABSOLUTE_TIMEOUT": 14400,
    "WARNING_LEAD": 120,
    "MAX_PER_USER": 3,
    "LIMITS_HOOK": None,
    "LOGOUT_URL": "logout",
    "BACKGROUND_HEADER": "X-Session-Background",
    "TRUSTED_PROXIES": 0,
    "WS_RECHECK": 30,
    "KEY_VERSION_TTL": 1.0,
    "PURGE_BATCH": 5000,
    "AUDIT_RETENTION_DAYS": 90,
    "END_COOKIE": "sessions_core_end",
    "UNUSUAL_SHORT_SESSION": 300,
    "UNUSUAL_MIN_COUNT": 3,
    "UNUSUAL_WINDOW_DAYS": 7,
    "STEP_UP_WINDOW": 300,
    "ACCESS_TOKEN_TTL": 300,
    "REFRESH_GRACE": 30,
    "TOKEN_USER_TTL": 1.0,
}


# name: the value read, as the project wrote it or its default. Replaced whole,
# never cleared in place: a thread that read a value before a change stores it in
# the dict it started with, which nobody reads any more.
_read: dict[str, Any] = {}


def raw(name: str) -> Any:
    """Return ``SESSIONS_CORE_<name>`` as the project wrote it, or its default."""
    read = _read
    try:
        return read[name]
    except KeyError:
        value = read[name] = getattr(settings, PREFIX + name, DEFAULTS[name])
        return value


def remembered(key: tuple, compute: Callable[[], Any]) -> Any:
    """Return ``compute()``, worked out from the settings once and kept with them:
    forgotten, like the settings read, when one of them changes."""
    read = _read
    try:
        return read[key]
    except KeyError:
        value = read[key] = compute()
        return value


@receiver(setting_changed)
def _read_again(*, setting: str, **kwargs) -> None:
    global _read
    if setting.startswith(PREFIX):
        _read = {}


class _Settings:
    @property
    def IDLE_TIMEOUT(self) -> int:
        return int(raw("IDLE_TIMEOUT"))

    @property
    def STAFF_IDLE_TIMEOUT(self) -> int:
        return int(raw("STAFF_IDLE_TIMEOUT"))

    @property
    def ABSOLUTE_TIMEOUT(self) -> int:
        return int(raw("ABSOLUTE_TIMEOUT"))

    @property
    def WARNING_LEAD(self) -> int:
        return int(raw("WARNING_LEAD"))

    @property
    def MAX_PER_USER(self) -> int:
        """Live sessions a user may have; 0 means no limit."""
        return int(raw("MAX_PER_USER"))

    @property
    def LIMITS_HOOK(self) -> str | None:
        """Dotted path of ``hook(user, limits) -> Limits`` for per-role limits."""
        return raw("LIMITS_HOOK")

    @property
    def LOGOUT_URL(self) -> str:
        """Where the dialog's "Sign out" posts: a URL name or path (Django's own
        auth URLs call it ``logout``)."""
        return raw("LOGOUT_URL")

    @property
    def BACKGROUND_HEADER(self) -> str:
        """Request header that marks background traffic (value ``1``)."""
        return raw("BACKGROUND_HEADER")

    @property
    def TRUSTED_PROXIES(self) -> int:
        """How many proxies in front of Django append to X-Forwarded-For."""
        return int(raw("TRUSTED_PROXIES"))

    @property
    def WS_RECHECK(self) -> float:
        """Backstop: a websocket re-reads its session at least this often."""
        return float(raw("WS_RECHECK"))

    @property
    def KEY_VERSION_TTL(self) -> float:
        """How long one process may trust its copy of the key versions."""
        return float(raw("KEY_VERSION_TTL"))

    @property
    def PURGE_BATCH(self) -> int:
        return int(raw("PURGE_BATCH"))

    @property
    def AUDIT_RETENTION_DAYS(self) -> int:
        return int(raw("AUDIT_RETENTION_DAYS"))

    @property
    def END_COOKIE(self) -> str:
        """Cookie that carries, signed, why the browser's last session ended."""
        return raw("END_COOKIE")

    @property
    def UNUSUAL_SHORT_SESSION(self) -> int:
        """Seconds: a session that ends sooner than this after sign-in is short."""
        return int(raw("UNUSUAL_SHORT_SESSION"))

    @property
    def UNUSUAL_MIN_COUNT(self) -> int:
        """How many short or concurrent ends make a user's pattern unusual."""
        return int(raw("UNUSUAL_MIN_COUNT"))

    @property
    def UNUSUAL_WINDOW_DAYS(self) -> int:
        return int(raw("UNUSUAL_WINDOW_DAYS"))

    @property
    def STEP_UP_WINDOW(self) -> int:
        """Seconds a "confirm it's you" covers the risky actions that ask for one."""
        return int(raw("STEP_UP_WINDOW"))

    @property
    def ACCESS_TOKEN_TTL(self) -> int:
        """Seconds an API access token lives (its refresh token: the session)."""
        return int(raw("ACCESS_TOKEN_TTL"))

    @property
    def REFRESH_GRACE(self) -> float:
        """Seconds a used refresh token, retried after a lost response, returns the
        same new pair instead of counting as reuse."""
        return float(raw("REFRESH_GRACE"))

    @property
    def TOKEN_USER_TTL(self) -> float:
        """How long one process may reuse a user's row for API calls (0: load it on
        every call). Safe: every end is read from the session store on every call."""
        return float(raw("TOKEN_USER_TTL"))


app_settings = _Settings()
