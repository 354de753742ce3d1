"""The backstop for a process's open tabs: one batched store read, now and then.

A tab learns of changes from events (its own frames, group messages, its own
deadlines); it reads the store then and at no other time. What no event reaches
(an end written by a management command in another process with the embedded
channel layer, a message lost while Redis restarted) is found here: every
SESSIONS_CORE_WS_RECHECK seconds, and at once when the channel layer comes back,
the process reads every open tab's session in one batch (``store.read_many``)
and has only the tabs whose session changed re-read and re-judge it. An idle tab
costs its share of one MGET, not a read and a thread hop of its own.
"""

from __future__ import annotations

import asyncio
import logging
import random

from . import clock, keyring, store
from .conf import app_settings
from .sessiondata import read_stamps
from .socket_reads import STORE_RETRY, in_thread_pool

logger = logging.getLogger(__name__)


def changed(entry: store.Entry, stamps, verdict) -> bool:
    """Whether a tab that last judged ``stamps`` into ``verdict`` must re-read."""
    if entry.end is not None or stamps is None:
        return True
    if read_stamps(entry.data or {}) != stamps:
        return True
    # A rotation the tab did not hear of retires its key.
    retire = keyring.retired_at(stamps.key_version)
    known = None if verdict is None else verdict.key_retired_at
    if (retire is None) != (known is None):
        return True
    return retire is not None and abs(retire - known) > 1.0


# Tabs read and judged at a time: a batch's entries are freed before the next is
# read, so a sweep of 5,000 tabs never holds 5,000 decoded sessions at once (long
# enough to survive into the garbage collector's oldest generation, whose full
# collections pause a process of 5,000 sockets for half a second).
CHUNK = 500


def _stale(tabs: list) -> list:
    """In a worker thread: read the tabs' sessions in batches; the tabs that must
    re-read (a tab whose verdict moves meanwhile is at worst re-read once more)."""
    stale = []
    for start in range(0, len(tabs), CHUNK):
        chunk = tabs[start : start + CHUNK]
        entries = store.read_many([tab.digest for tab in chunk])
        stale += [
            tab
            for tab, entry in zip(chunk, entries, strict=True)
            if changed(entry, tab.stamps, tab.verdict)
        ]
    return stale


class Sweep:
    """The open tabs of one event loop, and the one timer that re-reads them all."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.tabs: set = set()
        self.timer: clock.Timer | None = None
        self.running: set[asyncio.Task] = set()

    def add(self, tab) -> None:
        self.tabs.add(tab)
        if self.timer is None:
            self._arm(app_settings.WS_RECHECK * random.uniform(0.9, 1.1))

    def discard(self, tab) -> None:
        self.tabs.discard(tab)

    def soon(self) -> None:
        """Read every tab's session now (the channel layer is back)."""
        self._arm(0.0)

    def _arm(self, delay: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = clock.call_at(clock.now() + delay, self.run)

    async def run(self) -> None:
        self.timer = None
        tabs = [tab for tab in self.tabs if not tab.closing and tab.stamps is not None]
        delay = app_settings.WS_RECHECK * random.uniform(0.9, 1.1)
        try:
            if tabs:
                for tab in await in_thread_pool(_stale, tabs):
                    self._spawn(tab.recheck(send_state=True))
        except store.StoreUnavailable:
            delay = STORE_RETRY
        except Exception:
            logger.exception("the session sweep failed")
        finally:
            if self.tabs and self.timer is None:
                self._arm(delay)

    def _spawn(self, job) -> None:
        task = self.loop.create_task(job)
        self.running.add(task)
        task.add_done_callback(self.running.discard)


_sweep: Sweep | None = None


def sweep() -> Sweep:
    """This process's sweep on the running event loop."""
    global _sweep
    loop = asyncio.get_running_loop()
    if _sweep is None or _sweep.loop is not loop or loop.is_closed():
        _sweep = Sweep(loop)
    return _sweep


def current() -> Sweep | None:
    return _sweep
