"""Decide a session's state from its timestamps: pure functions, no I/O.

Middleware, consumer, tasks and admin all ask this module; no other module does
timeout arithmetic. Times are seconds since the epoch (floats), limits are seconds.
"""

from __future__ import annotations

from .reasons import EndReason
from .verdicts import Limits, State, Verdict

__all__ = ["Limits", "State", "Verdict"]  # with the functions below

# Activity is written at most once per window (1/20 of the idle limit, at most 60 s);
# a tab reports input every 0.25-60 s. Each is at most a quarter (SHARE) of the
# quiet time before the warning: see activity_every().
ACTIVITY_WINDOW_FRACTION = 20
ACTIVITY_WINDOW_MAX = 60.0
ACTIVITY_REPORT_SHARE = 4
ACTIVITY_REPORT_MAX = 60.0
ACTIVITY_REPORT_MIN = 0.25
# A warning timer that fires this much early still warns (seconds).
WARNING_SLACK = 0.05
# A session active this recently may be in the middle of a request (a sign-in or a
# key change not saved yet): the sweep judges its stored copy only after this long.
SWEEP_SETTLE = 60.0
# A confirmation stamped up to this far ahead of "now" (another process's clock) counts.
STEP_UP_CLOCK_SKEW = 5.0
# A session gone from its store up to this long before its key version retires
# was taken by the rotation's purge, run on a clock up to this far ahead of ours.
PURGE_CLOCK_SKEW = 5.0


def judge(
    *,
    signed_in: float,
    last_active: float,
    now: float,
    limits: Limits,
    key_retired_at: float | None = None,
) -> Verdict:
    """Return the verdict on a session signed in and last active at the given times.

    A limit is reached at its deadline exactly. When several deadlines have passed,
    the earliest one is the reason. A retired key version ends the session at
    ``key_retired_at`` whatever the activity.
    """
    idle_deadline = max(last_active, signed_in) + limits.idle
    absolute_deadline = signed_in + limits.absolute
    idle_left = idle_deadline - now
    absolute_left = absolute_deadline - now
    kind, expires_in = (
        ("idle", idle_left)
        if idle_left <= absolute_left
        else ("absolute", absolute_left)
    )

    expired = (
        idle_deadline <= now
        or absolute_deadline <= now
        or (key_retired_at is not None and key_retired_at <= now)
    )
    warn_in = 0.0 if expired else max(expires_in - limits.warning_lead, 0.0)
    return Verdict(
        at=now,
        limits=limits,
        key_expires_in=(
            None if expired or key_retired_at is None else key_retired_at - now
        ),
        state=(
            State.EXPIRED if expired else State.WARN if warn_in == 0.0 else State.ACTIVE
        ),
        reason=(
            _first_passed(idle_deadline, absolute_deadline, key_retired_at, now)
            if expired
            else None
        ),
        idle_expires_in=max(idle_left, 0.0) if expired else idle_left,
        absolute_expires_in=max(absolute_left, 0.0) if expired else absolute_left,
        warning_lead=limits.warning_lead,
        kind=kind,
        expires_in=0.0 if expired else expires_in,
        warn_in=warn_in,
    )


def _first_passed(
    idle_deadline: float, absolute_deadline: float, key_retired_at, now: float
) -> EndReason:
    """The reason of the earliest deadline that has passed."""
    passed = [
        (deadline, reason)
        for deadline, reason in (
            (idle_deadline, EndReason.IDLE),
            (absolute_deadline, EndReason.ABSOLUTE),
            (key_retired_at, EndReason.KEY_ROTATED),
        )
        if deadline is not None and deadline <= now
    ]
    return min(passed, key=lambda item: item[0])[1]


def warning_due(*, deadline: float, lead: float, now: float) -> bool:
    """Tell whether a tab woken at ``now`` should warn of ``deadline`` (a timer may
    fire a few milliseconds early)."""
    return deadline - lead - now <= WARNING_SLACK and now < deadline


def quiet_time(limits: Limits) -> float:
    """Seconds from the last recorded activity to the idle warning."""
    return max(limits.idle - limits.warning_lead, 0)


def activity_window(limits: Limits) -> float:
    """Seconds within which a second activity write is skipped."""
    return min(
        limits.idle / ACTIVITY_WINDOW_FRACTION,
        ACTIVITY_WINDOW_MAX,
        quiet_time(limits) / ACTIVITY_REPORT_SHARE,
    )


