"""Checks of what a host project gives sessions_core: the middleware in order, a
session engine whose ends are final, a channel layer, the context processor that
puts the dialog's URLs into templates, and URLs that resolve."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch

from .conf import app_settings

CONTEXT_PROCESSOR = "sessions_core.context_processors.session_lifetime"
MIDDLEWARE_PATH = "sessions_core.middleware.SessionLifetimeMiddleware"
SESSION_MIDDLEWARE_PATH = "sessions_core.middleware.SessionMiddleware"
DJANGO_SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
ENGINES = ("sessions_core.backends.db", "sessions_core.backends.redis")
REDIS_ENGINE = "sessions_core.backends.redis"
DJANGO_REDIS_CACHE = "django_redis.cache.RedisCache"
AUTH_MIDDLEWARE_PATH = "django.contrib.auth.middleware.AuthenticationMiddleware"


@register()
def check_context_processor(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    processors = [
        processor
        for engine in settings.TEMPLATES
        for processor in engine.get("OPTIONS", {}).get("context_processors", [])
    ]
    if CONTEXT_PROCESSOR in processors:
        return []
    return [
        Error(
            f"'{CONTEXT_PROCESSOR}' is not in any TEMPLATES context_processors: the "
            "session dialog would post its sign-out to the page itself and send "
            "ended tabs nowhere.",
            hint="Add it to TEMPLATES[0]['OPTIONS']['context_processors'].",
            id="sessions_core.E015",
        )
    ]


@register()
def check_urls(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    for setting, value in (
        ("LOGIN_URL", settings.LOGIN_URL),
        ("SESSIONS_CORE_LOGOUT_URL", app_settings.LOGOUT_URL),
    ):
        try:
            resolve_url(value)
        except NoReverseMatch:
            errors.append(
                Error(
                    f"{setting} is {value!r}, which is neither a path nor a URL name "
                    "the URLconf knows.",
                    hint=f"Name a view in your URLconf, or set {setting} to a path.",
                    id="sessions_core.E016",
                )
            )
    return errors


@register()
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[Error]:
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
def check_stores(app_configs: Any = None, **kwargs: Any) -> list[Error]:
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
