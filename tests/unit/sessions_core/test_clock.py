"""The live layer's clock: loop timers at wall-clock moments, and the test clock."""

from __future__ import annotations

import asyncio
import time

import time_machine

from sessions_core import clock
from sessions_core.testing import ManualClock


def test_loop_clock_runs_a_job_at_its_moment_and_not_once_cancelled():
    ran: list[tuple[str, float]] = []

    async def job(name):
        ran.append((name, time.time()))

    async def scenario():
        loop_clock = clock.LoopClock()
        start = time.time()
        loop_clock.call_at(start + 0.05, job, "kept")
        loop_clock.call_at(start + 0.01, job, "cancelled").cancel()
        loop_clock.call_at(start - 10, job, "late")  # a moment past: at once
        await asyncio.sleep(0.1)
        return start

    start = asyncio.run(scenario())
    assert [name for name, _ in ran] == ["late", "kept"]
    assert ran[1][1] - start >= 0.05


def test_manual_clock_fires_in_order_each_at_its_own_moment():
    seen: list[tuple[str, float]] = []

    async def job(name):
        seen.append((name, time.time()))

    async def scenario(manual):
        start = time.time()
        manual.call_at(start + 3, job, "third")
        manual.call_at(start + 1, job, "first")
        manual.call_at(start + 2, job, "cancelled").cancel()
        manual.call_at(start + 9, job, "later")
        await manual.elapse(3)
        assert manual.pending() == [start + 9]
        return start

    with time_machine.travel(1000.0, tick=False) as traveller:
        manual = ManualClock(traveller)
        start = asyncio.run(scenario(manual))
        assert time.time() == start + 3
    assert seen == [("first", start + 1), ("third", start + 3)]


def test_use_installs_a_clock_and_puts_the_old_one_back():
    before = clock._clock
    with (
        time_machine.travel(1000.0, tick=False) as traveller,
        clock.use(ManualClock(traveller)) as manual,
    ):
        assert clock._clock is manual
        manual.advance(5)
        assert clock.now() == 1005.0
    assert clock._clock is before
