"""Put the session's limits, in words, into every template (WCAG 2.2.6)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone, localtime
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

from .conf import app_settings
from .middleware import still_signed_in


def session_lifetime(request) -> dict:
    urls = {
        # Where the dialog sends a tab: the host's own URLs, from its settings.
        "session_login_url": _resolved(settings.LOGIN_URL),
        "session_logout_url": _resolved(app_settings.LOGOUT_URL),
    }
    verdict = getattr(request, "sessions_core_verdict", None)
    if verdict is None or not still_signed_in(request):
        return urls
    words = limits_in_words(
        verdict.limits.idle,
        verdict.absolute_deadline,
        get_current_timezone(),
        get_language(),
    )
    return {
        **urls,
        "session_verdict": verdict,
        "session_idle_words": words.idle,
        "session_absolute_deadline": words.deadline,
        "session_absolute_deadline_text": words.deadline_text,
        "session_limits_sentence": words.sentence,
    }


class LimitsInWords(NamedTuple):
    idle: str  # "10 minutes"
    deadline: datetime  # the absolute deadline, in the current time zone
    deadline_text: str  # "13:00 UTC"
    sentence: SafeString  # the footer's sentence, with a <time> element


SENTENCE = gettext_noop(
    "You'll be signed out after %(idle)s without activity, and at <time "
    'datetime="%(iso)s" data-local-time="time">%(at)s</time> at the latest.'
)


@lru_cache(maxsize=1024)
def limits_in_words(
    idle: int, absolute_deadline: float, zone: tzinfo, language: str | None
) -> LimitsInWords:
    """A session's limits in words, in ``zone`` and ``language``, made once per
    session rather than on every page: as a template's blocktranslate, the
    sentence was two thirds of the work sessions_core added to a page
    (bench/middleware_instructions.py)."""
    deadline = localtime(datetime.fromtimestamp(absolute_deadline, tz=UTC), zone)
    text = deadline.strftime("%H:%M %Z")
    with translation.override(language):
        idle_words = duration_words(idle, language)
        values = {
            "idle": escape(idle_words),
            "iso": deadline.isoformat(),
            "at": escape(text),
        }
        try:
            sentence = gettext(SENTENCE) % values
        except (KeyError, TypeError, ValueError):
            # A translation whose placeholders do not match: English, as
            # blocktranslate falls back, rather than a failing page.
            sentence = SENTENCE % values
    return LimitsInWords(idle_words, deadline, text, mark_safe(sentence))


@receiver(setting_changed)
def _forget_words(*, setting: str, **kwargs) -> None:
    """Words made under other languages, catalogs or zones are made again."""
    if setting in {
        "LANGUAGES",
        "LANGUAGE_CODE",
        "LOCALE_PATHS",
        "USE_I18N",
        "TIME_ZONE",
    }:
        limits_in_words.cache_clear()
        duration_words.cache_clear()


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
