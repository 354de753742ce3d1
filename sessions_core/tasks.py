"""Celery tasks: bounded, idempotent batches that re-queue themselves.

Tasks take ids and numbers, never model objects, and re-fetch what they need. A
second run, or a run after a worker died halfway, finds only what is left to do.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from . import keyring, policy, rotation, selectors, services, store
from .conf import app_settings
from .models import KeyVersion, SessionEvent, SessionRecord
from .reasons import EndReason
from .store import StoreUnavailable

logger = logging.getLogger(__name__)

RETRY = {
    "acks_late": True,
    "autoretry_for": (StoreUnavailable, DatabaseError, ConnectionError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 10,
}


def _retired_versions() -> list[int]:
    keyring.invalidate()
    return list(
        KeyVersion.objects.filter(retired_at__lte=timezone.now()).values_list(
            "version", flat=True
        )
    )


@shared_task(name="sessions_core.purge_retired_sessions", bind=True, **RETRY)
def purge_retired_sessions(self, batch_size: int | None = None) -> int:
    """Delete one batch of sessions of retired key versions; re-queue if more."""
    batch_size = batch_size or app_settings.PURGE_BATCH
    ended, selected = rotation.purge_retired(
        versions=_retired_versions(), limit=batch_size
    )
    logger.info("purged %d session(s) of retired key versions", ended)
    if selected == batch_size:
        self.apply_async(kwargs={"batch_size": batch_size})
    return ended


@shared_task(name="sessions_core.sweep_expired_sessions", bind=True, **RETRY)
def sweep_expired_sessions(
    self, after_id: int = 0, batch_size: int | None = None
) -> int:
    """End live records whose limits passed, or whose session is gone or unreadable.

    Sessions that a changed SECRET_KEY left undecodable are found here too, and end
    as ``key_rotated``, instead of silently turning into anonymous sessions.
    """
    batch_size = batch_size or app_settings.PURGE_BATCH
    if after_id == 0:
        # Stored sessions and tombstones past their time (a no-op in Redis, which
        # expires them itself).
        store.engine().clear_expired()
    records = list(
        SessionRecord.objects.live()
        .filter(pk__gt=after_id)
        .select_related("user")
        .order_by("pk")[:batch_size]
    )
    now = time.time()
    ended = 0
    by_reason: dict[EndReason, list[SessionRecord]] = {}
    for record in records:
        verdict = selectors.record_verdict(record, now=now)
        if verdict.expired:
            by_reason.setdefault(verdict.reason, []).append(record)
            continue
        if not policy.settled(last_active=record.last_active_at.timestamp(), now=now):
            continue
        entry = store.read(record.key_digest)
        if entry.end is not None:
            # Ended in the store, but the record was not marked (a crash between).
            ended += services.end_sessions(records=[record], reason=entry.end.reason)
        elif not selectors.session_still_valid(entry.data or {}, record.user):
            services.end_lost_session(record=record, unreadable=entry.data is not None)
            ended += 1
    for reason, group in by_reason.items():
        ended += services.end_sessions(records=group, reason=reason)
    if len(records) == batch_size:
        self.apply_async(kwargs={"after_id": records[-1].pk, "batch_size": batch_size})
    return ended


@shared_task(name="sessions_core.trim_audit_log", **RETRY)
def trim_audit_log() -> int:
    """Delete audit events older than SESSIONS_CORE_AUDIT_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=app_settings.AUDIT_RETENTION_DAYS)
    deleted, _ = SessionEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
