"""A tab's timers: state frames, the warning, and the re-reads, without polling.

Mixed into the consumer, which provides ``verdict``, ``warned_for``, ``timer``,
``closing``, ``sent``, ``recheck()`` and ``send_json()``. Every moment comes from
the verdict (``sessions_core.policy``); timers and the time come from
``sessions_core.clock``: one timer handle per socket, not a sleeping task, so an
idle tab costs a few hundred bytes.
"""

from __future__ import annotations

import logging
import random

from . import clock, policy, signals
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
        idle_left, absolute_left = verdict.seconds_left(clock.now())
        await self.send_json(
            {
                "type": "state",
                "idle_expires_in": round(idle_left, 1),
                "absolute_expires_in": round(absolute_left, 1),
                "warning_lead": verdict.warning_lead,
                "activity_every": policy.activity_every(verdict.limits),
            }
        )

    def schedule(self, verdict: Verdict) -> None:
        """Wake at the warning, the deadline, or the key retiring; nothing else.

        No periodic re-read of its own: the process's backstop reads every tab at
        once (sessions_core.socket_sweep). Nothing, once the tab is closing.
        """
        self.cancel_timer()
        if self.closing:
            return
        deadline = verdict.deadline
        warned = self.warned_for == (verdict.kind, round(deadline))
        wake_at = verdict.next_wake(warned=warned)
        self.timer = clock.call_at(
            wake_at, self.on_wake, verdict.kind, deadline, verdict.warning_lead
        )

    def schedule_retry(self) -> None:
        """The store is down: keep the socket and the deadlines, read again soon."""
        self.cancel_timer()
        if self.closing:
            return
        signals.store_unavailable.send(sender=signals.SENDER, door="socket")
        retry_at = clock.now() + STORE_RETRY * random.uniform(0.75, 1.25)
        self.timer = clock.call_at(retry_at, self.on_wake, "retry", 0.0, 0.0)

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    async def on_wake(self, kind: str, deadline: float, lead: float) -> None:
        # self.timer is left as it is: it may already be a newer timer, set between
        # this one firing and this task starting (cancelling a fired one is harmless).
        if self.closing:
            return
        try:
            now = clock.now()
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
                signals.warning_sent.send(
                    sender=signals.SENDER,
                    kind=kind,
                    lateness=max(clock.now() - (deadline - lead), 0.0),
                )
                # Next wake: the deadline, which re-reads. A
                # re-read now would only repeat the one that set this timer.
                self.schedule(self.verdict)
                return
            await self.recheck()
        except Exception:
            logger.exception("session socket timer failed")
