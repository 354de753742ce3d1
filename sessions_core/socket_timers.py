"""A tab's timers: state frames, the warning, and the re-reads, without polling.

Mixed into the consumer, which provides ``verdict``, ``warned_for``, ``timer``,
``waking``, ``closing``, ``sent``, ``recheck()`` and ``send_json()``. Every moment
comes from the verdict (``sessions_core.policy``); a timer handle per socket, not a
sleeping task, so an idle tab costs a few hundred bytes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time

from . import policy
from .conf import app_settings
from .policy import Verdict
from .socket_reads import STORE_RETRY

logger = logging.getLogger(__name__)

# A state frame is re-sent only if a deadline moved by more than this (seconds).
STATE_TOLERANCE = 0.5


class SessionTimers:
    async def send_state(self, verdict: Verdict, *, force: bool = False) -> None:
        # Deadlines count from when the verdict was judged, not from now: a verdict
        # may have waited in the database thread's queue before it got here.
        deadlines = (verdict.idle_deadline, verdict.absolute_deadline)
        if (
            not force
            and self.sent is not None
            and all(
                abs(a - b) <= STATE_TOLERANCE
                for a, b in zip(deadlines, self.sent, strict=True)
            )
        ):
            return
        self.sent = deadlines
        idle_left, absolute_left = verdict.seconds_left(time.time())
        await self.send_json(
            {
                "type": "state",
                "idle_expires_in": round(idle_left, 1),
                "absolute_expires_in": round(absolute_left, 1),
                "warning_lead": verdict.warning_lead,
            }
        )

    def schedule(self, verdict: Verdict) -> None:
        """Wake at the warning, the deadline, the key retiring, or the backstop."""
        self.cancel_timer()
        deadline = verdict.deadline
        warned = self.warned_for == (verdict.kind, round(deadline))
        wake_at = verdict.next_wake(warned=warned)
        now = time.time()
        # The backstop, jittered: sockets opened together must not re-read together.
        wake_at = min(wake_at, now + app_settings.WS_RECHECK * random.uniform(0.75, 1))
        loop = asyncio.get_running_loop()
        # A timer handle, not a sleeping task: a few hundred bytes per idle socket.
        self.timer = loop.call_at(
            loop.time() + max(wake_at - now, 0.0),
            self.wake,
            verdict.kind,
            deadline,
            verdict.warning_lead,
        )

    def schedule_retry(self) -> None:
        """The store is down: keep the socket and the deadlines, read again soon."""
        self.cancel_timer()
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(
            STORE_RETRY * random.uniform(0.75, 1.25), self.wake, "retry", 0.0, 0.0
        )

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def wake(self, kind: str, deadline: float, lead: float) -> None:
        self.timer = None
        if not self.closing:
            # Keep a reference: the event loop holds tasks only weakly.
            self.waking = asyncio.ensure_future(self.on_wake(kind, deadline, lead))

    async def on_wake(self, kind: str, deadline: float, lead: float) -> None:
        try:
            now = time.time()
            key = (kind, round(deadline))
            if (
                policy.warning_due(deadline=deadline, lead=lead, now=now)
                and self.warned_for != key
            ):
                self.warned_for = key
                await self.send_json(
                    {
                        "type": "warning",
                        "kind": kind,
                        "expires_in": round(deadline - now, 1),
                    }
                )
                # Next wake: the deadline (or the backstop), which re-reads. A
                # re-read now would only repeat the one that set this timer.
                self.schedule(self.verdict)
                return
            await self.recheck()
        except Exception:
            logger.exception("session socket timer failed")
        finally:
            self.waking = None
