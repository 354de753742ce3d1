"""The websocket each open tab keeps: state, warnings, and the end with its reason.

It keeps only the session key (sessions_core.ws_auth) and reads the store only
when something happens: on connect, on each inbound frame, when told the session
changed, and at its own deadlines. What no event reaches is found by the
process's backstop (sessions_core.socket_sweep). Re-reads are numbered: only the
newest verdict counts, an end counts whichever read saw it, and once a tab is told
its end (``closing``) no later read answers it. A store that is down ends nothing.
The tab joins its session's group before its first read, so no end slips between.
"""

from __future__ import annotations

import logging

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import (
    clock,
    fanout,
    notify,
    policy,
    signals,
    socket_reads,
    socket_sweep,
    ws_auth,
)
from .models import digest_key
from .policy import Verdict
from .reasons import EndReason
from .request_info import relative_seconds, scope_language
from .sessiondata import Stamps
from .socket_ends import CLOSE_RECONNECT, CLOSE_TRY_AGAIN_LATER, SessionEnd
from .socket_loop import DirectReceive
from .socket_timers import SessionTimers

logger = logging.getLogger(__name__)


class SessionConsumer(
    DirectReceive, SessionEnd, SessionTimers, AsyncJsonWebsocketConsumer
):
    # No channel of its own: group messages come through the process's one channel
    # (sessions_core.fanout), which hands them to handle_group_message.
    channel_layer_alias = None

    async def connect(self):
        if self.scope.get(ws_auth.STORE_DOWN):
            # An outage, not an end: the page keeps trying with backoff.
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        # The user is not kept: each read loads it with the session (an idle
        # socket holds only the key; sessions_core.socket_reads).
        user = self.scope.pop("user", None)
        if user is None or not user.is_authenticated:
            await self.close()  # before accept(): the handshake is refused (403)
            return
        # Only the key is kept (sessions_core.ws_auth); the store is re-read each time.
        self.session_key = self.scope["session_key"]
        record_id = self.scope.pop(ws_auth.RECORD_ID, None)
        self.digest = digest_key(self.session_key)
        # Re-reads are numbered: one that started before another and finished
        # after it must not overwrite the newer verdict.
        self.reads_started = 0
        self.read_applied = 0
        self.stamps: Stamps | None = None
        self.verdict: Verdict | None = None
        self.sent: tuple[float, float] | None = None
        self.warned_for: tuple[str, int] | None = None
        self.timer: clock.Timer | None = None
        self.close_timer: clock.Timer | None = None
        self.closing = False
        self.group: str | None = None
        # The page's language, for the reason it is told at the end.
        self.language = scope_language(self.scope)
        await self.accept()
        self.counted = True
        signals.socket_opened.send(sender=signals.SENDER)
        socket_sweep.sweep().add(self)
        if record_id is not None:
            await self.join(notify.session_group(record_id))
        await self.recheck(send_state=True)

    async def join(self, group: str) -> None:
        if self.group is None:
            self.group = group
            await fanout.subscribe(self, group)

    async def disconnect(self, code):
        self.closing = True
        if getattr(self, "counted", False):
            self.counted = False
            signals.socket_closed.send(sender=signals.SENDER)
        if getattr(self, "timer", None) is not None:
            self.cancel_timer()
        self.cancel_close()
        if (sweep := socket_sweep.current()) is not None:
            sweep.discard(self)
        if getattr(self, "group", None) is not None:
            fanout.unsubscribe(self, self.group)

    # --- client frames --------------------------------------------------------------

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            # Never activity, but still a chance to notice a change.
            if await self.recheck():
                await self.send_json({"type": "pong"})
        elif kind == "extend":
            await self.extend()
        elif kind == "activity":
            await self.extend(
                deliberate=False, ago=relative_seconds(content.get("ago"))
            )
        else:
            await self.send_json({"type": "error", "message": "unknown message type"})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:  # not JSON
            await self.send_json({"type": "error", "message": "frames must be JSON"})

    async def extend(self, *, deliberate: bool = True, ago: float = 0.0) -> None:
        """ "Stay signed in" (``deliberate``), or the person's input in the page,
        ``ago`` seconds before the frame."""
        if self.closing:
            return  # told its end: nothing it sends counts any more
        self.reads_started += 1
        seq = self.reads_started
        try:
            verdict = await socket_reads.in_thread_pool(
                socket_reads.extend,
                self.session_key,
                deliberate=deliberate,
                ago=ago,
            )
        except socket_reads.OUTAGES:
            self.schedule_retry()
            return
        if self.closing:
            return
        if verdict is None or verdict.expired:
            await self.recheck()
            return
        if seq < self.read_applied:
            return
        self.read_applied, self.verdict = seq, verdict
        if self.stamps is not None:
            # What this tab did is the newest activity it knows of: a change
            # message about older activity must not move its countdown back.
            self.stamps = self.stamps._replace(
                last_active=max(self.stamps.last_active, verdict.counts_from)
            )
        await self.send_state(verdict, force=deliberate)
        self.schedule(verdict)

    # --- group messages -------------------------------------------------------------

    async def handle_group_message(self, message: dict) -> None:
        """Take a message to this tab's session, or to every tab, from the fan-out."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None or self.closing:
            return
        try:
            await handler(message)
        except Exception:
            logger.exception("session socket could not handle %s", message["type"])

    async def session_changed(self, event):
        """Activity in another tab or page: judged from the message when it says
        when (no store read for every tab of the session), else re-read."""
        moved, verdict = event.get("last_active"), self.verdict
        if not isinstance(moved, int | float) or not (verdict and verdict.limits):
            await self.recheck(send_state=True)
            return
        if self.stamps is None or moved <= self.stamps.last_active or self.closing:
            return  # this tab already knows of that activity, or newer
        # Counts as the newest read: one already on its way is older than this.
        self.reads_started += 1
        self.read_applied = self.reads_started
        self.stamps = self.stamps._replace(last_active=float(moved))
        self.verdict = policy.judge(
            signed_in=self.stamps.signed_in,
            last_active=self.stamps.last_active,
            now=clock.now(),
            limits=verdict.limits,
            key_retired_at=verdict.key_retired_at,
        )
        if self.verdict.expired:
            await self.recheck()  # the store decides an end
            return
        await self.send_state(self.verdict)
        self.schedule(self.verdict)

    async def session_ended(self, event):
        await self.expire(
            event.get("reason") or EndReason.LOGOUT.value, sent_at=event.get("sent_at")
        )

    # --- decisions ------------------------------------------------------------------

    async def recheck(self, *, send_state: bool = False) -> bool:
        """Re-read and judge the session; end the socket if it ended. True if live."""
        if self.closing:
            return False
        self.reads_started += 1
        seq = self.reads_started
        stamps, outcome = await socket_reads.in_thread_pool(
            socket_reads.read_session,
            self.session_key,
            self.stamps.record_id if self.stamps else None,
        )
        if self.closing:
            return False  # told its end while this read was on its way
        if outcome == socket_reads.STORE_DOWN:
            self.schedule_retry()
            return True
        if outcome == socket_reads.MOVED:
            self.closing = True
            self.cancel_timer()
            await self.close(code=CLOSE_RECONNECT)
            return False
        if isinstance(outcome, str):  # an end is final, whichever read saw it
            await self.expire(outcome)
            return False
        if seq < self.read_applied or self.closing:
            return True  # a newer read already decided
        self.read_applied = seq
        if self.stamps is None and stamps is not None:
            await self.join(notify.session_group(stamps.record_id))
            if self.closing:
                return False  # an end came in while the group was joined
        self.stamps, self.verdict = stamps, outcome
        if send_state:
            await self.send_state(outcome)
        self.schedule(outcome)
        return True
