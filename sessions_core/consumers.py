"""The websocket each open tab keeps: state, warnings, and the end with its reason.

The consumer keeps only the session key (sessions_core.ws_auth): it re-reads the
store on connect, on every inbound frame, when told the
session changed, before ending it, and at least every SESSIONS_CORE_WS_RECHECK
seconds (the backstop for changes made where no channel layer reaches, such as a
management command in the embedded mode). Warnings are sent from the deadlines of
the last read, which group messages keep current, and confirmed by a re-read.
Re-reads are numbered so that only the newest verdict counts; an end counts
whichever read saw it. A store that is down ends nothing: the socket waits and
reads again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import fanout, keyring, notify, policy, selectors, services, store, ws_auth
from .conf import app_settings
from .models import digest_key
from .policy import Verdict
from .reasons import EndReason
from .sessiondata import Stamps, read_stamps

logger = logging.getLogger(__name__)

# A state frame is re-sent only if a deadline moved by more than this (seconds).
STATE_TOLERANCE = 0.5
# The store is down; the page reconnects with backoff. RFC 6455's 1013 ("Try Again
# Later") is not one a server may send through daphne (autobahn allows 1000 and
# 3000-4999), so the private-use code that echoes it.
CLOSE_TRY_AGAIN_LATER = 4013
# The session moved to a new key (a password change in another tab): the page
# reconnects, and the browser sends the new cookie.
CLOSE_RECONNECT = 4001


async def _in_thread_pool(function, *args, **kwargs):
    """Run ``function`` in the thread pool, then send the messages it sent.

    Not Channels' single database thread: thousands of sockets re-read their
    sessions, and queued one after another there a "Stay signed in" waited seconds
    behind them (bench/websockets.py); the reads are independent and safe in
    parallel. The messages go out from here, not from the thread (notify.collect).
    """

    def collecting():
        with notify.collect() as outbox:
            return function(*args, **kwargs), outbox

    result, outbox = await database_sync_to_async(collecting, thread_sensitive=False)()
    await notify.send_collected(outbox)
    return result


# What _read_session says when it is no end: the store is down (read again soon),
# or the session moved to a new key (the page reconnects with its new cookie).
STORE_DOWN = "store_down"
MOVED = "moved"
STORE_RETRY = 2.0


def _read_session(
    session_key: str, user, record_id: int | None = None
) -> tuple[Stamps | None, Verdict | str]:
    """Re-read the store and judge: (stamps, verdict), or (stamps, reason) if ended.

    One read gives the data or the end's tombstone. A session found expired, gone,
    or signed with a retired secret key is ended here, so that every door records
    the same end. STORE_DOWN and MOVED are not ends.
    """
    try:
        return _judge_stored(session_key, user, record_id)
    except store.StoreUnavailable:
        return None, STORE_DOWN


def _judge_stored(session_key: str, user, record_id: int | None):
    digest = digest_key(session_key)
    entry = store.read(digest)
    if entry.end is not None:
        return None, entry.end.reason or EndReason.LOGOUT.value
    stamps = read_stamps(entry.data or {})
    if stamps is None or not selectors.session_still_valid(entry.data or {}, user):
        record = selectors.record_for_key(session_key) or selectors.record_by_id(
            record_id
        )
        if record is None:
            return None, EndReason.LOGOUT.value
        if record.is_live and record.key_digest != digest:
            return None, MOVED  # a key change: the session goes on under its new key
        if record.is_live:
            record = services.end_lost_session(
                record=record, unreadable=entry.data is not None
            )
        return None, record.end_reason
    verdict = selectors.verdict_for(stamps=stamps, user=user)
    if verdict.expired:
        record = selectors.record_for_key(session_key)
        if record is not None:
            services.end_sessions(records=[record], reason=verdict.reason)
        return stamps, verdict.reason.value
    return stamps, verdict


class SessionConsumer(AsyncJsonWebsocketConsumer):
    # No channel of its own: group messages come through the process's one channel
    # (sessions_core.fanout), which hands them to handle_group_message.
    channel_layer_alias = None

    async def connect(self):
        if self.scope.get(ws_auth.STORE_DOWN):
            # An outage, not an end: the page keeps trying with backoff.
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept(): the handshake is refused (403)
            return
        self.user = user
        # Only the key is kept (sessions_core.ws_auth); the store is re-read each time.
        self.session_key = self.scope["session_key"]
        # Re-reads are numbered: one that started before another and finished
        # after it must not overwrite the newer verdict.
        self.reads_started = 0
        self.read_applied = 0
        self.stamps: Stamps | None = None
        self.verdict: Verdict | None = None
        self.sent: tuple[float, float] | None = None
        self.warned_for: tuple[str, int] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.waking: asyncio.Task | None = None
        self.closing = False
        self.group: str | None = None
        await self.accept()
        await self.recheck(send_state=True)

    async def join(self, group: str) -> None:
        if self.group is None:
            self.group = group
            await fanout.subscribe(self, group)

    async def disconnect(self, code):
        self.closing = True
        if getattr(self, "timer", None) is not None:
            self.cancel_timer()
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
        else:
            await self.send_json({"type": "error", "message": "unknown message type"})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:  # not JSON
            await self.send_json({"type": "error", "message": "frames must be JSON"})

    async def extend(self) -> None:
        self.reads_started += 1
        seq = self.reads_started
        try:
            verdict = await _in_thread_pool(
                services.extend_by_key, session_key=self.session_key, user=self.user
            )
        except store.StoreUnavailable:
            self.schedule_retry()
            return
        if verdict is None or verdict.expired:
            await self.recheck()
            return
        if seq < self.read_applied or self.closing:
            return
        self.read_applied, self.verdict = seq, verdict
        await self.send_state(verdict, force=True)
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
        await self.recheck(send_state=True)

    async def session_ended(self, event):
        await self.expire(event.get("reason") or EndReason.LOGOUT.value)

    async def keys_rotated(self, event):
        """Decide from the broadcast itself: every open tab hears it at once, and
        thousands of store reads in the same second would delay the last tab."""
        keyring.refresh_if_older(float(event["at"]))
        if self.stamps is None or self.stamps.key_version >= event["current"]:
            return
        if policy.key_version_retired(
            version=self.stamps.key_version,
            current=event["current"],
            retire_at=event["retire_at"],
            now=time.time(),
        ):
            # The Celery purge records the end; this tab only has to leave.
            await self.expire(EndReason.KEY_ROTATED.value)
        else:
            await self.recheck()  # a grace: the verdict now carries the key deadline

    # --- decisions ------------------------------------------------------------------

    async def recheck(self, *, send_state: bool = False) -> bool:
        """Re-read and judge the session; end the socket if it ended. True if live."""
        if self.closing:
            return False
        self.reads_started += 1
        seq = self.reads_started
        stamps, outcome = await _in_thread_pool(
            _read_session,
            self.session_key,
            self.user,
            self.stamps.record_id if self.stamps else None,
        )
        if outcome == STORE_DOWN:
            self.schedule_retry()
            return True
        if outcome == MOVED:
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
        self.stamps, self.verdict = stamps, outcome
        if send_state:
            await self.send_state(outcome)
        self.schedule(outcome)
        return True

    async def send_state(self, verdict: Verdict, *, force: bool = False) -> None:
        # Deadlines count from when the verdict was judged, not from now: a verdict
        # may have waited in the database thread's queue before it got here.
        deadlines = (
            verdict.at + verdict.idle_expires_in,
            verdict.at + verdict.absolute_expires_in,
        )
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
        now = time.time()
        await self.send_json(
            {
                "type": "state",
                "idle_expires_in": round(max(deadlines[0] - now, 0.0), 1),
                "absolute_expires_in": round(max(deadlines[1] - now, 0.0), 1),
                "warning_lead": verdict.warning_lead,
            }
        )

    def schedule(self, verdict: Verdict) -> None:
        """Wake at the warning, the deadline, the key retiring, or the backstop."""
        self.cancel_timer()
        deadline = verdict.at + verdict.expires_in
        key = (verdict.kind, round(deadline))
        wake_at = (
            deadline if self.warned_for == key else deadline - verdict.warning_lead
        )
        if verdict.key_expires_in is not None:
            wake_at = min(wake_at, verdict.at + verdict.key_expires_in)
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
                deadline - lead - now <= 0.05
                and now < deadline
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

    async def expire(self, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        self.cancel_timer()
        try:
            reason_text = EndReason(reason).message
        except ValueError:
            reason_text = ""
        await self.send_json(
            {"type": "expired", "reason": reason, "message": reason_text}
        )
        await self.close(code=4000)
