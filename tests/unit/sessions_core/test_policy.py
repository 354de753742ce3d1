from __future__ import annotations

import pytest

from sessions_core import policy
from sessions_core.policy import Limits, State
from sessions_core.reasons import EndReason

LIMITS = Limits(idle=600, absolute=14400, warning_lead=120)
T0 = 1_000_000.0


def judge(*, since_sign_in: float, since_activity: float, **kwargs):
    now = T0 + since_sign_in
    return policy.judge(
        signed_in=T0, last_active=now - since_activity, now=now, limits=LIMITS, **kwargs
    )


@pytest.mark.parametrize(
    ("idle_for", "state", "reason"),
    [
        (599, State.WARN, None),
        (600, State.EXPIRED, EndReason.IDLE),
        (601, State.EXPIRED, EndReason.IDLE),
    ],
)
def test_idle_boundary(idle_for, state, reason):
    verdict = judge(since_sign_in=1000, since_activity=idle_for)
    assert verdict.state is state
    assert verdict.reason == reason


@pytest.mark.parametrize(
    ("age", "state", "reason"),
    [
        (14399, State.WARN, None),
        (14400, State.EXPIRED, EndReason.ABSOLUTE),
        (14401, State.EXPIRED, EndReason.ABSOLUTE),
    ],
)
def test_absolute_boundary_under_steady_activity(age, state, reason):
    verdict = judge(since_sign_in=age, since_activity=0)
    assert verdict.state is state
    assert verdict.reason == reason


@pytest.mark.parametrize(
    ("idle_for", "state"),
    [(479, State.ACTIVE), (480, State.WARN), (481, State.WARN)],
)
def test_warning_starts_at_the_lead(idle_for, state):
    assert judge(since_sign_in=1000, since_activity=idle_for).state is state


def test_seconds_left_are_relative_to_now():
    verdict = judge(since_sign_in=100, since_activity=40)
    assert verdict.idle_expires_in == 560
    assert verdict.absolute_expires_in == 14300
    assert verdict.kind == "idle"
    assert verdict.expires_in == 560
    assert verdict.warn_in == 440


def test_nearer_absolute_deadline_is_the_kind_warned_about():
    verdict = judge(since_sign_in=14000, since_activity=10)
    assert verdict.kind == "absolute"
    assert verdict.expires_in == 400


def test_earliest_passed_deadline_is_the_reason():
    # Idle since sign-in for longer than the absolute limit: idle passed first.
    verdict = judge(since_sign_in=20000, since_activity=20000)
    assert verdict.reason is EndReason.IDLE


@pytest.mark.parametrize(
    ("retired_ago", "state"),
    [(-1, State.ACTIVE), (0, State.EXPIRED), (1, State.EXPIRED)],
)
def test_retired_key_version_ends_the_session_whatever_the_activity(retired_ago, state):
    now = T0 + 100
    verdict = judge(
        since_sign_in=100, since_activity=0, key_retired_at=now - retired_ago
    )
    assert verdict.state is state
    if state is State.EXPIRED:
        assert verdict.reason is EndReason.KEY_ROTATED


def test_activity_before_sign_in_never_extends_the_idle_deadline():
    verdict = policy.judge(
        signed_in=T0, last_active=T0 - 500, now=T0 + 599, limits=LIMITS
    )
    assert verdict.idle_expires_in == 1


@pytest.mark.parametrize(
    ("idle", "lead", "window"),
    [(600, 120, 30), (6, 2, 0.3), (3600, 120, 60), (14400, 120, 60), (60, 58, 0.5)],
)
def test_activity_window_scales_with_idle_and_caps_at_a_minute(idle, lead, window):
    limits = policy.Limits(idle=idle, absolute=14400, warning_lead=lead)
    assert policy.activity_window(limits) == pytest.approx(window)


def test_activity_is_due_only_after_the_window():
    assert not policy.activity_due(last_recorded=T0, now=T0 + 29.9, limits=LIMITS)
    assert policy.activity_due(last_recorded=T0, now=T0 + 30, limits=LIMITS)


@pytest.mark.parametrize(
    ("idle", "lead", "every"),
    [(600, 120, 60), (60, 30, 7.5), (12, 6, 1.5), (3, 2, 0.25), (900, 120, 60)],
)
def test_activity_is_reported_a_quarter_of_the_quiet_time_apart(idle, lead, every):
    limits = policy.Limits(idle=idle, absolute=14400, warning_lead=lead)
    assert policy.activity_every(limits) == pytest.approx(every)


@pytest.mark.parametrize("idle", [2, 3, 6, 12, 60, 61, 299, 600, 900, 1800, 86400])
@pytest.mark.parametrize("lead_share", [0.0, 0.1, 0.5, 0.8, 0.95])
def test_someone_using_the_page_is_never_warned_whatever_the_limits(idle, lead_share):
    """Input just after a report waits one report interval in the tab and at most
    one activity window on the server: the recorded activity then lags the input
    by less than the quiet time, so the warning never comes while they type."""
    lead = min(int(idle * lead_share), idle - 1)
    limits = policy.Limits(idle=idle, absolute=10 * idle, warning_lead=lead)
    worst_lag = policy.activity_every(limits) + policy.activity_window(limits)
    assert worst_lag < policy.quiet_time(limits)


