"""Instructions SessionLifetimeMiddleware adds to a signed-in page, counted by valgrind.

bench/middleware.py times the page, but on this machine a run's middle half spans
±9-17%, so it cannot tell whether the middleware stays within 1% of the A/A floor.
Counted instructions can: valgrind counts the user-space instructions a process
executes, and another process's load does not move the count.

Each configuration runs in a process of its own under ``valgrind --tool=callgrind
--toggle-collect=_PyEval_CallTracing``: after set-up and a warm-up, the child runs
its REQUESTS requests inside ``sys.call_tracing`` (which nothing else calls), so
only they are counted. Configurations: ``with`` the middleware, ``again`` (the
same, in another process: the A/A floor) and ``without``; db and Redis engines;
the overview and a history page. Needs Debian's valgrind.

Instructions do not see time spent waiting on the store, so a native run of each
configuration also counts the store's round trips per request (SQL queries on db,
Redis commands on Redis); the middleware must add none.

The clock is frozen (time-machine) in every configuration alike. Two costs paid
per second, not per request, are therefore left out of both sides: the key-version
read (at most once a second per process) and the activity write (at most once per
activity window per session).

    .venv/bin/python bench/middleware_instructions.py

Redis: BENCH_REDIS_URL's database and the next one (two children run at once).
"""

from __future__ import annotations

import gc
import json
import os
import queue
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from statistics import median

from harness import BENCH_REDIS_URL, ROOT, engine_settings, setup_django

REQUESTS = int(os.environ.get("BENCH_REQUESTS", 100))
WARM_UP = 30
RUNS = int(os.environ.get("BENCH_RUNS", 3))
LIFETIME = "sessions_core.middleware.SessionLifetimeMiddleware"
CONFIGS = ("with", "again", "without")
ENGINES = ("db", "redis")
PAGES = ("overview", "history")
FROZEN_AT = "2026-06-01 12:00:00+00:00"


# --- the child: one configuration, one page, ``count`` requests ---------------------


def child(engine: str, config: str, page: str, count: int, trips: bool) -> None:
    setup_django()
    from django.db import connection

    try:
        measured(engine, config, page, count, trips)
    finally:
        connection.close()
        name = connection.settings_dict["NAME"]  # this process's test database
        for path in (name, f"{name}-wal", f"{name}-shm"):
            if os.path.exists(path):
                os.remove(path)


def measured(engine: str, config: str, page: str, count: int, trips: bool) -> None:
    import time_machine
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from bankdemo.banking.demo_data import seed

    with time_machine.travel(FROZEN_AT, tick=False), engine_settings(engine):
        # Read once in the warm-up and kept: a per-second cost, not a per-request one.
        override_settings(SESSIONS_CORE_KEY_VERSION_TTL=1e9).enable()
        if config == "without":
            stack = [m for m in settings.MIDDLEWARE if m != LIFETIME]
            override_settings(MIDDLEWARE=stack).enable()
        seed()
        alice = get_user_model().objects.get(username="alice")
        path = "/" if page == "overview" else f"/accounts/{alice.accounts.first().pk}/"
        client = Client()
        client.force_login(alice)

        def fetch(times: int) -> None:
            for _ in range(times):
                response = client.get(path)
                assert response.status_code == 200, response.status_code

        fetch(WARM_UP)
        if trips:
            print(json.dumps({"trips": round_trips(engine, fetch, count) / count}))
        else:
            gc.collect()  # every configuration starts its count with no garbage
            # Only what runs inside this call is counted (--toggle-collect).
            sys.call_tracing(fetch, (count,))


def round_trips(engine: str, fetch, count: int) -> int:
    """Store round trips of ``count`` requests: SQL statements on db, commands (a
    pipeline is one) sent to Redis on Redis."""
    if engine == "db":
        from django.db import connection

        seen = []
        with connection.execute_wrapper(
            lambda run, *args: seen.append(1) or run(*args)
        ):
            fetch(count)
        return len(seen)
    from redis.connection import AbstractConnection

    sent = []
    original = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        sent.append(1)
        return original(self, command, check_health)

    AbstractConnection.send_packed_command = counted
    try:
        fetch(count)
    finally:
        AbstractConnection.send_packed_command = original
    return len(sent)


