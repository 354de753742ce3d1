"""System checks: a misconfigured session lifetime fails loudly and says the fix."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import app_settings

MIDDLEWARE_PATH = "sessions_core.middleware.SessionLifetimeMiddleware"
SESSION_MIDDLEWARE_PATH = "sessions_core.middleware.SessionMiddleware"
DJANGO_SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
ENGINES = ("sessions_core.backends.db", "sessions_core.backends.redis")
REDIS_ENGINE = "sessions_core.backends.redis"
DJANGO_REDIS_CACHE = "django_redis.cache.RedisCache"
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
    if SESSION_MIDDLEWARE_PATH not in middleware:
        return [
            Error(
                f"'{SESSION_MIDDLEWARE_PATH}' is not in MIDDLEWARE: a session that "
                "ends during a request, or a session store that is down, would give "
                "a bare 400 or 500 page.",
                hint=f"Put it in MIDDLEWARE in place of '{DJANGO_SESSION_MIDDLEWARE}'.",
                id="sessions_core.E009",
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
    engine = settings.SESSION_ENGINE
    if engine not in ENGINES:
        errors.append(
            Error(
                f"SESSION_ENGINE '{engine}' cannot make an end final: a slow request "
                "could save an ended session back to life, and its store keeps the "
                "session keys themselves.",
                hint=f"Use one of {', '.join(ENGINES)}.",
                id="sessions_core.E007",
            )
        )
    elif engine == REDIS_ENGINE:
        alias = settings.SESSION_CACHE_ALIAS
        backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
        if backend != DJANGO_REDIS_CACHE:
            errors.append(
                Error(
                    f"{REDIS_ENGINE} reaches Redis through the '{alias}' cache, "
                    f"whose backend is {backend or 'missing'}.",
                    hint=f"Make CACHES['{alias}'] a {DJANGO_REDIS_CACHE}, or set "
                    "SESSION_CACHE_ALIAS to one.",
                    id="sessions_core.E008",
                )
            )
    return errors