@pytest.mark.parametrize(
    ("ago", "acted"), [(0.0, 100.0), (10.0, 90.0), (99.0, 40.0), (-5.0, 100.0)]
)
def test_input_counts_from_when_the_person_acted_at_most_one_interval_back(ago, acted):
    """Idle 600 s, lead 120 s: reports come every 60 s, so "ago" is cut to 60."""
    assert policy.activity_moment(now=100.0, ago=ago, limits=LIMITS) == acted


def test_lost_session_within_limits_is_reported_as_lost_by_the_store():
    reason = policy.classify_lost_session(
        signed_in=T0, last_active=T0 + 10, now=T0 + 20, limits=LIMITS
    )
    assert reason is EndReason.STORE_LOST


def test_unreadable_session_within_limits_is_reported_as_key_rotated():
    reason = policy.classify_lost_session(
        signed_in=T0, last_active=T0 + 10, now=T0 + 20, limits=LIMITS, unreadable=True
    )
    assert reason is EndReason.KEY_ROTATED


def test_lost_session_past_its_idle_limit_is_reported_as_idle():
    reason = policy.classify_lost_session(
        signed_in=T0, last_active=T0, now=T0 + 700, limits=LIMITS
    )
    assert reason is EndReason.IDLE


@pytest.mark.parametrize(
    ("retires_in", "reason"),
    [
        (-30.0, EndReason.KEY_ROTATED),  # purged after its version retired
        (policy.PURGE_CLOCK_SKEW, EndReason.KEY_ROTATED),  # by a clock ahead of ours
        (policy.PURGE_CLOCK_SKEW + 1, EndReason.STORE_LOST),  # lost in the grace
    ],
)
def test_lost_session_of_a_retiring_key_version_names_the_rotation_by_its_time(
    retires_in, reason
):
    now = T0 + 20
    assert (
        policy.classify_lost_session(
            signed_in=T0,
            last_active=T0 + 10,
            now=now,
            limits=LIMITS,
            key_retired_at=now + retires_in,
        )
        is reason
    )


@pytest.mark.parametrize("retired", [T0 + 650, T0 + 603])  # passed; within the skew
def test_lost_session_idle_before_its_key_version_retired_is_reported_as_idle(
    retired,
):
    # Idle at T0 + 600; the skew decides whether the retirement passed, not which
    # came first.
    reason = policy.classify_lost_session(
        signed_in=T0,
        last_active=T0,
        now=min(retired, T0 + 700) - 2,
        limits=LIMITS,
        key_retired_at=retired,
    )
    assert reason is EndReason.IDLE


def test_retire_at_never_goes_back_in_time():
    assert policy.retire_at(now=T0, grace=-5) == T0
    assert policy.retire_at(now=T0, grace=30) == T0 + 30


def test_verdict_is_frozen():
    verdict = judge(since_sign_in=1, since_activity=1)
    with pytest.raises(AttributeError):
        verdict.state = State.EXPIRED


@pytest.mark.parametrize(
    ("version", "retire_in", "retired"),
    [(1, 0, True), (1, -5, True), (1, 5, False), (2, -5, False), (3, -5, False)],
)
def test_key_version_retired(version, retire_in, retired):
    now = T0
    assert (
        policy.key_version_retired(
            version=version, current=2, retire_at=now + retire_in, now=now
        )
        is retired
    )


def test_verdict_carries_the_key_deadline_during_a_grace():
    verdict = judge(since_sign_in=10, since_activity=0, key_retired_at=T0 + 40)
    assert verdict.key_expires_in == 30
    assert judge(since_sign_in=10, since_activity=0).key_expires_in is None


@pytest.mark.parametrize(
    ("since", "fresh"),
    [
        (None, False),  # never confirmed (signing in is not a confirmation)
        (0, True),
        (299.9, True),
        (300, False),  # a window ends at its deadline exactly
        (301, False),
        (-policy.STEP_UP_CLOCK_SKEW, True),  # another process a little ahead
        (-policy.STEP_UP_CLOCK_SKEW - 0.1, False),  # a stamp from the future
    ],
)
def test_step_up_fresh_boundaries(since, fresh):
    confirmed_at = None if since is None else T0 - since
    assert policy.step_up_fresh(confirmed_at=confirmed_at, now=T0, window=300) is fresh


# --- API tokens -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "left"), [(0, 300.0), (299.5, 0.5), (300, 0.0), (301, -1.0)]
)
def test_token_left_ends_at_its_deadline_exactly(after, left):
    assert policy.token_left(issued_at=T0, ttl=300, now=T0 + after) == left


def test_token_lives_never_past_the_absolute_limit():
    limits = policy.Limits(idle=600, absolute=14400, warning_lead=120)
    fresh = policy.judge(signed_in=T0, last_active=T0, now=T0, limits=limits)
    assert policy.token_lives(access_ttl=300, verdict=fresh) == (300, 14400)
    late = policy.judge(
        signed_in=T0, last_active=T0 + 14200, now=T0 + 14300, limits=limits
    )
    assert policy.token_lives(access_ttl=300, verdict=late) == (100, 100)


@pytest.mark.parametrize(
    ("after", "grace", "retry"),
    [(0, 30, True), (29.9, 30, True), (30, 30, False), (0, 0, False)],
)
def test_refresh_retry_only_within_the_grace(after, grace, retry):
    assert policy.refresh_retry(used_at=T0, now=T0 + after, grace=grace) is retry
