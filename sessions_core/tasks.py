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

from . import keyring, rotation, services, signals
from .conf import app_settings
from .models import KeyVersion, SessionEvent
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


# A purge task runs batches for up to this long, then queues the rest: one broker
# round trip per batch was a sixth of a purge's time, and a task stays short
# (each batch commits on its own, so a worker that dies loses one batch's work).
PURGE_TASK_SECONDS = 1.0


@shared_task(name="sessions_core.purge_retired_sessions", bind=True, **RETRY)
def purge_retired_sessions(
    self, batch_size: int | None = None, after_id: int | None = 0
) -> int:
    """Purge the sessions of retired key versions in two passes of batches, for up
    to PURGE_TASK_SECONDS, then queue the rest: first their keys out of the store
    (``after_id``: the last record done; None once that pass is over), then their
    records ended (each batch deletes its keys again, in case a pass was cut
    short). Returns how many records it ended."""
    batch_size = batch_size or app_settings.PURGE_BATCH
    versions = _retired_versions()
    started, total = time.monotonic(), 0

    def out_of_time(after: int | None) -> bool:
        if time.monotonic() - started < PURGE_TASK_SECONDS:
            return False
        self.apply_async(kwargs={"batch_size": batch_size, "after_id": after})
        return True

    while after_id is not None:
        deleted, after_id = rotation.delete_retired_keys(
            versions=versions, after_id=after_id, limit=batch_size
        )
        signals.batch_done.send(
            sender=signals.SENDER, task="purge_keys", ended=0, selected=deleted
        )
        if after_id is not None and out_of_time(after_id):
            return total
    while True:
        ended, selected = rotation.purge_retired(versions=versions, limit=batch_size)
        total += ended
        logger.info("purged %d session(s) of retired key versions", ended)
        signals.batch_done.send(
            sender=signals.SENDER, task="purge", ended=ended, selected=selected
        )
        if selected < batch_size:
            return total
        if selected and not ended:
            # Another run (a redelivered or duplicate task) ended this batch first:
            # that run carries on, and two chains in lockstep would double the work.
            return total
        if out_of_time(None):
            return total


@shared_task(name="sessions_core.sweep_expired_sessions", bind=True, **RETRY)
def sweep_expired_sessions(
    self, after_id: int = 0, batch_size: int | None = None
) -> int:
    """End live records whose limits passed, or whose session is gone or unreadable
    (services.sweeps); one batch, re-queued while there are more."""
    batch_size = batch_size or app_settings.PURGE_BATCH
    ended, last_id = services.sweep_batch(after_id=after_id, batch_size=batch_size)
    signals.batch_done.send(
        sender=signals.SENDER,
        task="sweep",
        ended=ended,
        selected=batch_size if last_id is not None else ended,
    )
    if last_id is not None:
        self.apply_async(kwargs={"after_id": last_id, "batch_size": batch_size})
    return ended


@shared_task(name="sessions_core.trim_audit_log", **RETRY)
def trim_audit_log() -> int:
    """Delete audit events older than SESSIONS_CORE_AUDIT_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=app_settings.AUDIT_RETENTION_DAYS)
    deleted, _ = SessionEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
