"""System checks: a misconfiguration, even a value of the wrong type, says the fix."""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from .conf import DEFAULTS, PREFIX, raw

MIDDLEWARE_PATH = "sessions_core.middleware.SessionLifetimeMiddleware"
SESSION_MIDDLEWARE_PATH = "sessions_core.middleware.SessionMiddleware"
DJANGO_SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
ENGINES = ("sessions_core.backends.db", "sessions_core.backends.redis")
REDIS_ENGINE = "sessions_core.backends.redis"
DJANGO_REDIS_CACHE = "django_redis.cache.RedisCache"
AUTH_MIDDLEWARE_PATH = "django.contrib.auth.middleware.AuthenticationMiddleware"
WCAG_MIN_LEAD = 20
Apps = Sequence[AppConfig] | None
Messages = list[CheckMessage]

# Every number setting: its type (float takes int too), whether 0 is allowed; none < 0.
NUMBERS: dict[str, tuple[type, bool]] = {
    "IDLE_TIMEOUT": (int, False),
    "STAFF_IDLE_TIMEOUT": (int, False),
    "ABSOLUTE_TIMEOUT": (int, False),
    "WARNING_LEAD": (int, True),
    "MAX_PER_USER": (int, True),  # 0: no limit
    "TRUSTED_PROXIES": (int, True),
    "PURGE_BATCH": (int, False),
    "AUDIT_RETENTION_DAYS": (int, False),  # 0 would keep no audit trail at all
    "UNUSUAL_SHORT_SESSION": (int, True),
    "UNUSUAL_MIN_COUNT": (int, False),  # 0 would flag every user
    "UNUSUAL_WINDOW_DAYS": (int, False),
    "WS_RECHECK": (float, False),
    "KEY_VERSION_TTL": (float, True),  # 0: read the versions on every request
}
# The four that every verdict uses; too low is sessions_core.E001.
LIFETIMES = ("IDLE_TIMEOUT", "STAFF_IDLE_TIMEOUT", "ABSOLUTE_TIMEOUT", "WARNING_LEAD")
# Names that go on the wire, and what they may contain (None: any non-empty string).
NAMES: dict[str, re.Pattern[str] | None] = {
    "BACKGROUND_HEADER": re.compile(r"[A-Za-z0-9-]+"),  # servers drop "_" names
    "END_COOKIE": re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"),  # an RFC 9110 token
    "LOGOUT_URL": None,  # a URL name or path for resolve_url(), or reverse_lazy()
}
HOOK = "LIMITS_HOOK"


def _check_number(name: str) -> Error | None:
    kind, zero_ok = NUMBERS[name]
    setting, value = PREFIX + name, raw(name)
    allowed = (int,) if kind is int else (int, float)
    if isinstance(value, bool) or not isinstance(value, allowed):
        wanted = "an int" if kind is int else "a number (int or float)"
        return Error(
            f"{setting} must be {wanted}, not {value!r} ({type(value).__name__}).",
            hint=f"Set {setting} to a number such as {DEFAULTS[name]!r}; convert "
            f"a value read from the environment with {kind.__name__}().",
            id="sessions_core.E010",
        )
    if math.isfinite(value) and (value >= 0 if zero_ok else value > 0):
        return None
    bound = "0 or more" if zero_ok else "more than 0"
    return Error(
        f"{setting} is {value!r}; it must be {bound}.",
        hint=f"Set {setting} to {bound} (default {DEFAULTS[name]!r}).",
        id="sessions_core.E001" if name in LIFETIMES else "sessions_core.E011",
    )


