"""Typed, lazy access to sessions_core's settings.

Every property reads ``django.conf.settings`` when it is used, never at import, so
``override_settings`` works in tests.
"""

from __future__ import annotations

from django.conf import settings


class _Settings:
    @property
    def IDLE_TIMEOUT(self) -> int:
        return int(getattr(settings, "SESSIONS_CORE_IDLE_TIMEOUT", 600))

    @property
    def STAFF_IDLE_TIMEOUT(self) -> int:
        return int(getattr(settings, "SESSIONS_CORE_STAFF_IDLE_TIMEOUT", 300))

    @property
    def ABSOLUTE_TIMEOUT(self) -> int:
        return int(getattr(settings, "SESSIONS_CORE_ABSOLUTE_TIMEOUT", 14400))

    @property
    def WARNING_LEAD(self) -> int:
        return int(getattr(settings, "SESSIONS_CORE_WARNING_LEAD", 120))

    @property
    def MAX_PER_USER(self) -> int:
        """Live sessions a user may have; 0 means no limit."""
        return int(getattr(settings, "SESSIONS_CORE_MAX_PER_USER", 3))

    @property
    def LIMITS_HOOK(self) -> str | None:
        """Dotted path of ``hook(user, limits) -> Limits`` for per-role limits."""
        return getattr(settings, "SESSIONS_CORE_LIMITS_HOOK", None)

    @property
    def LOGOUT_URL(self) -> str:
        """Where the dialog's "Sign out" posts: a URL name or path (Django's own
        auth URLs call it ``logout``)."""
        return getattr(settings, "SESSIONS_CORE_LOGOUT_URL", "logout")

    @property
    def BACKGROUND_HEADER(self) -> str:
        """Request header that marks background traffic (value ``1``)."""
        return getattr(
            settings, "SESSIONS_CORE_BACKGROUND_HEADER", "X-Session-Background"
        )

    @property
    def TRUSTED_PROXIES(self) -> int:
        """How many proxies in front of Django append to X-Forwarded-For."""
        return int(getattr(settings, "SESSIONS_CORE_TRUSTED_PROXIES", 0))

    @property
    def WS_RECHECK(self) -> float:
        """Backstop: a websocket re-reads its session at least this often."""
        return float(getattr(settings, "SESSIONS_CORE_WS_RECHECK", 30))

    @property
    def KEY_VERSION_TTL(self) -> float:
        """How long one process may trust its copy of the key versions."""
        return float(getattr(settings, "SESSIONS_CORE_KEY_VERSION_TTL", 1.0))

    @property
    def PURGE_BATCH(self) -> int:
        return int(getattr(settings, "SESSIONS_CORE_PURGE_BATCH", 5000))

    @property
    def AUDIT_RETENTION_DAYS(self) -> int:
        return int(getattr(settings, "SESSIONS_CORE_AUDIT_RETENTION_DAYS", 90))

    @property
    def END_COOKIE(self) -> str:
        """Cookie that carries a signed reference to the record of the ended session."""
        return getattr(settings, "SESSIONS_CORE_END_COOKIE", "sessions_core_end")

    @property
    def UNUSUAL_SHORT_SESSION(self) -> int:
        """Seconds: a session that ends sooner than this after sign-in is short."""
        return int(getattr(settings, "SESSIONS_CORE_UNUSUAL_SHORT_SESSION", 300))

    @property
    def UNUSUAL_MIN_COUNT(self) -> int:
        """How many short or concurrent ends make a user's pattern unusual."""
        return int(getattr(settings, "SESSIONS_CORE_UNUSUAL_MIN_COUNT", 3))

    @property
    def UNUSUAL_WINDOW_DAYS(self) -> int:
        return int(getattr(settings, "SESSIONS_CORE_UNUSUAL_WINDOW_DAYS", 7))


app_settings = _Settings()
