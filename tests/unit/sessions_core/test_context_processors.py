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
