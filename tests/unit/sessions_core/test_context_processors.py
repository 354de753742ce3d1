"""The limits in words for every page's footer: exact, never rounded."""

from __future__ import annotations

import pytest

from sessions_core.context_processors import duration_words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (45, "45 seconds"),
        (60, "1 minute"),
        (70, "1 minute 10 seconds"),
        (600, "10 minutes"),
        (5400, "1 hour 30 minutes"),
        (3661, "1 hour 1 minute 1 second"),
        (14400, "4 hours"),
    ],
)
def test_duration_in_words(seconds, words):
    assert duration_words(seconds, "en") == words


def test_the_limits_sentence_follows_the_active_zone_and_language():
    """The sentence is made once and kept: what it is kept under must include the
    time zone and the language, or a page would show another user's."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone, translation

    from sessions_core.context_processors import limits_in_words

    deadline = 1795525200.0  # 2026-11-24 13:00 UTC
    english = limits_in_words(600, deadline, ZoneInfo("UTC"), "en")
    with translation.override("de"):
        german = limits_in_words(600, deadline, ZoneInfo("Europe/Berlin"), "de")
    with timezone.override(ZoneInfo("Europe/Berlin")):
        berlin = limits_in_words(600, deadline, ZoneInfo("Europe/Berlin"), "en")
    assert english.deadline_text == "13:00 UTC"
    assert "signed out after 10 minutes without activity" in english.sentence
    assert 'datetime="2026-11-24T13:00:00+00:00"' in english.sentence
    assert german.sentence.startswith("Sie werden nach 10 Minuten ohne Aktivität")
    assert berlin.deadline_text == "14:00 CET"
    assert 'datetime="2026-11-24T14:00:00+01:00"' in berlin.sentence
    assert "signed out after 10 minutes without activity" in berlin.sentence


def test_a_translation_with_wrong_placeholders_falls_back_to_english(monkeypatch):
    """As blocktranslate does: a broken catalog must not fail every page."""
    from zoneinfo import ZoneInfo

    from sessions_core import context_processors

    context_processors.limits_in_words.cache_clear()
    monkeypatch.setattr(
        context_processors, "gettext", lambda message: "Nach %(zeit)s abgemeldet."
    )
    words = context_processors.limits_in_words(600, 1795525200.0, ZoneInfo("UTC"), "de")
    context_processors.limits_in_words.cache_clear()
    assert "signed out after" in words.sentence


def test_a_sessions_absolute_deadline_is_one_moment_whenever_it_is_judged():
    """The sentence is kept under the verdict's absolute deadline: judged at any
    moment, a session must give exactly the same float, or every page would make
    the sentence again (and push the others out of the cache)."""
    from sessions_core import policy

    limits = policy.Limits(idle=600, absolute=14400, warning_lead=120)
    signed_in = 1795525200.123456
    deadlines = {
        policy.judge(
            signed_in=signed_in,
            last_active=signed_in + step * 7.3,
            now=signed_in + step * 7.3 + 0.001 * step,
            limits=limits,
        ).absolute_deadline
        for step in range(1, 1900)
    }
    assert deadlines == {signed_in + 14400}
