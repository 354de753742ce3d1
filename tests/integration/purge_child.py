"""A process of its own for test_purge_postgres: sets up sessions, or purges.

    python -m tests.integration.purge_child setup COUNT
    python -m tests.integration.purge_child purge LIMIT

Configured by the environment as a server would be (DATABASE_URL, REDIS_URL).
``setup`` migrates, writes COUNT signed-in sessions (store and records) and
rotates the keys. ``purge`` prints "ready", waits for a line on stdin, then runs
the purge task's body with batches of LIMIT and prints each batch's (ended,
selected) as JSON.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import UTC, datetime, timedelta


def setup(count: int) -> None:
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.core.management import call_command

    from sessions_core import rotation
    from sessions_core.backends import redis as engine
    from sessions_core.models import SessionRecord, digest_key
    from sessions_core.sessiondata import write_stamps

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("racer", password=None)
    client, now = engine.client(), datetime.now(tz=UTC)
    ttl = int(timedelta(hours=1).total_seconds())
    pipe, records = client.redis.pipeline(transaction=False), []
    for record_id in range(1, count + 1):
        data = {SESSION_KEY: str(user.pk), HASH_SESSION_KEY: ""}
        write_stamps(
            data, record_id=record_id, signed_in=now.timestamp(), key_version=1
        )
        digest = digest_key(secrets.token_hex(16))
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
    # The queued purge task waits in the broker: no worker runs here.
    rotation.rotate_keys(grace=0)


def purge(limit: int) -> None:
    from sessions_core import signals, tasks

    batches: list[list[int]] = []

    def record(sender, task, ended, selected, **kwargs):
        batches.append([ended, selected])

    signals.batch_done.connect(record, weak=False)
    # One chain to the end here: no worker would take a re-queued task.
    tasks.PURGE_TASK_SECONDS = 120
    print("ready", flush=True)
    sys.stdin.readline()
    tasks.purge_retired_sessions(batch_size=limit)  # the task's body, in this process
    print(json.dumps({"batches": batches}), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankdemo.settings")
    import django

    django.setup()
    command, number = sys.argv[1], int(sys.argv[2])
    {"setup": setup, "purge": purge}[command](number)
