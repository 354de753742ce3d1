"""Everything that changes a session's life: start, activity, extend, end.

Views, middleware, consumer, admin actions, commands and tasks are thin doors onto
these functions. Each end goes through ``end_sessions``, which deletes the session
from its store, records the reason, writes the audit log, sends ``session_ended``
and tells the session's open tabs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from django.contrib import auth
from django.contrib.sessions.backends.base import UpdateError
from django.db import transaction
from django.http import HttpRequest

from . import keyring, notify, policy, selectors, store
from .conf import app_settings
from .models import SessionEvent, SessionRecord, digest_key
from .reasons import EndReason
from .request_info import client_ip, describe_browser
from .sessiondata import LAST_ACTIVE_KEY, Stamps, read_stamps, write_stamps
from .signals import session_ended

logger = logging.getLogger(__name__)


def to_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def log_event(
    *,
    kind: str,
    user=None,
    record: SessionRecord | None = None,
    reason: str = "",
    by=None,
    ip: str | None = None,
    detail: str = "",
) -> None:
    SessionEvent.objects.create(
        kind=kind,
        user=user,
        username=getattr(user, "get_username", lambda: "")(),
        record=record,
        reason=reason,
        by=by,
        ip=ip,
        detail=detail[:200],
    )


# --- Start -----------------------------------------------------------------------


def start_session(*, request: HttpRequest, user) -> SessionRecord:
    """Record a new sign-in, stamp the session and enforce the per-user cap."""
    now = time.time()
    session = request.session
    if session.session_key is None:
        session.save()
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:400]
    ip = client_ip(request, app_settings.TRUSTED_PROXIES)
    record = SessionRecord.objects.create(
        user=user,
        key_digest=digest_key(session.session_key),
        signed_in_at=to_datetime(now),
        last_active_at=to_datetime(now),
        ip=ip,
        user_agent=user_agent,
        device=describe_browser(user_agent),
        key_version=keyring.current_version(),
    )
    write_stamps(
        session, record_id=record.pk, signed_in=now, key_version=record.key_version
    )
    # Saved now, with the auth hash login() just set: a sweep or a tab reading the
    # store before the response is sent must see a whole session, not half of one.
    session.save()
    log_event(kind=SessionEvent.Kind.START, user=user, record=record, ip=ip)
    logger.info("session %s started for user %s", record.short_digest, user.pk)
    enforce_session_cap(user=user, keep=record)
    return record


def enforce_session_cap(*, user, keep: SessionRecord) -> None:
    """End the oldest live sessions beyond SESSIONS_CORE_MAX_PER_USER.

    Records whose own limits already passed are ended with that reason first, so
    that a long-forgotten session is not reported as pushed out by a new one.
    """
    cap = app_settings.MAX_PER_USER
    if cap <= 0:
        return
    live = []
    now = time.time()
    for record in selectors.live_records_of(user):
        verdict = selectors.record_verdict(record, now=now)
        if record.pk != keep.pk and verdict.expired:
            end_sessions(records=[record], reason=verdict.reason)
        else:
            live.append(record)
    others = [record for record in live if record.pk != keep.pk]
    excess = others[max(cap - 1, 0) :]
    if excess:
        end_sessions(records=excess, reason=EndReason.CONCURRENT)


def rekey(*, record_id: int, session_key: str) -> bool:
    """Follow a session whose key was cycled (sign-in, password change).

    The record's row lock orders this against ``end_sessions``: an end recorded
    first is written over the new key here, and an end recorded after finds the new
    key on the record. False if the session had ended.
    """
    digest = digest_key(session_key)
    with transaction.atomic():
        record = SessionRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None:
            return False
        if record.is_live:
            if record.key_digest != digest:
                record.key_digest = digest
                record.save(update_fields=["key_digest"])
            return True
    store.end({digest: store.Tombstone(record.end_reason, record.pk)})
    return False


# --- Activity --------------------------------------------------------------------


def _store_activity(*, record_id: int, now: float) -> None:
    # "Latest wins": the row only ever moves forward.
    SessionRecord.objects.filter(
        pk=record_id, last_active_at__lt=to_datetime(now)
    ).update(last_active_at=to_datetime(now))
    notify.send_sync([notify.session_group(record_id)], notify.changed_message())


def record_activity(
    *, request: HttpRequest, stamps: Stamps, idle: int, now: float
) -> bool:
    """Write the user's activity at ``now``, at most once per activity window.

    Returns False when the write was skipped. Raises UpdateError if the session
    ended meanwhile (the store refused the write): the request must not go on.
    """
    if not policy.activity_due(last_recorded=stamps.last_active, now=now, idle=idle):
        return False
    session = request.session
    session[LAST_ACTIVE_KEY] = max(stamps.last_active, now)
    # Saved now, not at the end of the request: other tabs re-read the store as
    # soon as they are told, and a slow view must not hold the news back.
    session.save()
    session.modified = False
    _store_activity(record_id=stamps.record_id, now=now)
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


def extend_by_key(*, session_key: str, user) -> policy.Verdict | None:
    """Count "Stay signed in" (or input in a tab) as activity, for any door.

    Returns the new verdict, the expired verdict if it came too late, or None if
    the session is gone.
    """
    session = store.session_store(session_key)
    stamps = read_stamps(session)  # loads once, and keeps it for the save below
    if stamps is None:
        return None
    now = time.time()
    verdict = selectors.verdict_for(stamps=stamps, user=user, now=now)
    if verdict.expired:
        return verdict
    session[LAST_ACTIVE_KEY] = max(stamps.last_active, now)
    try:
        session.save()
    except UpdateError:
        return None
    _store_activity(record_id=stamps.record_id, now=now)
    if verdict.state is policy.State.WARN:
        log_event(
            kind=SessionEvent.Kind.EXTEND,
            user=user,
            record=SessionRecord.objects.filter(pk=stamps.record_id).first(),
        )
    return selectors.verdict_for(
        stamps=Stamps(
            record_id=stamps.record_id,
            signed_in=stamps.signed_in,
            last_active=now,
            key_version=stamps.key_version,
        ),
        user=user,
        now=now,
    )


# --- End -------------------------------------------------------------------------


def end_sessions(
    *,
    records: Iterable[SessionRecord],
    reason: EndReason,
    by=None,
    ip=None,
) -> int:
    """End live sessions: write the end into the store, record why, tell the tabs.

    Under the records' row locks, the end goes first where every reader looks, the
    store, over the key each record names now; then the records and the audit log.
    The locks order it against a key change (``rekey``) and against another end:
    the first end wins in the store and in the record alike. If the store is down,
    ``StoreUnavailable`` is raised and nothing is recorded: nothing ended.
    Idempotent: records already ended are left as they are. Returns how many ended.
    """
    ids = [record.pk for record in records if record.ended_at is None]
    if not ids:
        return 0
    reason = EndReason(reason)
    ended_at = to_datetime(time.time())
    with transaction.atomic():
        ended = list(
            SessionRecord.objects.live()
            .select_for_update(of=("self",))
            .select_related("user")
            .filter(pk__in=ids)
        )
        if not ended:
            return 0
        store.end({r.key_digest: store.Tombstone(reason.value, r.pk) for r in ended})
        SessionRecord.objects.filter(pk__in=[r.pk for r in ended]).update(
            ended_at=ended_at, end_reason=reason.value, ended_by=by
        )
        kind = SessionEvent.Kind.FORCE if by is not None else SessionEvent.Kind.END
        SessionEvent.objects.bulk_create(
            SessionEvent(
                kind=kind,
                user_id=record.user_id,
                username=record.user.get_username(),
                record=record,
                reason=reason.value,
                by=by,
                ip=ip,
            )
            for record in ended
        )
    for record in ended:
        record.ended_at, record.end_reason, record.ended_by = ended_at, reason.value, by
        session_ended.send(sender=SessionRecord, reason=reason, record=record, by=by)
        logger.info("session %s ended: %s", record.short_digest, reason.value)
    notify.send_sync(
        [notify.session_group(record.pk) for record in ended],
        notify.ended_message(reason.value),
    )
    return len(ended)


def end_current(*, request: HttpRequest, record_id: int, reason: EndReason) -> None:
    """End the session of this request for ``reason`` and sign the user out."""
    record = SessionRecord.objects.select_related("user").filter(pk=record_id).first()
    end = None
    if record is not None:
        end_sessions(
            records=[record],
            reason=reason,
            ip=client_ip(request, app_settings.TRUSTED_PROXIES),
        )
        # Another door may have ended it first, for its own reason: that one stands.
        end = store.read(record.key_digest).end
    # logout() sends user_logged_out and flushes what is left of the session.
    auth.logout(request)
    # The response tells the browser why it ended (SessionLifetimeMiddleware).
    request.sessions_core_end = end or store.Tombstone(reason.value, record_id)


def end_lost_session(
    *, record: SessionRecord, unreadable: bool = False
) -> SessionRecord:
    """End a live record whose session vanished from the store or cannot be used."""
    verdict = selectors.record_verdict(record)
    reason = policy.classify_lost_session(
        signed_in=record.signed_in_at.timestamp(),
        last_active=record.last_active_at.timestamp(),
        now=time.time(),
        limits=selectors.limits_for(record.user),
        unreadable=unreadable,
    )
    if verdict.expired and verdict.reason is EndReason.KEY_ROTATED:
        reason = EndReason.KEY_ROTATED
    end_sessions(records=[record], reason=reason)
    record.refresh_from_db()
    return record


def end_other_sessions(
    *, user, keep_record_id: int | None, reason: EndReason, by=None
) -> int:
    records = [
        record
        for record in SessionRecord.objects.live()
        .filter(user=user)
        .select_related("user")
        if record.pk != keep_record_id
    ]
    return end_sessions(records=records, reason=reason, by=by)


def force_logout(*, user_ids: Iterable[int], by) -> int:
    """End every live session of these users, as the administrator ``by``."""
    records = list(
        SessionRecord.objects.live()
        .filter(user_id__in=list(user_ids))
        .select_related("user")
    )
    return end_sessions(records=records, reason=EndReason.ADMIN, by=by)


def force_logout_sessions(*, record_ids: Iterable[int], by) -> int:
    records = list(
        SessionRecord.objects.live()
        .filter(pk__in=list(record_ids))
        .select_related("user")
    )
    return end_sessions(records=records, reason=EndReason.ADMIN, by=by)
