"""Checks of what a host project gives sessions_core: the middleware in order, a
session engine whose ends are final, a channel layer, the context processor that
puts the dialog's URLs into templates, and URLs that resolve."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
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
# Browsers keep a "__Host-" cookie only if it is Secure, has Path=/ and no Domain:
# then no subdomain and no plain-HTTP page can set or overwrite it (RFC 6265bis).
HOST_PREFIX = "__Host-"


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


def _cookies() -> list[tuple[str, str, bool, str | None, str]]:
    """(setting prefix, name, secure, domain, path) of the session and CSRF cookies."""
    cookies = ["SESSION_COOKIE"]
    if not settings.CSRF_USE_SESSIONS:  # otherwise there is no CSRF cookie
        cookies.append("CSRF_COOKIE")
    return [
        (
            prefix,
            getattr(settings, prefix + "_NAME"),
            getattr(settings, prefix + "_SECURE"),
            getattr(settings, prefix + "_DOMAIN"),
            getattr(settings, prefix + "_PATH"),
        )
        for prefix in cookies
    ]


@register(Tags.security)
def check_cookie_prefix(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A Secure cookie should carry "__Host-"; a "__Host-" cookie must qualify."""
    messages = []
    for prefix, name, secure, domain, path in _cookies():
        if name.startswith(HOST_PREFIX):
            if secure and domain is None and path == "/":
                continue
            messages.append(
                Error(
                    f"{prefix}_NAME is {name!r}, but browsers drop a {HOST_PREFIX} "
                    f"cookie unless it is Secure with Path=/ and no Domain (here "
                    f"{prefix}_SECURE={secure!r}, {prefix}_DOMAIN={domain!r}, "
                    f"{prefix}_PATH={path!r}): nobody could sign in.",
                    hint=f"Set {prefix}_SECURE = True, {prefix}_DOMAIN = None and "
                    f"{prefix}_PATH = '/', or drop the prefix for plain HTTP.",
                    id="sessions_core.E018",
                )
            )
        elif secure:
            messages.append(
                Warning(
                    f"{prefix}_NAME is {name!r}, without the {HOST_PREFIX} prefix: "
                    "a subdomain or a plain-HTTP page could plant or overwrite it.",
                    hint=f"Set {prefix}_NAME to '{HOST_PREFIX}{name}' whenever "
                    f"{prefix}_SECURE is on (with Path=/ and no Domain).",
                    id="sessions_core.W006",
                )
            )
    return messages
