"""The user's activity: written at most once a window, latest wins, and extends."""

from __future__ import annotations

import time

from django.contrib.sessions.backends.base import UpdateError
from django.http import HttpRequest

from sessions_core import notify, policy, selectors, store
from sessions_core.models import SessionEvent, SessionRecord, digest_key
from sessions_core.sessiondata import LAST_ACTIVE_KEY, Stamps, read_stamps
from sessions_core.signals import SENDER, session_extended

from .audit import log_event, to_datetime


def store_activity(*, record_id: int, now: float) -> None:
    # "Latest wins": the row only ever moves forward.
    SessionRecord.objects.filter(
        pk=record_id, last_active_at__lt=to_datetime(now)
    ).update(last_active_at=to_datetime(now))
    notify.send_sync(
        [notify.session_group(record_id)], notify.changed_message(last_active=now)
    )


def record_activity(
    *, request: HttpRequest, stamps: Stamps, limits: policy.Limits, now: float
) -> bool:
    """Write the user's activity at ``now``, at most once per activity window.

    Returns False when the write was skipped. Raises UpdateError if the session
    ended meanwhile (the store refused the write): the request must not go on.
    """
    if not policy.activity_due(
        last_recorded=stamps.last_active, now=now, limits=limits
    ):
        return False
    session = request.session
    session[LAST_ACTIVE_KEY] = max(stamps.last_active, now)
    # Saved now, not at the end of the request: other tabs re-read the store as
    # soon as they are told, and a slow view must not hold the news back.
    session.save()
    session.modified = False
    store_activity(record_id=stamps.record_id, now=now)
    return True


def keep_latest_activity(*, request: HttpRequest) -> None:
    """Before a modified session is saved, keep the newest activity in the store.

    A slow request loaded the session before a newer request wrote later activity;
    saving its copy as it is would move last activity back.
    """
    session = request.session
    if not session.modified or session.session_key is None:
        return
    stored = read_stamps(store.read(digest_key(session.session_key)).data or {})
    mine = read_stamps(session)
    if stored and mine and stored.last_active > mine.last_active:
        session[LAST_ACTIVE_KEY] = stored.last_active


def extend_by_key(
    *, session_key: str, user, deliberate: bool = True, ago: float = 0.0
) -> policy.Verdict | None:
    """Count a tab's activity, for any door: "Stay signed in" if ``deliberate``,
    else the person's input in the page.

    "Stay signed in" is always written, and logged when the tab was warned; input
    is written at most once per activity window, never logged, and counts from
    when the person acted (``ago`` seconds before the report). Returns the verdict
    after it, the expired verdict if it came too late, or None if the session is
    gone.
    """
    session = store.session_store(session_key)
    stamps = read_stamps(session)  # loads once, and keeps it for the save below
    if stamps is None:
        return None
    now = time.time()
    verdict = selectors.verdict_for(stamps=stamps, user=user, now=now)
    if verdict.expired:
        return verdict
    acted = now
    if not deliberate:
        acted = policy.activity_moment(now=now, ago=ago, limits=verdict.limits)
        if not policy.activity_due(
            last_recorded=stamps.last_active, now=acted, limits=verdict.limits
        ):
            return verdict
    acted = max(stamps.last_active, acted)  # latest wins
    session[LAST_ACTIVE_KEY] = acted
    try:
        session.save()
    except UpdateError:
        return None
    store_activity(record_id=stamps.record_id, now=acted)
    session_extended.send(sender=SENDER, deliberate=deliberate)
    if deliberate and verdict.state is policy.State.WARN:
        log_event(
            kind=SessionEvent.Kind.EXTEND,
            user=user,
            record=SessionRecord.objects.filter(pk=stamps.record_id).first(),
        )
    return selectors.verdict_for(
        stamps=Stamps(
            record_id=stamps.record_id,
            signed_in=stamps.signed_in,
            last_active=acted,
            key_version=stamps.key_version,
        ),
        user=user,
        now=now,
    )
