"""The live layer's clock: the moment deadlines are judged at, and timers at moments.

A tab's warnings and re-reads are scheduled here, never on the event loop or with
``time.time()`` directly. Moments are wall-clock seconds since the epoch, as the
policy's verdicts give them. By default timers run on the running event loop; a
test installs a clock it moves by hand (``sessions_core.testing.ManualClock``), so
a warning due in two minutes is tested in milliseconds through the same code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

Job = Callable[..., Awaitable[None]]


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float: ...

    def call_at(self, when: float, job: Job, *args) -> Timer:
        """Run the coroutine function ``job(*args)`` at the moment ``when``."""


class LoopClock:
    """Wall time, and timers on the running event loop.

    A timer is a loop handle (a few hundred bytes), not a sleeping task, so an idle
    socket costs little; the task a timer starts is held here until it ends (the
    loop keeps tasks only weakly).
    """

    def __init__(self) -> None:
        self._running: set[asyncio.Task] = set()

    def now(self) -> float:
        return time.time()

    def call_at(self, when: float, job: Job, *args) -> Timer:
        loop = asyncio.get_running_loop()
        delay = max(when - time.time(), 0.0)
        return loop.call_at(loop.time() + delay, self._start, job, args)

    def _start(self, job: Job, args: tuple) -> None:
        task = asyncio.ensure_future(job(*args))
        self._running.add(task)
        task.add_done_callback(self._running.discard)


_clock: Clock = LoopClock()


def now() -> float:
    return _clock.now()


def call_at(when: float, job: Job, *args) -> Timer:
    return _clock.call_at(when, job, *args)


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Install ``clock`` for the live layer until the block ends (tests)."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous
