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
import sys


def setup(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from sessions_core import rotation
    from tests.bulk_sessions import write_signed_in

    call_command("migrate", verbosity=0)
    write_signed_in(get_user_model().objects.create_user("racer"), count)
    # The queued purge task waits in the broker: no worker runs here.
    rotation.rotate_keys(grace=0)


def purge(limit: int) -> None:
    from sessions_core import signals, tasks

    batches: list[list[int]] = []

    def record(sender, task, ended, selected, **kwargs):
        if task == "purge":  # the records' batches, not the keys' first pass
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