# --- the parent: run children, divide, print ------------------------------------------

COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def child_command(engine: str, config: str, page: str, trips: bool) -> list:
    return [
        sys.executable,
        __file__,
        "--child",
        engine,
        config,
        page,
        str(REQUESTS),
    ] + (["--trips"] if trips else [])


def child_env(redis_db: int) -> dict:
    url = BENCH_REDIS_URL.rsplit("/", 1)[0] + f"/{redis_db}"
    return {**os.environ, "PYTHONHASHSEED": "0", "BENCH_REDIS_URL": url}


def instructions(job: tuple, free_dbs: queue.Queue) -> float:
    """Instructions per request of one configuration, in a process of its own, on
    a Redis database no other running child uses (each flushes its own)."""
    redis_db = free_dbs.get()
    try:
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", "--toggle-collect=_PyEval_CallTracing",
             "--callgrind-out-file=/dev/null", *child_command(*job, trips=False)],
            cwd=ROOT, env=child_env(redis_db), capture_output=True, text=True,
            check=True,
        )  # fmt: skip
    finally:
        free_dbs.put(redis_db)
    collected = int(COLLECTED.search(result.stderr).group(1))
    if not collected:  # the toggle never fired: nothing was measured
        raise RuntimeError(f"callgrind counted nothing for {job}")
    return collected / REQUESTS


def trips_per_request(engine: str, config: str, page: str, redis_db: int) -> float:
    result = subprocess.run(
        child_command(engine, config, page, trips=True),
        cwd=ROOT, env=child_env(redis_db), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])["trips"]


def main() -> None:
    base_db = int(BENCH_REDIS_URL.rsplit("/", 1)[1])
    free_dbs: queue.Queue = queue.Queue()
    for db in (base_db, base_db + 1):  # two children at once, one database each
        free_dbs.put(db)
    cases = [(engine, page) for engine in ENGINES for page in PAGES]
    trips = {
        (e, p, c): trips_per_request(e, c, p, base_db)
        for e, p in cases
        for c in CONFIGS
    }
    jobs = [(e, c, p) for _ in range(RUNS) for e, p in cases for c in CONFIGS]
    with ThreadPoolExecutor(max_workers=2) as workers:
        counts = list(workers.map(lambda job: instructions(job, free_dbs), jobs))
    print(
        f"{'engine':<6} {'page':<9} {'with':>11} {'without':>11} {'again':>11}  "
        f"{'cost':>7} {'noise':>7} {'margin':>7}  trips with/without"
    )
    per_run = len(cases) * len(CONFIGS)
    margins: dict[tuple, list[float]] = {case: [] for case in cases}
    for run in range(RUNS):
        for index, (engine, page) in enumerate(cases):
            at = run * per_run + index * len(CONFIGS)
            per = dict(zip(CONFIGS, counts[at : at + len(CONFIGS)], strict=True))
            # The cost: with/without - 1. The noise: how far the A/A pair (the
            # same configuration twice) is apart, whichever way.
            cost = per["with"] / per["without"] - 1
            noise = abs(per["again"] / per["with"] - 1)
            margins[(engine, page)].append(cost - noise)
            print(
                f"{engine:<6} {page:<9} {per['with']:>11,.0f} {per['without']:>11,.0f} "
                f"{per['again']:>11,.0f}  {cost:>+7.2%} {noise:>7.3%} "
                f"{cost - noise:>+7.2%}  {trips[(engine, page, 'with')]:.2f}/"
                f"{trips[(engine, page, 'without')]:.2f}"
            )
    for (engine, page), values in margins.items():
        print(
            f"{engine} {page}: margin median {median(values):+.2%}, "
            f"range {min(values):+.2%} to {max(values):+.2%} over {RUNS} run(s)"
        )
    print(
        f"(instructions per request over {REQUESTS} requests, each configuration in "
        "its own process under callgrind; cost = with/without - 1; noise = "
        "|again/with - 1|, the A/A floor; margin = cost - noise, target <= +1%)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        engine, config, page, count = sys.argv[2:6]
        child(engine, config, page, int(count), trips="--trips" in sys.argv)
    else:
        main()
