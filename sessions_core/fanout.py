"""One channel-layer channel per server process, shared by its open tabs.

Channels gives each consumer a channel of its own: with channels-redis that is a
receive loop, a queue and three waiting tasks for every open tab (about 7 KiB
each, measured with tracemalloc inside daphne). Here each server process has one
channel. It joins a session's group while any tab of that session is open in the
process, and hands each message to the tabs of the group it was sent to. The
groups are the same as ever (``notify.session_group``): a message to a session
reaches every tab of it, on every process. The channel is also in
``notify.BROADCAST_GROUP``, so a key rotation is one message per process, not one
per tab (with every tab in one group, channels-redis' capacity silently dropped
186 of 5,000 notifications).
"""

from __future__ import annotations

import asyncio
import logging

from channels.layers import get_channel_layer

from . import notify, socket_sweep

logger = logging.getLogger(__name__)

# Join again well within channels-redis' group expiry (one day by default).
REJOIN_EVERY = 3600.0
# While the layer is down: joins are retried this often, and the channel's receive
# after a pause doubling from the first value to the second. Short, so that a
# rotation right after Redis comes back reaches every tab within a second.
RETRY_AFTER = 0.25
RECONNECT_AFTER = (0.1, 0.5)
# Group joins sent at once: a reconnect storm must not open a connection per tab.
JOINS_AT_ONCE = 50


class Hub:
    """A process's channel, the groups it is in, and the tabs it serves.

    Membership is reconciled in rounds: subscribing and unsubscribing change the
    wanted groups at once, and one task at a time brings the layer in line, so a
    group's joins and leaves can never overtake each other.
    """

    def __init__(self, layer, loop: asyncio.AbstractEventLoop):
        self.layer = layer
        self.loop = loop
        # group -> its tabs here: a list, not a set (a session has a tab or a few,
        # and an empty set alone is 216 bytes per open session).
        self.tabs: dict[str, list] = {}
        self.joined: set[str] = set()
        self.dirty: set[str] = {notify.BROADCAST_GROUP}
        self.wake = asyncio.Event()
        self.wake.set()
        self.round_done = loop.create_future()
        self.handling: set[asyncio.Task] = set()
        self.failing = False  # the last round of joins failed
        self.lost = False  # the channel failed: messages may have been lost
        self.channel = loop.create_task(layer.new_channel("sessions_core.fanout."))
        self.tasks = [
            loop.create_task(self._reconcile()),
            loop.create_task(self._listen()),
        ]
        loop.call_later(REJOIN_EVERY, self._rejoin)

    # --- tabs -----------------------------------------------------------------------

    async def subscribe(self, consumer, group: str) -> None:
        """Hand ``group``'s messages to ``consumer`` once the group is joined."""
        tabs = self.tabs.setdefault(group, [])
        first = not tabs
        if consumer not in tabs:
            tabs.append(consumer)
        # The first local tab of a session always waits for a round: its group may
        # be joined now but on its way out, left by the tab before (a page load).
        if first or group not in self.joined:
            await asyncio.shield(self._mark(group))

    def unsubscribe(self, consumer, group: str) -> None:
        tabs = self.tabs.get(group)
        if tabs is None:
            return
        if consumer in tabs:
            tabs.remove(consumer)
        if not tabs:
            del self.tabs[group]
            self._mark(group)

    def wanted(self, group: str) -> bool:
        return group == notify.BROADCAST_GROUP or group in self.tabs

    # --- membership -----------------------------------------------------------------

    def _mark(self, group: str) -> asyncio.Future:
        """Ask for ``group`` to be joined or left; the future ends with that round."""
        self.dirty.add(group)
        self.wake.set()
        return self.round_done

    def _rejoin(self, renew: bool = True) -> None:
        """Join every wanted group again, renewing its expiry in the layer."""
        self.joined.clear()
        for group in [notify.BROADCAST_GROUP, *self.tabs]:
            self._mark(group)
        if renew:
            self.loop.call_later(REJOIN_EVERY, self._rejoin)

    async def _reconcile(self) -> None:
        channel = await self.channel
        while True:
            await self.wake.wait()
            self.wake.clear()
            done, self.round_done = self.round_done, self.loop.create_future()
            dirty, self.dirty = self.dirty, set()
            try:
                failed = await self._apply(channel, dirty)
            finally:
                done.set_result(None)
            if failed and not self.failing:  # once per outage, not every retry
                logger.warning("could not update %d channel group(s)", len(failed))
            elif (self.failing or self.lost) and not failed:
                # The layer answers again, whether or not a join failed meanwhile
                # (Redis may be back before the first rejoin).
                logger.warning("channel groups joined again")
                self.lost = False
                self._sweep_soon()
            self.failing = bool(failed)
            if failed:
                await asyncio.sleep(RETRY_AFTER)
                for group in failed:
                    self._mark(group)

    async def _apply(self, channel: str, groups: set[str]) -> set[str]:
        """Join or leave each of ``groups`` as wanted; return the ones that failed."""
        gate = asyncio.Semaphore(JOINS_AT_ONCE)
        failed: set[str] = set()

        async def one(group: str) -> None:
            async with gate:
                join = self.wanted(group)
                if join == (group in self.joined):
                    return
                try:
                    if join:
                        await self.layer.group_add(group, channel)
                        self.joined.add(group)
                    else:
                        await self.layer.group_discard(group, channel)
                        self.joined.discard(group)
                except Exception:
                    failed.add(group)

        await asyncio.gather(*(one(group) for group in groups))
        return failed

    # --- messages -------------------------------------------------------------------

    async def _listen(self) -> None:
        channel = await self.channel
        failures = 0
        while True:
            try:
                message = await self.layer.receive(channel)
            except Exception as exc:
                # The layer lost its connection. If Redis restarted empty, every
                # group membership is gone: join them all again as soon as it
                # answers, not at the hourly renewal.
                if not failures:
                    logger.warning("the session channel failed (%s); rejoining", exc)
                failures += 1
                self.lost = True
                self._rejoin(renew=False)
                first, most = RECONNECT_AFTER
                await asyncio.sleep(min(first * 2 ** min(failures - 1, 8), most))
                continue
            failures = 0
            self._hand_out(message)

    @staticmethod
    def _sweep_soon() -> None:
        """Messages sent while the layer was away are lost: every tab of this
        process re-reads what changed, now, not at the backstop."""
        if (sweep := socket_sweep.current()) is not None:
            sweep.soon()

    def _hand_out(self, message: dict) -> None:
        if message.get("type") == notify.ROTATED:
            tabs = {tab for group_tabs in self.tabs.values() for tab in group_tabs}
        else:
            tabs = set(self.tabs.get(message.get("group"), ()))
        for tab in tabs:
            # Each tab handles it in its own task: one slow re-read must not hold
            # up the other tabs. The loop keeps tasks only weakly; keep them here.
            task = self.loop.create_task(tab.handle_group_message(message))
            self.handling.add(task)
            task.add_done_callback(self.handling.discard)


_hub: Hub | None = None


def hub() -> Hub | None:
    """This process's hub on the running event loop; None without a channel layer."""
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop or _hub.loop.is_closed():
        layer = get_channel_layer()
        if layer is None:
            return None
        _hub = Hub(layer, loop)
    return _hub


async def subscribe(consumer, group: str) -> None:
    current = hub()
    if current is not None:
        await current.subscribe(consumer, group)


def unsubscribe(consumer, group: str) -> None:
    if _hub is not None:
        _hub.unsubscribe(consumer, group)
