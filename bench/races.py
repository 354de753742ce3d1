"""An end is final: ends raced against the same user's page loads, counted.

    .venv/bin/python bench/races.py [--races 1000] [--engine db|redis|both]

For each kind of end (an administrator's force sign-out, a password change made
outside any request, a key rotation with no grace) and each engine (Redis through
django-redis, database number 13 of the local Redis, flushed before and after; the
database engine on a PostgreSQL database of its own, created and dropped here),
``--races`` times: alice signs in through the real sign-in view, her last activity
is moved two activity windows back so that the next page load writes activity,
then threads released by one barrier load her pages with her cookie (GET /, POST
/session/extend/, GET /) while another ends the session.

Afterwards a race counts as

- revived: the store still holds live data for the key, or the cookie is served
  signed in (GET / answers 200);
- wrong reason: the record's ``end_reason``, or the reason the sign-in page shows
  after the redirect (to a browser holding only the cookie, and to each racing
  browser), is not the one of this kind of end;
- errors: an exception, or a response other than 200, 302 and 401.

All three must be 0. The run stops after ``--time-limit`` seconds whatever
happens (exit status 1 then, as when any count is not 0).

tests/integration/test_races.py runs the same races, fewer of them.
"""

from __future__ import annotations

import argparse
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

USERNAME, PASSWORD = "alice", "demo-alice-2026"
# An idle limit of 20 s makes the activity window 1 s (1/20 of it); moving the last
# activity 2 s back makes the racing page loads write it.
IDLE_TIMEOUT = 20
BACKDATE = 2.0
PAGE_THREADS = 2
PAGE_LOADS = (("get", "/"), ("post", "/session/extend/"), ("get", "/"))
# The end starts up to this long after the page loads, to land anywhere among them.
END_JITTER = 0.03
RACE_TIMEOUT = 30.0
EXPECTED_STATUSES = {200, 302, 401}
EXAMPLES_KEPT = 5

REASON_RE = re.compile(rb'data-session-end-reason="([a-z_]*)"')


# --- the three kinds of end ------------------------------------------------------


def force_sign_out(record_id: int) -> None:
    from django.contrib.auth import get_user_model

    from sessions_core import services

    admin = get_user_model().objects.get(username="admin")
    services.force_logout_sessions(record_ids=[record_id], by=admin)


def change_password(record_id: int) -> None:
    """Change alice's password outside any request: every session of hers ends."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=USERNAME)
    user.set_password(PASSWORD)  # a new salt: a new hash, the same password
    user.save()


def rotate_keys(record_id: int) -> None:
    from sessions_core.rotation import rotate_keys

    rotate_keys(grace=0)


KINDS: dict[str, tuple[Callable[[int], None], str]] = {
    "force": (force_sign_out, "admin"),
    "password": (change_password, "password_changed"),
    "rotation": (rotate_keys, "key_rotated"),
}


# --- counting ----------------------------------------------------------------------


@dataclass
class Tally:
    """What the races of one engine and kind of end gave."""

    races: int = 0
    revived: int = 0
    wrong: int = 0
    errors: int = 0
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.revived == self.wrong == self.errors == 0

    def add(self, other: Tally) -> None:
        for name in ("races", "revived", "wrong", "errors", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.examples += other.examples

    def note(self, race: int, what: str) -> None:
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(f"race {race}: {what}")


@dataclass
class Race:
    """One signed-in session, the browsers that race with it, and what went wrong."""

    key: str
    record_id: int
    browsers: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def problem(self, what: str) -> None:
        with self.lock:
            self.problems.append(what)


# --- one race ------------------------------------------------------------------------


@contextmanager
def race_settings() -> Iterator[None]:
    """Short limits, so that the racing page loads really write activity."""
    from django.test import override_settings

    with override_settings(
        SESSIONS_CORE_IDLE_TIMEOUT=IDLE_TIMEOUT,
        SESSIONS_CORE_STAFF_IDLE_TIMEOUT=IDLE_TIMEOUT,
        SESSIONS_CORE_WARNING_LEAD=IDLE_TIMEOUT // 2,
    ):
        yield


def browser(session_key: str | None = None):
    from django.conf import settings
    from django.test import Client

    client = Client()
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def sign_in() -> Race:
    """Sign alice in through the sign-in view; make her next page load count."""
    from django.conf import settings

    from sessions_core import store
    from sessions_core.sessiondata import LAST_ACTIVE_KEY, RECORD_KEY

    client = browser()
    response = client.post("/login/", {"username": USERNAME, "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in answered {response.status_code}")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    session = store.session_store(key)
    session[LAST_ACTIVE_KEY] = time.time() - BACKDATE
    session.save()
    return Race(key=key, record_id=int(session[RECORD_KEY]))


def check_status(race: Race, response, what: str) -> None:
    if response.status_code not in EXPECTED_STATUSES:
        race.problem(f"{what} answered {response.status_code}")


def load_pages(race: Race) -> None:
    """Be one of the user's tabs: a few page loads and "Stay signed in"."""
    client = browser(race.key)
    with race.lock:
        race.browsers.append(client)
    for method, path in PAGE_LOADS:
        response = getattr(client, method)(path)
        check_status(race, response, f"{method.upper()} {path}")


