"""Put the session's limits, in words, into every template (WCAG 2.2.6)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.utils.translation import ngettext

from . import selectors


def session_lifetime(request) -> dict:
    verdict = getattr(request, "sessions_core_verdict", None)
    if verdict is None or not request.user.is_authenticated:
        return {}
    limits = selectors.limits_for(request.user)
    deadline = datetime.fromtimestamp(time.time() + verdict.absolute_expires_in, tz=UTC)
    return {
        "session_verdict": verdict,
        "session_idle_words": duration_words(limits.idle),
        "session_absolute_deadline": deadline,
    }


def duration_words(seconds: int) -> str:
    """Return "10 minutes", "1 hour 30 minutes" or "45 seconds"."""
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    hours, minutes = divmod(round(seconds / 60), 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes:
        parts.append(
            ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
        )
    return " ".join(parts)
