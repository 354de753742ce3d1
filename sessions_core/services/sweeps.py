"""The sweep: end the records of sessions that ended where nobody was looking.

Limits that passed with no tab open, sessions gone from the store or left
unreadable by a changed SECRET_KEY (ended as ``key_rotated`` instead of silently
turning anonymous), and ends written to the store whose record a crash left live.
Celery beat runs it (tasks.sweep_expired_sessions); without Celery,
``manage.py sweep_sessions``.
"""

from __future__ import annotations

import time

from sessions_core import policy, selectors, store
from sessions_core.models import SessionRecord
from sessions_core.reasons import EndReason

from .ends import end_lost_session, end_sessions


def sweep_batch(*, after_id: int, batch_size: int) -> tuple[int, int | None]:
    """Sweep the live records after ``after_id``, at most ``batch_size`` of them.

    Returns how many ended, and the id to go on after (None when done).
    """
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
            continue  # maybe in the middle of a request: the next sweep will see
        entry = store.read(record.key_digest)
        if entry.end is not None:
            ended += end_sessions(records=[record], reason=entry.end.reason)
        elif not selectors.session_still_valid(entry.data or {}, record.user):
            end_lost_session(record=record, unreadable=entry.data is not None)
            ended += 1
    for reason, group in by_reason.items():
        ended += end_sessions(records=group, reason=reason)
    return ended, (records[-1].pk if len(records) == batch_size else None)


def sweep_all(*, batch_size: int) -> int:
    """Sweep every live record, batch after batch, in this process."""
    ended, after_id = 0, 0
    while after_id is not None:
        count, after_id = sweep_batch(after_id=after_id, batch_size=batch_size)
        ended += count
    return ended
