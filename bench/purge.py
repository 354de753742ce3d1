"""Purge after a key rotation, against a raw pipelined SCAN + UNLINK of Redis.

    .venv/bin/python bench/purge.py                     # 100,000 then 1,000,000
    .venv/bin/python bench/purge.py --sessions 100000 --runs 3
    .venv/bin/python bench/purge.py --sessions 100000 \
        --database postgres://postgres@127.0.0.1:5432/bankdemo_purge

Sessions are created in bulk (in Redis under the session engine's own keys,
records in SQLite, or in the PostgreSQL of --database), a rotation retires them,
and a real Celery worker purges them in batches, a task re-queueing itself after
PURGE_TASK_SECONDS. Two clocks: the store emptied (the purge's first pass, the keys;
what the floor does) and every record ended (its second pass). In the same run, as
many plain keys are deleted by SCAN + pipelined UNLINK (in a database of their own,
BENCH_RAW_REDIS_URL, default 14), the fastest a client can empty Redis, 3 times
before the purge and 3 after (the ratio of their medians: the A/A noise). Target:
the store emptied at >= 60% of raw keys/s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta

from live import VENV_BIN, LiveStack

CHUNK = 5000
# The raw floor's own database: SCAN over only its keys, the same before the purge
# and after (in the sessions' database it would also walk the sessions' keys).
RAW_REDIS_URL = os.environ.get("BENCH_RAW_REDIS_URL", "redis://127.0.0.1:6379/14")


def create_sessions(count: int) -> None:
    """Write ``count`` signed-in sessions of key version 1, as sign-ins would."""
    from django.contrib.auth import get_user_model

    from sessions_core.models import SessionRecord
    from tests.bulk_sessions import write_signed_in

    user = get_user_model().objects.get(username="alice")
    next_id = (
        SessionRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    ttl = int(timedelta(hours=4).total_seconds())
    for start in range(0, count, CHUNK):
        write_signed_in(
            user, min(CHUNK, count - start), first_id=next_id + start, ttl=ttl
        )


def raw_delete(url: str, count: int) -> float:
    """Create ``count`` plain keys, then time SCAN + pipelined UNLINK of them."""
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    pipe = client.pipeline(transaction=False)
    for index in range(count):
        pipe.set(f"rawbench:{index}", "x" * 200)
        if index % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()
    started = time.perf_counter()
    deleted = 0
    for batch in _scan_batches(client, "rawbench:*", 1000):
        pipe.unlink(*batch)
        deleted += len(batch)
        if len(pipe) >= 10:
            pipe.execute()
    pipe.execute()
    elapsed = time.perf_counter() - started
    # SCAN may return a key twice (while Redis rehashes): none may be left.
    assert deleted >= count and client.dbsize() == 0, (deleted, count)
    return elapsed


def _scan_batches(client, pattern: str, count: int):
    cursor = 0
    while True:
        cursor, keys = client.scan(cursor, match=pattern, count=count)
        if keys:
            yield keys
        if cursor == 0:
            return


def run(count: int, batch: int, database: str | None) -> None:
    # --database: a PostgreSQL URL, as the production shape has (the database is
    # created and dropped); else SQLite, as make demo has.
    extra = {"DATABASE_URL": database, "DB_POOL": "0"} if database else {}
    stack = LiveStack(SESSIONS_CORE_PURGE_BATCH=str(batch), **extra)
    stack.setup_django()

    from sessions_core import rotation
    from sessions_core.models import SessionRecord

    created = time.time()
    create_sessions(count)
    print(f"[{count:,}] created in {time.time() - created:.1f} s")

    raw_before_s = statistics.median(raw_delete(RAW_REDIS_URL, count) for _ in range(3))

    worker = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "bankdemo",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
        ],
        env=stack.env,
        cwd=str(stack.env["PYTHONPATH"]),
        stdout=open(stack.dir / "worker.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    from django.core.cache import caches

    from sessions_core import store
    from sessions_core.backends import redis as engine

    def session_keys_left() -> int:
        return len(list(caches["default"].iter_keys(engine.KEY_PREFIX + "*")))

    # The purge's first pass deletes the keys in record order: the last record's
    # key goes last. Its absence stops the store's clock, then a SCAN checks it.
    last_digest = SessionRecord.objects.order_by("-pk").values_list(
        "key_digest", flat=True
    )[0]
    try:
        time.sleep(3)  # let the worker connect before the clock starts
        started = time.perf_counter()
        rotation.rotate_keys(grace=0)
        while store.read(last_digest).data is not None:
            time.sleep(0.01)
        store_s = time.perf_counter() - started
        left_then = session_keys_left()
        while SessionRecord.objects.live().exists():
            time.sleep(0.05)
        purge_s = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(10)
    left = session_keys_left()
    # The floor again, after: each the median of 3; the two bracket the purge, and
    # their ratio is the A/A noise of this machine in this run.
    raw_after_s = statistics.median(raw_delete(RAW_REDIS_URL, count) for _ in range(3))
    raw_s = (raw_before_s + raw_after_s) / 2
    raw_rate = count / raw_s
    store_rate, purge_rate = count / store_s, count / purge_s
    # Both sides use redis-py: with hiredis installed its C packing and parsing
    # speed the floor more than the purge, whose records' UPDATE is most of it.
    from redis.utils import HIREDIS_AVAILABLE

    parser = "hiredis" if HIREDIS_AVAILABLE else "Python parser"
    print(
        f"[{count:,} in batches of {batch:,}, {stack.env['DATABASE_URL'][:8]}, "
        f"{parser}] "
        f"raw SCAN+UNLINK: {raw_rate:,.0f} keys/s ({raw_before_s:.2f} s before, "
        f"{raw_after_s:.2f} s after: A/A {raw_before_s / raw_after_s:.2f}); "
        f"store emptied: {store_rate:,.0f} keys/s ({store_s:.2f} s), "
        f"ratio {store_rate / raw_rate:.2f}, session keys left then: {left_then}; "
        f"every record ended: {purge_rate:,.0f} sessions/s ({purge_s:.2f} s), "
        f"ratio {purge_rate / raw_rate:.2f}; session keys left: {left}"
    )
    stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--batch", type=int, default=5000)  # SESSIONS_CORE_PURGE_BATCH
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if len(args.sessions) == 1 and args.runs == 1:
        with fresh_database(args.database) as database:
            run(args.sessions[0], args.batch, database)
        return
    for count in args.sessions:
        for _ in range(args.runs):
            command = [sys.executable, __file__, "--sessions", str(count)]
            command += ["--batch", str(args.batch)]
            if args.database:
                command += ["--database", args.database]
            subprocess.run(command, check=True)


@contextmanager
def fresh_database(url: str | None):
    """``url``'s database, created empty for this run and dropped after."""
    if url is None:
        yield None
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
