"""System checks: a misconfigured session lifetime fails loudly and says the fix."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import app_settings

MIDDLEWARE_PATH = "sessions_core.middleware.SessionLifetimeMiddleware"
SHARED_CACHE_ENGINE = "sessions_core.backends.cache"
# Cache backends whose one object may serve every thread (pooled connections).
THREAD_SAFE_CACHES = {
    "django_redis.cache.RedisCache",
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}
AUTH_MIDDLEWARE_PATH = "django.contrib.auth.middleware.AuthenticationMiddleware"
WCAG_MIN_LEAD = 20


@register(Tags.security)
def check_limits(app_configs=None, **kwargs):
    errors = []
    idle, absolute = app_settings.IDLE_TIMEOUT, app_settings.ABSOLUTE_TIMEOUT
    staff, lead = app_settings.STAFF_IDLE_TIMEOUT, app_settings.WARNING_LEAD
    if min(idle, absolute, staff) <= 0 or lead < 0:
        errors.append(
            Error(
                "Session timeouts must be positive numbers of seconds.",
                hint="Set SESSION_IDLE_TIMEOUT, SESSION_STAFF_IDLE_TIMEOUT and "
                "SESSION_ABSOLUTE_TIMEOUT above 0, SESSION_WARNING_LEAD to 0 or more.",
                id="sessions_core.E001",
            )
        )
        return errors
    if idle > absolute:
        errors.append(
            Error(
                f"The idle timeout ({idle} s) is longer than the absolute timeout "
                f"({absolute} s).",
                hint="Lower SESSION_IDLE_TIMEOUT or raise SESSION_ABSOLUTE_TIMEOUT.",
                id="sessions_core.E002",
            )
        )
    if lead >= min(idle, staff):
        errors.append(
            Error(
                f"The warning lead ({lead} s) is not shorter than the idle timeout "
                f"({min(idle, staff)} s), so every page would open with a warning.",
                hint="Lower SESSION_WARNING_LEAD below SESSION_IDLE_TIMEOUT and "
                "SESSION_STAFF_IDLE_TIMEOUT.",
                id="sessions_core.E003",
            )
        )
    if lead < WCAG_MIN_LEAD:
        errors.append(
            Warning(
                f"The warning lead ({lead} s) gives users less than {WCAG_MIN_LEAD} s "
                "to answer (WCAG 2.2.1).",
                hint=f"Set SESSION_WARNING_LEAD to {WCAG_MIN_LEAD} or more "
                "outside tests.",
                id="sessions_core.W001",
            )
        )
    if staff > idle:
        errors.append(
            Warning(
                f"The staff idle timeout ({staff} s) is longer than everyone's "
                f"({idle} s); staff get {idle} s.",
                hint="Set SESSION_STAFF_IDLE_TIMEOUT at or below SESSION_IDLE_TIMEOUT.",
                id="sessions_core.W002",
            )
        )
    return errors


@register()
def check_middleware(app_configs=None, **kwargs):
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE_PATH not in middleware:
        return [
            Error(
                f"'{MIDDLEWARE_PATH}' is not in MIDDLEWARE, so no timeout is enforced.",
                hint=f"Add it to MIDDLEWARE after '{AUTH_MIDDLEWARE_PATH}'.",
                id="sessions_core.E004",
            )
        ]
    if AUTH_MIDDLEWARE_PATH not in middleware or middleware.index(
        AUTH_MIDDLEWARE_PATH
    ) > middleware.index(MIDDLEWARE_PATH):
        return [
            Error(
                f"'{MIDDLEWARE_PATH}' must come after '{AUTH_MIDDLEWARE_PATH}'.",
                hint="Move it below AuthenticationMiddleware in MIDDLEWARE.",
                id="sessions_core.E005",
            )
        ]
    return []


@register()
def check_stores(app_configs=None, **kwargs):
    errors = []
    if not getattr(settings, "CHANNEL_LAYERS", {}).get("default"):
        errors.append(
            Error(
                "No default channel layer: open tabs cannot be warned or told that "
                "their session ended.",
                hint="Set CHANNEL_LAYERS['default'] (channels_redis in production, "
                "InMemoryChannelLayer for one process).",
                id="sessions_core.E006",
            )
        )
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.signed_cookies":
        errors.append(
            Error(
                "Signed-cookie sessions live in the browser and cannot be ended on "
                "the server.",
                hint="Use the db, cache or cached_db SESSION_ENGINE.",
                id="sessions_core.E007",
            )
        )
    if settings.SESSION_ENGINE == SHARED_CACHE_ENGINE:
        alias = settings.SESSION_CACHE_ALIAS
        backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
        if backend not in THREAD_SAFE_CACHES:
            errors.append(
                Warning(
                    f"{SHARED_CACHE_ENGINE} shares one cache object between threads, "
                    f"and the '{alias}' cache backend ({backend or 'none'}) is not "
                    "known to be safe for that.",
                    hint="Use django-redis or another pooled backend, or "
                    "django.contrib.sessions.backends.cache.",
                    id="sessions_core.W003",
                )
            )
    return errors