def activity_due(*, last_recorded: float, now: float, limits: Limits) -> bool:
    """Tell whether activity at ``now`` should be written over ``last_recorded``.

    A skipped write makes the server enforce an idle deadline up to one window
    early, never late: a deadline shown from the stored value is always honoured.
    """
    return now - last_recorded >= activity_window(limits)


def activity_every(limits: Limits) -> float:
    """How often a tab reports real input (the state frame's ``activity_every``).

    Input reaches the record at most one report interval plus one activity window
    after it happened: each a quarter of the quiet time at most, so together half
    of it, and someone who is using the page is never warned, whatever the limits.
    """
    return max(
        min(quiet_time(limits) / ACTIVITY_REPORT_SHARE, ACTIVITY_REPORT_MAX),
        ACTIVITY_REPORT_MIN,
    )


def activity_moment(*, now: float, ago: float, limits: Limits) -> float:
    """When the person acted, from a tab's report received at ``now`` that says
    it was ``ago`` seconds earlier (relative: the browser's clock is not used).

    A report comes at most one report interval after the input it tells of, so a
    longer ``ago`` is cut to that, and one from the future counts as now.
    """
    return now - min(max(ago, 0.0), activity_every(limits))


def store_ttl(*, absolute: int, cookie_age: int) -> int:
    """How long a store keeps a session, or the tombstone of its end, after its
    last write: never less than the absolute limit, so that the policy, not the
    store, ends every session (the cookie itself has no Expires)."""
    return max(absolute, cookie_age, 1)


def settled(*, last_active: float, now: float) -> bool:
    """Tell whether the sweep may judge a live session by what its store holds."""
    return now - last_active >= SWEEP_SETTLE


def key_version_retired(*, version: int, current: int, retire_at, now) -> bool:
    """Tell whether a rotation to ``current``, retiring at ``retire_at``, ends it."""
    return version < current and retire_at <= now


def retire_at(*, now: float, grace: float) -> float:
    """When sessions of a version retired at ``now`` with ``grace`` stop working."""
    return now + max(grace, 0.0)


def rotation_took(*, key_retired_at: float | None, now: float) -> bool:
    """Tell whether a session gone from its store at ``now`` was taken by the purge
    of a rotation that retires its key version at ``key_retired_at``: retired, or
    retiring within PURGE_CLOCK_SKEW (the purge's clock may be ahead of ours)."""
    return key_retired_at is not None and key_retired_at - PURGE_CLOCK_SKEW <= now


def classify_lost_session(
    *,
    signed_in: float,
    last_active: float,
    now: float,
    limits: Limits,
    key_retired_at: float | None = None,
    unreadable: bool = False,
) -> EndReason:
    """Name why a live record's session vanished from its store or cannot be used:
    the first of its own limits and its key version's retirement that passed (a
    retirement the purge's clock may have reached, ``rotation_took``, counts as
    passed now); else a key rotation if it no longer verifies (its secret key is
    gone), or the store's loss (an outage that lost data)."""
    if rotation_took(key_retired_at=key_retired_at, now=now):
        key_retired_at = min(key_retired_at, now)
    verdict = judge(
        signed_in=signed_in,
        last_active=last_active,
        now=now,
        limits=limits,
        key_retired_at=key_retired_at,
    )
    if verdict.expired:
        return verdict.reason
    return EndReason.KEY_ROTATED if unreadable else EndReason.STORE_LOST


def step_up_fresh(*, confirmed_at: float | None, now: float, window: int) -> bool:
    """Tell whether a confirmation ("confirm it's you") at ``confirmed_at`` still
    covers a risky action at ``now``.

    It covers ``window`` seconds and ends at its deadline exactly, like every
    limit here. No confirmation (None) covers nothing.
    """
    if confirmed_at is None:
        return False
    return confirmed_at - STEP_UP_CLOCK_SKEW <= now < confirmed_at + window


def token_left(*, issued_at: float, ttl: float, now: float) -> float:
    """Seconds left to a token issued at ``issued_at`` for ``ttl`` seconds; 0 or
    less: expired (at its deadline exactly, like every limit here)."""
    return issued_at + ttl - now


def token_lives(*, access_ttl: float, verdict: Verdict) -> tuple[float, float]:
    """Seconds a new access and a new refresh token live: never past the absolute
    limit, which nothing extends (the idle limit may end both sooner)."""
    return min(access_ttl, verdict.absolute_expires_in), verdict.absolute_expires_in


def refresh_retry(*, used_at: float, now: float, grace: float) -> bool:
    """Tell whether a used refresh token presented at ``now`` is a retry after a
    lost response (within ``grace`` of its use), not a reuse."""
    return now < used_at + grace
