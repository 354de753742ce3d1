"""A session's start: its record, its stamps, the per-user cap; and key changes."""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.http import HttpRequest
from django.utils import translation

from sessions_core import keyring, selectors, store
from sessions_core.conf import app_settings
from sessions_core.models import SessionEvent, SessionRecord, digest_key
from sessions_core.reasons import EndReason
from sessions_core.request_info import client_ip, describe_browser
from sessions_core.sessiondata import CARRIED_SIGN_IN_ATTR, write_stamps
from sessions_core.signals import SENDER, session_started

from .audit import log_event, to_datetime
from .ends import end_sessions

logger = logging.getLogger(__name__)


def start_session(*, request: HttpRequest, user) -> SessionRecord:
    """Record a new sign-in, stamp the session and enforce the per-user cap."""
    now = time.time()
    signed_in = min(getattr(request, CARRIED_SIGN_IN_ATTR, None) or now, now)
    session = request.session
    if session.session_key is None:
        session.save()
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:400]
    ip = client_ip(request, app_settings.TRUSTED_PROXIES)
    with translation.override("en"):  # stored words: pages translate them anew
        device = describe_browser(user_agent)
    record = SessionRecord.objects.create(
        user=user,
        key_digest=digest_key(session.session_key),
        signed_in_at=to_datetime(signed_in),
        last_active_at=to_datetime(now),
        ip=ip,
        user_agent=user_agent,
        device=device,
        key_version=keyring.current_version(),
    )
    write_stamps(
        session,
        record_id=record.pk,
        signed_in=signed_in,
        key_version=record.key_version,
        last_active=now,
    )
    # Saved now, with the auth hash login() just set: a sweep or a tab reading the
    # store before the response is sent must see a whole session, not half of one.
    session.save()
    log_event(kind=SessionEvent.Kind.START, user=user, record=record, ip=ip)
    logger.info("session %s started for user %s", record.short_digest, user.pk)
    session_started.send(sender=SENDER, record=record)
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
