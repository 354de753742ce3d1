"""An end is final, raced: ends against the same user's concurrent page loads.

The races of bench/races.py, fewer of them: alice's tabs load pages and write
activity while an administrator's force sign-out, a password change or a key
rotation ends her session. No race may leave the session alive, tell any tab a
reason other than the end's, or fail a request.
"""

from __future__ import annotations

import pytest

from bench.races import KINDS, run_races

RACES = 50


@pytest.mark.django_db(transaction=True)  # the racing threads commit for real
@pytest.mark.parametrize(
    "engine", ["db", pytest.param("redis", marks=pytest.mark.redis)], indirect=True
)
@pytest.mark.parametrize("kind", list(KINDS))
def test_no_race_revives_an_ended_session_or_changes_its_reason(engine, kind, demo):
    tally = run_races(kind, RACES)
    assert tally.races == RACES
    assert (tally.revived, tally.wrong, tally.errors) == (0, 0, 0), tally.examples
