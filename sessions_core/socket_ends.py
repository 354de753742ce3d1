"""How a tab's socket ends: the reason, in the page's language, then the close.

Mixed into the consumer, which provides ``closing``, ``language``, ``stamps``,
``recheck()``, ``cancel_timer()``, ``send_json()`` and ``close()``. Once
``closing`` is set nothing else schedules: the close has a timer of its own
(``close_timer``), which a late read cannot cancel.
"""

from __future__ import annotations

import functools
import time

from django.utils import translation

from . import clock, keyring, policy, signals
from .reasons import EndReason

# The store is down; the page reconnects with backoff. RFC 6455's 1013 ("Try Again
# Later") is not one a server may send through daphne (autobahn allows 1000 and
# 3000-4999), so the private-use code that echoes it.
CLOSE_TRY_AGAIN_LATER = 4013
# The session moved to a new key (a password change in another tab): the page
# reconnects, and the browser sends the new cookie.
CLOSE_RECONNECT = 4001
# The session ended: sent after the {"type": "expired"} frame that says why, if the
# page has not closed the socket itself within CLOSE_AFTER_EXPIRED seconds.
CLOSE_ENDED = 4000
CLOSE_AFTER_EXPIRED = 5.0


class SessionEnd:
    async def expire(self, reason: str, *, sent_at: float | None = None) -> None:
        """Tell the tab why its session ended, and close; ``sent_at`` is when the
        notification left its sender (wall clock: senders are other processes)."""
        if self.closing:
            return
        self.closing = True
        self.cancel_timer()
        await self.send_json(
            {
                "type": "expired",
                "reason": reason,
                "message": reason_text(reason, self.language),
            }
        )
        signals.end_delivered.send(
            sender=signals.SENDER,
            reason=reason,
            latency=None if sent_at is None else max(time.time() - sent_at, 0.0),
        )
        # The page leaves on that frame, which closes the socket. Closing it here
        # at once as well left a slow client's close handshake to time out (1 s in
        # autobahn), and the reset after it discarded the frame still unread in the
        # client's buffer: 1,000 of 5,000 tabs told of a rotation never saw it.
        self.close_timer = clock.call_at(
            clock.now() + CLOSE_AFTER_EXPIRED, self.close_ended
        )

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
            now=clock.now(),
        ):
            # The Celery purge records the end; this tab only has to leave.
            await self.expire(EndReason.KEY_ROTATED.value, sent_at=float(event["at"]))
        else:
            await self.recheck()  # a grace: the verdict now carries the key deadline

    async def close_ended(self) -> None:
        self.close_timer = None
        await self.close(code=CLOSE_ENDED)

    def cancel_close(self) -> None:
        if getattr(self, "close_timer", None) is not None:
            self.close_timer.cancel()
            self.close_timer = None


@functools.lru_cache(maxsize=256)
def reason_text(reason: str, language: str) -> str:
    """An end's reason in the page's language (one lookup per pair, not per tab)."""
    try:
        with translation.override(language):
            return str(EndReason(reason).message)
    except ValueError:
        return ""
