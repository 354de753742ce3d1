"""Read-only questions about sessions: limits, verdicts and records."""

from __future__ import annotations

import time
from functools import lru_cache

from django.contrib.auth import HASH_SESSION_KEY
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from . import keyring, policy
from .conf import app_settings, remembered
from .models import SessionRecord, digest_key
from .sessiondata import Stamps, read_stamps


@lru_cache(maxsize=8)
def _hook(path: str):
    return import_string(path)


def limits_for(user) -> policy.Limits:
    """Return the limits for ``user``: staff get the stricter idle limit.

    ``SESSIONS_CORE_LIMITS_HOOK`` may name ``hook(user, limits) -> Limits`` to give
    other roles other limits.
    """
    staff = bool(getattr(user, "is_staff", False))
    limits = remembered(("limits", staff), lambda: _settings_limits(staff))
    if app_settings.LIMITS_HOOK:
        limits = _hook(app_settings.LIMITS_HOOK)(user, limits)
    return limits


def _settings_limits(staff: bool) -> policy.Limits:
    idle = app_settings.IDLE_TIMEOUT
    if staff:
        idle = min(idle, app_settings.STAFF_IDLE_TIMEOUT)
    return policy.Limits(
        idle=idle,
        absolute=app_settings.ABSOLUTE_TIMEOUT,
        warning_lead=app_settings.WARNING_LEAD,
    )


def verdict_for(*, stamps: Stamps, user, now: float | None = None) -> policy.Verdict:
    """Judge a session's stamps for its user at ``now`` (default: the clock)."""
    return policy.judge(
        signed_in=stamps.signed_in,
        last_active=stamps.last_active,
        now=time.time() if now is None else now,
        limits=limits_for(user),
        key_retired_at=keyring.retired_at(stamps.key_version),
    )


def record_verdict(
    record: SessionRecord, *, now: float | None = None
) -> policy.Verdict:
    """Judge a record from its own timestamps (which may lag the session's)."""
    return policy.judge(
        signed_in=record.signed_in_at.timestamp(),
        last_active=record.last_active_at.timestamp(),
        now=time.time() if now is None else now,
        limits=limits_for(record.user),
        key_retired_at=keyring.retired_at(record.key_version),
    )


def record_for_key(session_key: str | None) -> SessionRecord | None:
    if not session_key or len(session_key) > 64:
        return None
    return (
        SessionRecord.objects.select_related("user")
        .filter(key_digest=digest_key(session_key))
        .order_by("-signed_in_at")
        .first()
    )


def record_by_id(record_id: int | None) -> SessionRecord | None:
    if record_id is None:
        return None
    return SessionRecord.objects.select_related("user").filter(pk=record_id).first()


def session_still_valid(data: dict, user) -> bool:
    """Tell whether a stored session would still sign ``user`` in.

    False when it is gone, no longer decodes, or carries an auth hash made with a
    secret key that is neither SECRET_KEY nor in SECRET_KEY_FALLBACKS (cache-backed
    sessions are stored unsigned, so only the hash shows a changed key).
    """
    if read_stamps(data) is None:
        return False
    session_hash = data.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    return any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    )


def live_count_before(version: int) -> int:
    """How many sessions of versions older than ``version`` are still live."""
    return SessionRecord.objects.live().filter(key_version__lt=version).count()


def live_records_of(user) -> list[SessionRecord]:
    return list(
        SessionRecord.objects.live().filter(user=user).order_by("-signed_in_at")
    )
