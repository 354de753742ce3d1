"""What a websocket reads about its session, in the thread pool, and decides.

One read of the store gives the session's data or the tombstone of its end, and
the user it signs in is loaded with it (a socket keeps no user). A session found
expired, gone, or signed with a retired secret key is ended here, so that every
door records the same end.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.db import InterfaceError, OperationalError

from . import notify, selectors, services, store
from .models import digest_key
from .policy import Verdict
from .reasons import EndReason
from .sessiondata import Stamps, read_stamps
from .ws_auth import user_for_session


async def in_thread_pool(function, *args, **kwargs):
    """Run ``function`` in the thread pool, then send the messages it sent.

    Not Channels' single database thread: thousands of sockets re-read their
    sessions, and queued one after another there a "Stay signed in" waited seconds
    behind them (bench/websockets.py); the reads are independent and safe in
    parallel. The messages go out from here, not from the thread (notify.collect).
    """

    def collecting():
        with notify.collect() as outbox:
            return function(*args, **kwargs), outbox

    result, outbox = await database_sync_to_async(collecting, thread_sensitive=False)()
    await notify.send_collected(outbox)
    return result


# What read_session says when it is no end: the store is down (read again soon),
# or the session moved to a new key (the page reconnects with its new cookie).
STORE_DOWN = "store_down"
MOVED = "moved"
STORE_RETRY = 2.0
# A read needs the store and, for the user, the database: either being down is an
# outage that ends nothing (the socket reads again), never an end or a crash.
# Only the database errors of a lost connection: a defect (a ProgrammingError, a
# DataError) is not an outage, and closes the socket with its traceback logged.
OUTAGES = (store.StoreUnavailable, OperationalError, InterfaceError)


def read_session(
    session_key: str, record_id: int | None = None
) -> tuple[Stamps | None, Verdict | str]:
    """Re-read the store and judge: (stamps, verdict), or (stamps, reason) if ended.

    One read gives the data or the end's tombstone. A session found expired, gone,
    or signed with a retired secret key is ended here, so that every door records
    the same end. STORE_DOWN (the store or the database is down) and MOVED are
    not ends.
    """
    try:
        return _judge_stored(session_key, record_id)
    except OUTAGES:
        return None, STORE_DOWN


def extend(session_key: str, **kwargs) -> Verdict | None:
    """services.extend_by_key for a socket, which keeps no user: the session's
    user, loaded with it. None if the session no longer signs anyone in."""
    user = user_for_session(store.load(session_key))
    if user is None:
        return None
    return services.extend_by_key(session_key=session_key, user=user, **kwargs)


def _judge_stored(session_key: str, record_id: int | None):
    digest = digest_key(session_key)
    entry = store.read(digest)
    if entry.end is not None:
        return None, entry.end.reason or EndReason.LOGOUT.value
    data = entry.data or {}
    stamps = read_stamps(data)
    # The user the session signs in, loaded with it: None if that user is gone
    # or the session's auth hash no longer matches (a changed password or key).
    user = user_for_session(data) if stamps is not None else None
    if stamps is None or user is None:
        record = selectors.record_for_key(session_key) or selectors.record_by_id(
            record_id
        )
        if record is None:
            return None, EndReason.LOGOUT.value
        if record.is_live and record.key_digest != digest:
            return None, MOVED  # a key change: the session goes on under its new key
        if record.is_live:
            record = services.end_lost_session(
                record=record, unreadable=entry.data is not None
            )
        return None, record.end_reason
    verdict = selectors.verdict_for(stamps=stamps, user=user)
    if verdict.expired:
        record = selectors.record_for_key(session_key)
        if record is not None:
            services.end_sessions(records=[record], reason=verdict.reason)
        return stamps, verdict.reason.value
    return stamps, verdict
