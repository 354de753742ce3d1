"""Every end of a session, from every door, goes through ``end_sessions``."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from django.contrib import auth
from django.db import transaction
from django.http import HttpRequest

from sessions_core import keyring, notify, policy, selectors, store
from sessions_core.conf import app_settings
from sessions_core.models import SessionEvent, SessionRecord
from sessions_core.reasons import EndReason
from sessions_core.request_info import client_ip
from sessions_core.signals import session_ended

from .audit import to_datetime

logger = logging.getLogger(__name__)


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
    now = time.time()
    key_retired_at = keyring.retired_at(record.key_version)
    if not policy.rotation_took(key_retired_at=key_retired_at, now=now):
        # This process's copy of the key versions may be older than the rotation
        # whose purge took the session (up to KEY_VERSION_TTL; or older than the
        # rotation that cut a grace short): ask the database before calling it
        # lost. One small query beside the end's own writes.
        keyring.invalidate()
        key_retired_at = keyring.retired_at(record.key_version)
    reason = policy.classify_lost_session(
        signed_in=record.signed_in_at.timestamp(),
        last_active=record.last_active_at.timestamp(),
        now=now,
        limits=selectors.limits_for(record.user),
        key_retired_at=key_retired_at,
        unreadable=unreadable,
    )
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
