"""Two rotation purges at once on PostgreSQL, as a redelivered task and its
original may run on two workers (sessions_core.rotation.purge_retired).

SQLite lets one writer in at a time, so only PostgreSQL's row locks can race two
batches over the same rows. Each purge runs in a process of its own on a
throwaway database and a redis-server of this test's own: every session must be
ended once, by one of them, with one audit event per batch that ended any, and
its data gone from the store.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integration.test_outage import private_redis  # noqa: F401

pytestmark = [pytest.mark.redis, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 3000
LIMIT = 100  # 30 batches; the two purges meet on the first for certain (_race)
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def _postgres(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(f"{POSTGRES}/{dbname}", connect_timeout=3, autocommit=True)


@pytest.fixture
def database():
    name = f"bankdemo_purge_race_{os.getpid()}"
    try:
        with _postgres() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # psycopg.Error, or psycopg missing
        require("PostgreSQL", f"{POSTGRES} does not answer ({exc})")
    yield name
    with _postgres() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child(env: dict, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.purge_child", *args],
        cwd=ROOT,
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        **kwargs,
    )


def test_two_purges_at_once_end_each_session_once(database, private_redis):  # noqa: F811
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bankdemo.settings",
        "DATABASE_URL": f"{POSTGRES}/{database}",
        "DB_POOL": "0",
        "REDIS_URL": private_redis.url(),
    }
    setup = child(env, "setup", str(SESSIONS))
    try:
        setup.communicate(timeout=60)
    finally:
        setup.kill()
    assert setup.returncode == 0
    purges = [child(env, "purge", str(LIMIT)) for _ in range(2)]
    try:
        for purge in purges:
            assert purge.stdout.readline().strip() == "ready"
        results = _race(database, purges)
    finally:
        for purge in purges:
            purge.kill()
    print(f"\n(ended, selected) per batch, by each purge: {results}")

    # The first batch is met for sure: one ends it, the other finds it ended and
    # stops, as the task does, leaving the rest to the chain that carries on.
    firsts = sorted(batches[0] for batches in results)
    assert firsts == [[0, LIMIT], [LIMIT, LIMIT]]
    loser = min(results, key=lambda batches: batches[0][0])
    assert loser == [[0, LIMIT]], "a purge that lost its batch stops"
    ended = [n for batches in results for n, _ in batches]
    assert sum(ended) == SESSIONS, "each session ended once, in all"
    with _postgres(database) as conn:
        (live,) = conn.execute(
            "SELECT count(*) FROM sessions_core_sessionrecord WHERE ended_at IS NULL"
        ).fetchone()
        reasons = conn.execute(
            "SELECT end_reason, count(*) FROM sessions_core_sessionrecord "
            "GROUP BY end_reason"
        ).fetchall()
        digests = {
            digest
            for (digest,) in conn.execute(
                "SELECT key_digest FROM sessions_core_sessionrecord"
            )
        }
        details = [
            detail
            for (detail,) in conn.execute(
                "SELECT detail FROM sessions_core_sessionevent WHERE detail LIKE %s",
                ["purged %"],
            )
        ]
    assert live == 0
    assert reasons == [("key_rotated", SESSIONS)]
    # One audit event per batch that ended sessions, and their counts add up.
    assert len(details) == len([n for n in ended if n])
    assert sum(int(re.search(r"\d+", d).group()) for d in details) == SESSIONS
    # The store's keys end with the session's digest: none of them is left.
    left = {
        key.rsplit(b":", 1)[-1].decode() for key in private_redis.client().scan_iter()
    }
    assert len(digests) == SESSIONS and not digests & left


def _race(database: str, purges: list[subprocess.Popen]) -> list[list[list[int]]]:
    """Start both purges while this test holds the first batch's rows, and let go
    once both wait on them: their first batches meet for certain."""
    with _postgres(database) as holder, holder.transaction():
        holder.execute(
            "SELECT id FROM sessions_core_sessionrecord WHERE id <= %s FOR UPDATE",
            [LIMIT],
        )
        for purge in purges:
            purge.stdin.write("go\n")
            purge.stdin.flush()
        deadline = time.monotonic() + 30
        with _postgres() as watcher:
            while watcher.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = %s AND wait_event_type = 'Lock'",
                [database],
            ).fetchone() != (2,):
                assert time.monotonic() < deadline, "both purges wait on the rows"
                time.sleep(0.05)
    results = []
    for purge in purges:
        out, _ = purge.communicate(timeout=60)
        assert purge.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1])["batches"])
    return results
