"""System checks of sessions_core's own settings: a misconfiguration, even a value
of the wrong type, says the fix. What the host must provide is in checks_host."""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from .conf import DEFAULTS, PREFIX, raw

WCAG_MIN_LEAD = 20
# NIST SP 800-63B-4 (2025) §2.2.3, AAL2: the inactivity timeout SHOULD be no more
# than 1 hour, the overall timeout no more than 24 hours (docs/TIMEOUTS.md).
AAL2_MAX_IDLE = 3600
AAL2_MAX_ABSOLUTE = 24 * 3600
# A confirmation older than this is not "recent" any more: AAL3's inactivity bound
# and PCI DSS 8.2.8's idle limit are both 15 minutes.
STEP_UP_MAX_WINDOW = 900
# An access token is short-lived only if it lives minutes (RFC 9700 §2.2.2), and a
# refresh retry grace past Okta's 60 s ceiling gives a stolen token time to race.
ACCESS_TOKEN_MAX_TTL = 900
REFRESH_GRACE_MAX = 60
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
    "STEP_UP_WINDOW": (int, False),  # 0 would ask again before every action
    "ACCESS_TOKEN_TTL": (int, False),
    "REFRESH_GRACE": (float, True),  # 0: no retry; a used token is always reuse
    "TOKEN_USER_TTL": (float, True),  # 0: load the user on every API call
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
# Out-of-range ids of their own; every other number is sessions_core.E011.
OUT_OF_RANGE = {
    **dict.fromkeys(LIFETIMES, "sessions_core.E001"),
    "STEP_UP_WINDOW": "sessions_core.E017",
}


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
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        finite = False
    if finite and (value >= 0 if zero_ok else value > 0):
        return None
    bound = "0 or more" if zero_ok else "more than 0"
    return Error(
        f"{setting} is {value!r}; it must be {bound}.",
        hint=f"Set {setting} to {bound} (default {DEFAULTS[name]!r}).",
        id=OUT_OF_RANGE.get(name, "sessions_core.E011"),
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
    return errors + _weaker_than_aal2(idle, staff, absolute)


def _weaker_than_aal2(idle: int, staff: int, absolute: int) -> Messages:
    """Warn of limits looser than NIST SP 800-63B-4's AAL2 bounds (§2.2.3)."""
    warnings: Messages = []
    for name, value in (("IDLE_TIMEOUT", idle), ("STAFF_IDLE_TIMEOUT", staff)):
        if value > AAL2_MAX_IDLE:
            warnings.append(
                Warning(
                    f"{PREFIX}{name} is {value!r} s: longer than the 1 hour of "
                    "inactivity NIST SP 800-63B-4 allows at AAL2 (§2.2.3).",
                    hint=f"Set {PREFIX}{name} to {AAL2_MAX_IDLE} or less; a bank "
                    "wants 900 or less (PCI DSS 8.2.8).",
                    id="sessions_core.W003",
                )
            )
    if absolute > AAL2_MAX_ABSOLUTE:
        warnings.append(
            Warning(
                f"{PREFIX}ABSOLUTE_TIMEOUT is {absolute!r} s: longer than the 24 "
                "hours NIST SP 800-63B-4 allows at AAL2 (§2.2.3).",
                hint=f"Set {PREFIX}ABSOLUTE_TIMEOUT to {AAL2_MAX_ABSOLUTE} or less; "
                "OWASP suggests 4 to 8 hours.",
                id="sessions_core.W004",
            )
        )
    return warnings


def _check_step_up_window() -> Warning | None:
    window = raw("STEP_UP_WINDOW")
    if _check_number("STEP_UP_WINDOW") or window <= STEP_UP_MAX_WINDOW:
        return None  # a wrong type or range is E010/E017, from check_settings
    return Warning(
        f"{PREFIX}STEP_UP_WINDOW is {window!r} s: a confirmation that old is not a "
        "recent one.",
        hint=f"Set {PREFIX}STEP_UP_WINDOW to {STEP_UP_MAX_WINDOW} or less "
        "(default 300).",
        id="sessions_core.W005",
    )


# Each token setting's id and bound when it is too long for what it is.
TOKEN_BOUNDS = {
    "ACCESS_TOKEN_TTL": ("sessions_core.W007", ACCESS_TOKEN_MAX_TTL, "an access token"),
    "REFRESH_GRACE": ("sessions_core.W008", REFRESH_GRACE_MAX, "a refresh retry"),
}


def _check_token_lifetimes() -> list[Warning]:
    """Warn of token lifetimes that leave a stolen token too long to act."""
    return [
        Warning(
            f"{PREFIX}{name} is {raw(name)!r} s: too long for {what}.",
            hint=f"Set {PREFIX}{name} to {bound} or less (default {DEFAULTS[name]!r}).",
            id=check_id,
        )
        for name, (check_id, bound, what) in TOKEN_BOUNDS.items()
        if not _check_number(name) and raw(name) > bound
    ]


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


@register()
def check_settings(app_configs: Apps = None, **kwargs: Any) -> Messages:
    """Check every setting but the lifetimes: numbers, names and the limits hook."""
    numbers = [_check_number(name) for name in NUMBERS if name not in LIFETIMES]
    names = [_check_name(name, pattern) for name, pattern in NAMES.items()]
    extra = (_check_hook(), _check_step_up_window(), *_check_token_lifetimes())
    return [error for error in (*numbers, *names, *extra) if error]
