"""A clock for tests of the live layer: time moves when the test says so.

Pair it with something that moves ``time.time()`` for every thread (the session
records and the policy read the wall clock), such as time-machine::

    with time_machine.travel(0, tick=False) as traveller:
        with clock.use(ManualClock(traveller)) as manual:
            manual.advance(30)         # HTTP: the next request is 30 s later
            await manual.elapse(118)   # websockets: the warning is sent on the way

``elapse`` fires due timers in the order of their moments, moving the wall clock
to each one first and running its work to the end before the next, so a test sees
exactly what a tab would see at each moment and nothing waits in real time.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field
from typing import Protocol

from .clock import Job


class Traveller(Protocol):
    def move_to(self, destination: float) -> None: ...

    def shift(self, delta: float) -> None: ...


@dataclass(order=True)
class ManualTimer:
    when: float
    order: int
    job: Job = field(compare=False)
    args: tuple = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    def __init__(self, traveller: Traveller) -> None:
        self._traveller = traveller
        self._timers: list[ManualTimer] = []
        self._order = itertools.count()

    def now(self) -> float:
        return time.time()

    def call_at(self, when: float, job: Job, *args) -> ManualTimer:
        timer = ManualTimer(when, next(self._order), job, args)
        heapq.heappush(self._timers, timer)
        return timer

    def pending(self) -> list[float]:
        """The moments of the timers still to fire, earliest first."""
        return sorted(t.when for t in self._timers if not t.cancelled)

    def advance(self, seconds: float) -> None:
        """Move time ``seconds`` forward; timers due by then run at the next
        ``elapse``."""
        self._traveller.shift(seconds)

    async def elapse(self, seconds: float = 0.0) -> None:
        """Move time ``seconds`` forward, running every timer due on the way.

        A timer already due (set for a moment that has passed) runs first.
        """
        target = time.time() + seconds
        while self._timers and self._timers[0].when <= target:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            if timer.when > time.time():
                self._traveller.move_to(timer.when)
            await timer.job(*timer.args)
        if target > time.time():
            self._traveller.move_to(target)
