"""How a tab's socket ends: the reason, in the page's language, then the close.

Mixed into the consumer, which provides ``closing``, ``language``, ``timer``,
``cancel_timer()``, ``send_json()`` and ``close()``.
"""

from __future__ import annotations

import functools
import time

from django.utils import translation

from . import clock, signals
from .reasons import EndReason

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
        self.timer = clock.call_at(clock.now() + CLOSE_AFTER_EXPIRED, self.close_ended)

    async def close_ended(self) -> None:
        self.timer = None
        await self.close(code=CLOSE_ENDED)


@functools.lru_cache(maxsize=256)
def reason_text(reason: str, language: str) -> str:
    """An end's reason in the page's language (one lookup per pair, not per tab)."""
    try:
        with translation.override(language):
            return str(EndReason(reason).message)
    except ValueError:
        return ""