def run_together(race: Race, actions: list[Callable[[], None]]) -> None:
    """Run ``actions`` in threads released together; record what they raise."""
    from django.db import connections

    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=RACE_TIMEOUT)
            action()
        except Exception as exc:
            name = getattr(action, "func", action).__name__
            race.problem(f"{name}: {exc!r}")
        finally:
            connections.close_all()  # this thread's connections only

    threads = [
        threading.Thread(target=run, args=(action,), daemon=True) for action in actions
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + RACE_TIMEOUT
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
        if thread.is_alive():
            race.problem("a thread was still running after the race's time")


def shown_reason(race: Race, client, who: str) -> str | None:
    """Load / as ``client``; return the reason the sign-in page shows (None: 200)."""
    response = client.get("/")
    check_status(race, response, f"GET / ({who}, after)")
    if response.status_code == 200:
        return None
    page = client.get(response["Location"])
    check_status(race, page, f"sign-in page ({who}, after)")
    match = REASON_RE.search(page.content)
    return match.group(1).decode() if match else ""


def judge(race: Race, expected: str, race_number: int, tally: Tally) -> None:
    """Count the race as revived, wrong reason and/or error."""
    from sessions_core import store
    from sessions_core.models import SessionRecord

    record = SessionRecord.objects.get(pk=race.record_id)
    reasons = {"record": record.end_reason if record.ended_at else "(live)"}
    live_in_store = bool(store.load(race.key))
    reasons["cookie alone"] = shown_reason(race, browser(race.key), "cookie alone")
    for number, client in enumerate(race.browsers, 1):
        reasons[f"tab {number}"] = shown_reason(race, client, f"tab {number}")
    if live_in_store or None in reasons.values():
        tally.revived += 1
        tally.note(race_number, f"revived (live in store: {live_in_store}) {reasons}")
    elif any(reason != expected for reason in reasons.values()):
        tally.wrong += 1
        tally.note(race_number, f"expected {expected}, got {reasons}")
    if race.problems:
        tally.errors += 1
        tally.note(race_number, "; ".join(race.problems))


def race_once(kind: str, race_number: int, tally: Tally) -> None:
    """Sign in, then race the end of ``kind`` against page loads; count the outcome."""
    end, expected = KINDS[kind]
    race = sign_in()

    def end_it() -> None:
        time.sleep(random.uniform(0, END_JITTER))
        end(race.record_id)

    run_together(race, [partial(load_pages, race)] * PAGE_THREADS + [end_it])
    judge(race, expected, race_number, tally)


def run_races(kind: str, races: int, deadline: float | None = None) -> Tally:
    """Run ``races`` races of one kind of end (fewer if ``deadline`` passes)."""
    tally = Tally()
    started = time.perf_counter()
    with race_settings():
        for number in range(1, races + 1):
            if deadline is not None and time.monotonic() > deadline:
                break
            try:
                race_once(kind, number, tally)
            except Exception as exc:
                tally.errors += 1
                tally.note(number, f"race failed: {exc!r}")
            tally.races += 1
    tally.seconds = time.perf_counter() - started
    return tally


# --- the benchmark -------------------------------------------------------------------

POSTGRES = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "bankdemo_races",
    "USER": "postgres",
    "HOST": "127.0.0.1",
    "PORT": "5432",
    "TEST": {"NAME": "bankdemo_races"},
}
REDIS_DB = "redis://127.0.0.1:6379/13"


def setup(harness) -> None:
    """Django from tests.settings, on a PostgreSQL database of our own, seeded."""
    import os
    import sys

    os.environ["BENCH_REDIS_URL"] = REDIS_DB
    harness.BENCH_REDIS_URL = REDIS_DB
    sys.path.insert(0, str(harness.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    from django.conf import settings

    settings.DATABASES = {"default": POSTGRES}
    harness.setup_django()
    from bankdemo.banking.demo_data import seed

    seed()


def drop_database() -> None:
    from django.db import connection, connections

    connections.close_all()
    connection.creation.destroy_test_db("postgres", verbosity=0)


def print_row(engine: str, kind: str, tally: Tally) -> None:
    print(
        f"{engine:<6} {kind:<9} {tally.races:>6} {tally.revived:>8} {tally.wrong:>6} "
        f"{tally.errors:>7} {tally.seconds:>9.1f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--races", type=int, default=1000)
    parser.add_argument("--engine", choices=("db", "redis", "both"), default="both")
    parser.add_argument("--time-limit", type=float, default=1800.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.time_limit

    import harness

    setup(harness)
    engines = ("redis", "db") if args.engine == "both" else (args.engine,)
    clean, complete = True, True
    print(
        f"{'engine':<6} {'end':<9} {'races':>6} {'revived':>8} {'wrong':>6} "
        f"{'errors':>7} {'seconds':>9}"
    )
    try:
        for engine in engines:
            total = Tally()
            with harness.engine_settings(engine):
                for kind in KINDS:
                    tally = run_races(kind, args.races, deadline)
                    print_row(engine, kind, tally)
                    for example in tally.examples:
                        print(f"    {example}")
                    total.add(tally)
                    complete &= tally.races == args.races
            print_row(engine, "total", total)
            clean &= total.clean
    finally:
        drop_database()
    if not complete:
        print(f"stopped at the time limit ({args.time_limit:.0f} s)")
    return 0 if clean and complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