@register(Tags.security)
def check_limits(app_configs: Apps = None, **kwargs: Any) -> Messages:
    """Check each lifetime on its own, then how they relate."""
    errors: Messages = [error for name in LIFETIMES if (error := _check_number(name))]
    if errors:
        return errors  # the relations below need four valid numbers
    idle, absolute = raw("IDLE_TIMEOUT"), raw("ABSOLUTE_TIMEOUT")
    staff, lead = raw("STAFF_IDLE_TIMEOUT"), raw("WARNING_LEAD")
    if idle > absolute:
        errors.append(
            Error(
                f"The idle timeout ({idle} s) is longer than the absolute timeout "
                f"({absolute} s).",
                hint="Lower SESSIONS_CORE_IDLE_TIMEOUT or raise "
                "SESSIONS_CORE_ABSOLUTE_TIMEOUT.",
                id="sessions_core.E002",
            )
        )
    if lead >= min(idle, staff):
        errors.append(
            Error(
                f"The warning lead ({lead} s) is not shorter than the idle timeout "
                f"({min(idle, staff)} s), so every page would open with a warning.",
                hint="Lower SESSIONS_CORE_WARNING_LEAD below "
                "SESSIONS_CORE_IDLE_TIMEOUT and SESSIONS_CORE_STAFF_IDLE_TIMEOUT.",
                id="sessions_core.E003",
            )
        )
    if lead < WCAG_MIN_LEAD:
        errors.append(
            Warning(
                f"The warning lead ({lead} s) gives users less than {WCAG_MIN_LEAD} s "
                "to answer (WCAG 2.2.1).",
                hint=f"Set SESSIONS_CORE_WARNING_LEAD to {WCAG_MIN_LEAD} or more "
                "outside tests.",
                id="sessions_core.W001",
            )
        )
    if staff > idle:
        errors.append(
            Warning(
                f"The staff idle timeout ({staff} s) is longer than everyone's "
                f"({idle} s); staff get {idle} s.",
                hint="Set SESSIONS_CORE_STAFF_IDLE_TIMEOUT at or below "
                "SESSIONS_CORE_IDLE_TIMEOUT.",
                id="sessions_core.W002",
            )
        )
    return errors


def _check_name(name: str, pattern: re.Pattern[str] | None) -> Error | None:
    value = raw(name)
    if isinstance(value, str) and (pattern.fullmatch(value) if pattern else value):
        return None
    if pattern is None and isinstance(value, Promise):  # reverse_lazy()
        return None
    return Error(
        f"{PREFIX}{name} must be a non-empty string"
        f"{f' matching {pattern.pattern}' if pattern else ''}, not {value!r}.",
        hint=f"Set {PREFIX}{name} to a name such as {DEFAULTS[name]!r} "
        "(the default), or remove it.",
        id="sessions_core.E012",
    )


def _check_hook() -> Error | None:
    path = raw(HOOK)
    if path is None or path == "":
        return None
    hint = f"Set {PREFIX}{HOOK} to the dotted path of hook(user, limits), or None."
    if not isinstance(path, str):
        problem = f"must be a dotted path string, not {path!r}"
        return Error(f"{PREFIX}{HOOK} {problem}.", hint=hint, id="sessions_core.E013")
    try:
        hook = import_string(path)
    except ImportError as exc:  # as Django's own check of CSRF_FAILURE_VIEW
        problem = f"'{path}' cannot be imported ({exc})"
        return Error(f"{PREFIX}{HOOK} {problem}.", hint=hint, id="sessions_core.E013")
    try:
        inspect.signature(hook).bind(None, None)
    except TypeError:  # not callable, or not with two arguments
        problem = f"'{path}' cannot be called as hook(user, limits)"
        return Error(f"{PREFIX}{HOOK} {problem}.", hint=hint, id="sessions_core.E014")
    except ValueError:  # no signature to inspect (a builtin): trust it
        pass
    return None


@register()
def check_settings(app_configs: Apps = None, **kwargs: Any) -> Messages:
    """Check every setting but the lifetimes: numbers, names and the limits hook."""
    numbers = [_check_number(name) for name in NUMBERS if name not in LIFETIMES]
    names = [_check_name(name, pattern) for name, pattern in NAMES.items()]
    return [error for error in (*numbers, *names, _check_hook()) if error]


@register()
def check_middleware(app_configs: Apps = None, **kwargs: Any) -> Messages:
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
def check_stores(app_configs: Apps = None, **kwargs: Any) -> Messages:
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
