"""Issue 14, failover on the real stack: a Celery worker killed mid-purge.

A rotation retires a few thousand sessions; a real worker (prefork, one child, as
scripts/stack.sh starts it) purges them in small batches that re-queue themselves
(acks_late). The test kills the worker's whole process group with SIGKILL while a
batch runs, starts a second worker and expects the purge to finish within seconds:
the killed batch's message comes back once the broker's visibility timeout passes
(CELERY_VISIBILITY_TIMEOUT, short here), not after Kombu's default hour.

Everything runs on a redis-server of the test's own (tests/outage_redis.py) and a
SQLite file in tmp_path that the setup process, both workers and the test share.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests import outage_redis
from tests.conftest import require

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
SESSIONS = 3000
BATCH = 100
VISIBILITY_TIMEOUT = 3
RECOVERY_WITHIN = 20.0

# Run in a subprocess with the worker's environment (bankdemo.settings, the
# private Redis, the SQLite file): migrate, write SESSIONS signed-in sessions of
# key version 1 straight into the store and their records (as bench/purge.py
# does), then rotate with grace 0, which retires them and queues the purge.
SETUP = r"""
import json, secrets, sys
from datetime import UTC, datetime, timedelta

import django

django.setup()
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.management import call_command

call_command("migrate", verbosity=0)
from sessions_core import rotation
from sessions_core.backends import redis as engine
from sessions_core.models import SessionRecord, digest_key
from sessions_core.sessiondata import write_stamps

count = int(sys.argv[1])
user = get_user_model().objects.create_user("failover", password=None)
client = engine.client()
now = datetime.now(tz=UTC)
pipe = client.redis.pipeline(transaction=False)
records, store_keys = [], []
for record_id in range(1, count + 1):
    data = {SESSION_KEY: str(user.pk), HASH_SESSION_KEY: user.get_session_auth_hash()}
    write_stamps(data, record_id=record_id, signed_in=now.timestamp(), key_version=1)
    digest = digest_key(secrets.token_hex(16))
    store_keys.append(client.key(digest))
    pipe.set(store_keys[-1], engine.SessionStore._encode(data), ex=4 * 3600)
    records.append(
        SessionRecord(
            pk=record_id, user=user, key_digest=digest, signed_in_at=now,
            last_active_at=now, key_version=1,
        )
    )
pipe.execute()
SessionRecord.objects.bulk_create(records, batch_size=500)
rotation.rotate_keys(grace=0)
print(json.dumps(store_keys))
"""


def environment(redis: outage_redis.PrivateRedis, database: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bankdemo.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "failover-test-" + "k" * 50,
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": redis.url(),
        "SESSION_MAX_PER_USER": "0",
        "SESSIONS_CORE_PURGE_BATCH": str(BATCH),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "BANKDEMO_ROLE": "worker",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DB_POOL", None)
    return env


class Worker:
    """``celery -A bankdemo worker`` in a process group of its own."""

    def __init__(self, name: str, env: dict, directory: Path):
        self.name = name
        self.log = directory / f"{name}.log"
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "celery"), "-A", "bankdemo", "worker",
                "--loglevel=INFO", "--concurrency=1", "-n", f"{name}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the parent and its pool child at once: nobody cleans up."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        else:
            # The parent is gone; a pool child it left behind must not outlive us.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


class Records:
    """The session records and audit events, read straight from the SQLite file."""

    def __init__(self, database: Path):
        self.connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        self.connection.execute("PRAGMA busy_timeout = 5000")

    def ended(self) -> int:
        return self.connection.execute(
            "SELECT count(*) FROM sessions_core_sessionrecord "
            "WHERE ended_at IS NOT NULL"
        ).fetchone()[0]

    def reasons(self) -> dict[str, int]:
        rows = self.connection.execute(
            "SELECT coalesce(end_reason, ''), count(*) "
            "FROM sessions_core_sessionrecord GROUP BY end_reason"
        )
        return dict(rows.fetchall())

    def purge_events(self) -> list[str]:
        rows = self.connection.execute(
            "SELECT detail FROM sessions_core_sessionevent "
            "WHERE kind = 'end' AND reason = 'key_rotated'"
        )
        return [detail for (detail,) in rows.fetchall()]

    def close(self) -> None:
        self.connection.close()


def wait_for(predicate, timeout: float, interval: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def test_purge_finishes_after_the_worker_is_killed_mid_batch(tmp_path):
    if not outage_redis.available():
        require("redis-server", "not on PATH (apt-get install redis-server)")
    redis = outage_redis.PrivateRedis(tmp_path / "redis")
    redis.start()
    database = tmp_path / "failover.sqlite3"
    env = environment(redis, database)
    workers: list[Worker] = []
    records: Records | None = None
    broker = redis.client()
    try:
        setup = subprocess.run(
            [str(VENV_BIN / "python"), "-c", SETUP, str(SESSIONS)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert setup.returncode == 0, setup.stderr[-3000:]
        store_keys = json.loads(setup.stdout.strip().splitlines()[-1])
        assert len(store_keys) == SESSIONS
        assert broker.exists(*store_keys) == SESSIONS
        records = Records(database)
        assert records.ended() == 0

        first = Worker("first", env, tmp_path)
        workers.append(first)
        # Some batches are done, not all: the purge is under way.
        assert wait_for(lambda: records.ended() >= BATCH, timeout=30), first.output()
        first.kill()
        ended_at_kill = records.ended()
        assert ended_at_kill < SESSIONS, "the purge finished before the kill"
        # The batch the worker was running is delivered and never acknowledged.
        unacked = broker.hlen("unacked")
        queued = broker.llen("celery")

        killed = time.monotonic()
        second = Worker("second", env, tmp_path)
        workers.append(second)
        finished = wait_for(
            lambda: records.ended() == SESSIONS,
            timeout=RECOVERY_WITHIN,
            interval=0.05,
        )
        took = time.monotonic() - killed
        assert finished, (
            f"{records.ended()}/{SESSIONS} ended {RECOVERY_WITHIN:.0f} s after the "
            f"kill ({ended_at_kill} at the kill; then {unacked} unacked, {queued} "
            f"queued message(s)). Kombu's Redis transport restores unacknowledged "
            f"messages at a worker's start and then only every "
            f"unacked_restore_interval x unacked_restore_throttle s (10 x 10 by "
            f"default), whatever the visibility timeout;\n"
            f"second worker:\n{second.output()[-3000:]}"
        )

        # Every retired session is gone from the store, its record ended by the
        # rotation, and each exactly once: the batches' audit events add up to
        # the number of sessions, so no batch ended a session another one had.
        assert broker.exists(*store_keys) == 0
        assert records.reasons() == {"key_rotated": SESSIONS}
        purged = [
            int(re.match(r"purged (\d+) sessions", detail).group(1))
            for detail in records.purge_events()
        ]
        assert sum(purged) == SESSIONS, purged
        print(
            f"killed at {ended_at_kill}/{SESSIONS} ended ({unacked} unacked, "
            f"{queued} queued); finished {took:.1f} s after the kill"
        )
    finally:
        for worker in workers:
            worker.kill()
        if records is not None:
            records.close()
        broker.close()
        redis.stop()
