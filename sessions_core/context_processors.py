"""Put the session's limits, in words, into every template (WCAG 2.2.6)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch
from django.utils.timezone import localtime
from django.utils.translation import get_language, ngettext

from .conf import app_settings


def session_lifetime(request) -> dict:
    urls = {
        # Where the dialog sends a tab: the host's own URLs, from its settings.
        "session_login_url": _resolved(settings.LOGIN_URL),
        "session_logout_url": _resolved(app_settings.LOGOUT_URL),
    }
    verdict = getattr(request, "sessions_core_verdict", None)
    if verdict is None or not request.user.is_authenticated:
        return urls
    limits = verdict.limits
    deadline = localtime(datetime.fromtimestamp(verdict.absolute_deadline, tz=UTC))
    return {
        **urls,
        "session_verdict": verdict,
        "session_idle_words": duration_words(limits.idle, get_language()),
        "session_absolute_deadline": deadline,
        # Formatted here: the template's date filter costs ~15 µs a page more.
        "session_absolute_deadline_text": deadline.strftime("%H:%M %Z"),
    }


def _resolved(url) -> str:
    """The URL, or "" if it does not resolve (sessions_core.E016 says so): a page
    must never fail for the dialog's sake."""
    try:
        return resolve_url(url)
    except NoReverseMatch:
        return ""


@lru_cache(maxsize=64)
def duration_words(seconds: int, language: str | None = None) -> str:
    """Return "10 minutes", "1 minute 10 seconds" or "1 hour 30 minutes", in
    ``language``: exact, never rounded (70 s is not "1 minute")."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes:
        parts.append(
            ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
        )
    if secs or not parts:
        parts.append(ngettext("%(n)d second", "%(n)d seconds", secs) % {"n": secs})
    return " ".join(parts)
