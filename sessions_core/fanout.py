"""One broadcast subscription per server process, handed out to its open tabs.

A key rotation concerns every open tab. Put each tab's channel in one group and
the channel layer must queue one message per tab (5,000 messages for 5,000 tabs,
each counted against the layer's capacity); here each process subscribes once
and passes the message to its own sockets in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref

from channels.layers import get_channel_layer

from . import notify

logger = logging.getLogger(__name__)

# Re-join the group well within channels-redis' group expiry (one day by default).
REJOIN_EVERY = 3600.0

_tabs: weakref.WeakSet = weakref.WeakSet()
_listener: asyncio.Task | None = None


def register(consumer) -> None:
    """Hand broadcasts to ``consumer`` (its ``keys_rotated``) until it leaves."""
    global _listener
    _tabs.add(consumer)
    loop = asyncio.get_running_loop()
    if _listener is None or _listener.done() or _listener.get_loop() is not loop:
        _listener = loop.create_task(_listen())


def unregister(consumer) -> None:
    _tabs.discard(consumer)


async def _listen() -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    channel = await layer.new_channel("sessions_core.fanout.")
    while True:
        await layer.group_add(notify.BROADCAST_GROUP, channel)
        try:
            message = await asyncio.wait_for(layer.receive(channel), REJOIN_EVERY)
        except TimeoutError:
            continue
        if message.get("type") != notify.ROTATED:
            continue
        for tab in list(_tabs):
            with contextlib.suppress(Exception):
                await tab.keys_rotated(message)
