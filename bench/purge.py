"""Purge after a key rotation, against a raw pipelined SCAN + UNLINK of Redis.

    .venv/bin/python bench/purge.py                     # 100,000 then 1,000,000
    .venv/bin/python bench/purge.py --sessions 100000

Sessions are created in bulk (in Redis under the session engine's own keys,
records in SQLite), a rotation retires them, and a real Celery worker purges them
in batches that re-queue themselves; the clock stops when no record of them is
live. In the same run, as many plain keys are deleted by SCAN + pipelined UNLINK,
the fastest a client can empty Redis. Target: purge >= 50% of raw keys/s.
"""

from __future__ import annotations

import argparse
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from live import VENV_BIN, LiveStack

CHUNK = 5000


def create_sessions(count: int) -> None:
    """Write ``count`` signed-in sessions of key version 1, as sign-ins would."""
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model

    from sessions_core.backends import redis as engine
    from sessions_core.models import SessionRecord, digest_key
    from sessions_core.sessiondata import write_stamps

    client = engine.client()
    ttl = int(timedelta(hours=4).total_seconds())
    user = get_user_model().objects.get(username="alice")
    now = datetime.now(tz=UTC)
    next_id = (
        SessionRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    for start in range(0, count, CHUNK):
        keys = [secrets.token_hex(16) for _ in range(min(CHUNK, count - start))]
        records = []
        pipe = client.redis.pipeline(transaction=False)
        for offset, key in enumerate(keys):
            record_id = next_id + start + offset
            data = {
                SESSION_KEY: str(user.pk),
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
            write_stamps(
                data, record_id=record_id, signed_in=now.timestamp(), key_version=1
            )
            digest = digest_key(key)
            pipe.set(client.key(digest), engine.SessionStore._encode(data), ex=ttl)
            records.append(
                SessionRecord(
                    pk=record_id,
                    user=user,
                    key_digest=digest,
                    signed_in_at=now,
                    last_active_at=now,
                    key_version=1,
                )
            )
        pipe.execute()
        SessionRecord.objects.bulk_create(records)


def raw_delete(url: str, count: int) -> float:
    """Create ``count`` plain keys, then time SCAN + pipelined UNLINK of them."""
    import redis

    client = redis.Redis.from_url(url)
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
    assert deleted == count, (deleted, count)
    return elapsed


def _scan_batches(client, pattern: str, count: int):
    cursor = 0
    while True:
        cursor, keys = client.scan(cursor, match=pattern, count=count)
        if keys:
            yield keys
        if cursor == 0:
            return


def run(count: int, batch: int) -> None:
    stack = LiveStack(SESSIONS_CORE_PURGE_BATCH=str(batch))
    stack.setup_django()
    from django.conf import settings

    from sessions_core import rotation
    from sessions_core.models import SessionRecord

    created = time.time()
    create_sessions(count)
    print(f"[{count:,}] created in {time.time() - created:.1f} s")

    raw_s = raw_delete(settings.REDIS_URL, count)

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
    try:
        time.sleep(3)  # let the worker connect before the clock starts
        started = time.perf_counter()
        rotation.rotate_keys(grace=0)
        while SessionRecord.objects.live().exists():
            time.sleep(0.05)
        purge_s = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(10)
    from django.core.cache import caches

    from sessions_core.backends import redis as engine

    left = len(list(caches["default"].iter_keys(engine.KEY_PREFIX + "*")))
    raw_rate, purge_rate = count / raw_s, count / purge_s
    print(
        f"[{count:,} in batches of {batch:,}] raw SCAN+UNLINK: {raw_rate:,.0f} keys/s "
        f"({raw_s:.2f} s); "
        f"purge: {purge_rate:,.0f} keys/s ({purge_s:.2f} s); "
        f"ratio {purge_rate / raw_rate:.2f}; session keys left: {left}"
    )
    stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    if len(args.sessions) == 1:
        run(args.sessions[0], args.batch)
        return
    for count in args.sessions:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--sessions",
                str(count),
                "--batch",
                str(args.batch),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
