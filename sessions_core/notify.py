"""Tell open tabs about their sessions through channel-layer groups."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

CHANGED = "session.changed"
ENDED = "session.ended"
ROTATED = "keys.rotated"
# One channel per server process is in this group (sessions_core.fanout): one send
# reaches every open tab after a key rotation.
BROADCAST_GROUP = "sessions_core.all"


def session_group(record_id: int) -> str:
    return f"sessions_core.session.{record_id}"


def changed_message(last_active: float | None = None) -> dict:
    """Deadlines moved: with ``last_active`` (the activity written), each tab judges
    its session again from that alone; without, it re-reads the store."""
    if last_active is None:
        return {"type": CHANGED}
    return {"type": CHANGED, "last_active": last_active}


def ended_message(reason: str) -> dict:
    """The session ended; ``sent_at`` lets the tab tell how long the push took."""
    return {"type": ENDED, "reason": reason, "sent_at": time.time()}


def rotated_message(*, at: float, current: int, retire_at: float) -> dict:
    """Version ``current`` became current at ``at``; older ones retire at ``retire_at``.

    The message carries all a tab needs to decide without touching the database.
    """
    return {"type": ROTATED, "at": at, "current": current, "retire_at": retire_at}


async def send_to_groups(groups: Iterable[str], message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        # The group goes along: one channel per process receives for all its tabs
        # (sessions_core.fanout) and hands the message to that group's tabs.
        await layer.group_send(group, {**message, "group": group})


# Set while sync code runs for a websocket in a worker thread (see collect()).
_outbox: ContextVar[list | None] = ContextVar("sessions_core_outbox", default=None)


@contextmanager
def collect() -> Iterator[list[tuple[list[str], dict]]]:
    """Keep the messages sync code sends here, for async code to send after.

    A worker thread of a websocket must not wait on the event loop to send: when
    daphne stops, the loop stops first and the thread would wait forever, holding
    the process open (seen in bench/websockets.py).
    """
    outbox: list[tuple[list[str], dict]] = []
    token = _outbox.set(outbox)
    try:
        yield outbox
    finally:
        _outbox.reset(token)


async def send_collected(outbox: list[tuple[list[str], dict]]) -> None:
    for groups, message in outbox:
        try:
            await send_to_groups(groups, message)
        except Exception as exc:  # as send_sync: the end is recorded all the same
            logger.warning("could not notify %d session group(s): %s", len(groups), exc)


def send_sync(groups: Iterable[str], message: dict) -> None:
    """Send from sync code; a failing layer is logged, never raised to the user."""
    groups = list(groups)
    if not groups:
        return
    outbox = _outbox.get()
    if outbox is not None:
        outbox.append((groups, message))
        return
    try:
        async_to_sync(send_to_groups)(groups, message)
    except Exception as exc:  # the end is recorded; tabs learn it at their backstop
        logger.warning("could not notify %d session group(s): %s", len(groups), exc)
