"""Load through nginx: page views, transfers and open tabs, 1 ASGI process vs N.

Starts the production shape (scripts/stack.sh) on a redis-server of its own and a
PostgreSQL database ``bankdemo_load`` (created by the script, dropped at the end),
once per process count, and drives it with Locust as a library, headless, for a
bounded time: ``--clients`` browsing users (overview, history, the transfer form
and a transfer of £1 between their own accounts, in a closed loop with
``--think`` seconds between steps) and ``--tabs`` open websockets that stay open,
each pinging every ``--ping-every`` seconds. Prints throughput, p50/p99 and errors
for each process count side by side.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/load.py                        # 200 tabs, 20 clients
    .venv/bin/python bench/load.py --tabs 2000 --clients 100 --duration 60

Needs nginx, openssl, redis-server and PostgreSQL on 127.0.0.1:5432 (user
postgres), as make stack does. Locust runs in this process on the same machine:
on 2 cores it takes its share of the CPU the server would otherwise have.
"""

# ruff: noqa: I001  (Locust must be imported first, see below)
from __future__ import annotations

import sys
from pathlib import Path

# bench/websockets.py would shadow the library of that name (bench/harness.py).
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in {_HERE, ""}]
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Locust patches the standard library for gevent (ssl, socket): import it first.
import gevent  # noqa: E402
from locust import HttpUser, User, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.stats import StatsEntry  # noqa: E402

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import urllib3  # noqa: E402
import websocket  # noqa: E402  (websocket-client: gevent-friendly)

from tests import outage_redis  # noqa: E402

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
DB = "bankdemo_load"
COOKIE = "__Host-sessionid"
CUSTOMERS = (("alice", "demo-alice-2026"), ("bob", "demo-bob-2026"))
HTTP_NAMES = ("GET /", "GET /accounts/[id]/", "GET /transfer/", "POST /transfer/")


class Shape:
    """scripts/stack.sh with ``processes`` daphne processes, stopped on exit."""

    def __init__(self, directory: Path, redis_url: str, processes: int, port: int):
        self.directory, self.redis_url, self.processes = directory, redis_url, processes
        self.port = port
        self.base = f"https://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Shape:
        log = (self.directory / f"stack-{self.processes}.log").open("w")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bankdemo.settings",
            "BIN": str(ROOT / ".venv" / "bin"),
            "STACK_DIR": str(self.directory / "stack"),
            "STACK_PORT": str(self.port),
            "ASGI_PORT_BASE": str(outage_redis.free_port()),
            "ASGI_PROCESSES": str(self.processes),
            "REDIS_URL": self.redis_url,
            "DATABASE_URL": f"{POSTGRES}/{DB}",
            # Many browsing clients share the two customers' sessions.
            "SESSION_MAX_PER_USER": "0",
            "STACK_MAX_TABS": "5000",
        }
        self.process = subprocess.Popen(
            ["bash", "scripts/stack.sh"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        text = ""
        deadline = time.monotonic() + 90
        while ": ready: " not in text:
            time.sleep(0.3)
            text = (self.directory / f"stack-{self.processes}.log").read_text()
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the stack did not start:\n{text}")
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)


# --- Locust users --------------------------------------------------------------------

SESSIONS: list[dict] = []  # signed-in sessions: cookie, csrf cookie, account ids


def sign_in_sessions(base: str, count: int) -> None:
    """Sign ``count`` sessions in before the load (password hashing is slow on
    purpose, and not what this measures)."""
    import requests

    SESSIONS.clear()
    for index in range(count):
        username, password = CUSTOMERS[index % len(CUSTOMERS)]
        http = requests.Session()
        # Not trust_env: REQUESTS_CA_BUNDLE in the environment would override verify.
        http.verify, http.trust_env = False, False
        page = http.get(base + "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        done = http.post(
            base + "/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Origin": base, "Referer": base + "/login/"},
        )
        accounts = sorted(set(re.findall(r"/accounts/(\d+)/", done.text)))
        assert len(accounts) >= 2, done.text[:500]
        SESSIONS.append({"cookies": http.cookies.get_dict(), "accounts": accounts})


class Browsing(HttpUser):
    """A customer using the bank: pages and transfers between their accounts."""

    fixed_count = 20
    wait_time = between(0, 0.2)
    counter = itertools.count()

    def on_start(self) -> None:
        self.client.verify, self.client.trust_env = False, False
        mine = SESSIONS[next(self.counter) % len(SESSIONS)]
        self.accounts = mine["accounts"]
        for name, value in mine["cookies"].items():
            self.client.cookies.set(name, value)

    @task(4)
    def overview(self) -> None:
        self.client.get("/", name="GET /")

    @task(4)
    def history(self) -> None:
        account = random.choice(self.accounts)
        self.client.get(f"/accounts/{account}/", name="GET /accounts/[id]/")

    @task(2)
    def transfer(self) -> None:
        form = self.client.get("/transfer/", name="GET /transfer/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        transfer_id = re.search(r'name="transfer_id" value="([^"]+)"', form.text)
        if not (token and transfer_id):
            return
        source, target = random.sample(self.accounts, 2)
        with self.client.post(
            "/transfer/",
            name="POST /transfer/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "source": source,
                "target": target,
                "amount": "1.00",
                "reference": "load",
                "transfer_id": transfer_id.group(1),
            },
            headers={"Origin": self.host, "Referer": self.host + "/transfer/"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"transfer answered {response.status_code}")


class Tab(User):
    """An open page: its websocket stays open and pings now and then."""

    fixed_count = 200
    ping_every = 20.0
    counter = itertools.count()

    def on_start(self) -> None:
        mine = SESSIONS[next(self.counter) % len(SESSIONS)]
        self.ws = None
        url = self.host.replace("https://", "wss://") + "/ws/session/"
        started = time.perf_counter()
        error = None
        try:
            self.ws = websocket.create_connection(
                url,
                sslopt={"cert_reqs": ssl.CERT_NONE, "check_hostname": False},
                origin=self.host,
                header=[f"Cookie: {COOKIE}={mine['cookies'][COOKIE]}"],
                timeout=10,
            )
            frame = json.loads(self.ws.recv())
            if frame["type"] != "state":
                error = RuntimeError(f"first frame {frame}")
        except Exception as exc:
            error = exc
        self.fire("WS connect", started, error)

    def fire(self, name: str, started: float, error) -> None:
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )

    @task
    def stay_open(self) -> None:
        if self.ws is None:
            gevent.sleep(1)
            return
        gevent.sleep(random.uniform(0.5, 1) * self.ping_every)
        started = time.perf_counter()
        error = None
        try:
            self.ws.send(json.dumps({"type": "ping"}))
            while json.loads(self.ws.recv())["type"] != "pong":
                pass
        except Exception as exc:
            error = exc
        self.fire("WS ping", started, error)

    def on_stop(self) -> None:
        if self.ws is not None:
            self.ws.close()


# --- one run -----------------------------------------------------------------------


def run(base: str, *, clients: int, tabs: int, duration: float) -> dict:
    Browsing.fixed_count, Tab.fixed_count = clients, tabs
    Browsing.host = Tab.host = base
    env = Environment(user_classes=[Browsing, Tab], events=events)
    runner = env.create_local_runner()
    # Every tab open before the measured window starts.
    runner.start(clients + tabs, spawn_rate=100)
    spawned = time.monotonic()
    while runner.user_count < clients + tabs and time.monotonic() - spawned < 60:
        gevent.sleep(0.2)
    gevent.sleep(1)
    connects = env.stats.get("WS connect", "WS")
    connect = {
        "count": connects.num_requests,
        "fails": connects.num_failures,
        "p50": connects.get_response_time_percentile(0.5),
        "p99": connects.get_response_time_percentile(0.99),
    }
    env.stats.reset_all()  # measure the steady state, tabs open
    started = time.monotonic()
    gevent.sleep(duration)
    elapsed = time.monotonic() - started
    http = StatsEntry(env.stats, "HTTP", "")
    rows = {}
    for name in HTTP_NAMES:
        entry = env.stats.entries.get((name, name.split()[0]))
        if entry is not None:
            http.extend(entry)
            rows[name] = entry
    ping = env.stats.entries.get(("WS ping", "WS"))
    # Tabs whose handshake was still queued when the window opened finish in it.
    late = env.stats.entries.get(("WS connect", "WS"))
    if late is not None:
        connect["count"] += late.num_requests
        connect["fails"] += late.num_failures
    errors = sum(entry.num_failures for entry in env.stats.entries.values())
    result = {
        "rps": http.num_requests / elapsed,
        "p50": http.get_response_time_percentile(0.5),
        "p99": http.get_response_time_percentile(0.99),
        "requests": http.num_requests,
        "errors": errors,
        "connect": connect,
        "ping_p99": ping.get_response_time_percentile(0.99) if ping else None,
        "transfer_p99": rows["POST /transfer/"].get_response_time_percentile(0.99)
        if "POST /transfer/" in rows
        else None,
        "failures": {
            f"{e.method} {e.name}: {e.error}"[:160]: e.occurrences
            for e in env.stats.errors.values()
        },
    }
    runner.quit()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=2, help="N, against 1")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--tabs", type=int, default=200)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--think", type=float, default=0.2, help="max seconds")
    parser.add_argument("--ping-every", type=float, default=20.0)
    args = parser.parse_args()
    Browsing.wait_time = between(0, args.think)
    Tab.ping_every = args.ping_every

    import psycopg

    results = {}
    with tempfile.TemporaryDirectory(prefix="bankdemo-load-") as tmp:
        directory = Path(tmp)
        redis = outage_redis.PrivateRedis(directory / "redis")
        redis.start()
        try:
            for processes in (1, args.processes):
                redis.client().flushall()
                port = outage_redis.free_port()
                with Shape(directory, redis.url(), processes, port) as shape:
                    sign_in_sessions(shape.base, args.sessions)
                    results[processes] = run(
                        shape.base,
                        clients=args.clients,
                        tabs=args.tabs,
                        duration=args.duration,
                    )
        finally:
            redis.stop()
            with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')

    print(
        f"\n{args.clients} browsing clients (think 0-{args.think} s), {args.tabs} open "
        f"tabs, {args.duration:.0f} s measured, through nginx (TLS), PostgreSQL pool"
    )
    print(f"{'':28}" + "".join(f"{f'{n} ASGI':>14}" for n in results))
    lines = (
        ("HTTP requests/s", lambda r: f"{r['rps']:.1f}"),
        ("HTTP p50 ms", lambda r: f"{r['p50']:.0f}"),
        ("HTTP p99 ms", lambda r: f"{r['p99']:.0f}"),
        ("transfer p99 ms", lambda r: f"{r['transfer_p99'] or 0:.0f}"),
        ("errors (all kinds)", lambda r: f"{r['errors']}"),
        ("tabs opened / failed", lambda r: "{count}/{fails}".format(**r["connect"])),
        ("connect p50/p99 ms *", lambda r: "{p50:.0f}/{p99:.0f}".format(**r["connect"])),  # noqa: E501
        ("tab ping p99 ms", lambda r: f"{r['ping_p99'] or 0:.0f}"),
    )  # fmt: skip
    for label, show in lines:
        print(f"{label:28}" + "".join(f"{show(r):>14}" for r in results.values()))
    print("* of the handshakes done before the measured window")
    for processes, result in results.items():
        for failure, count in result["failures"].items():
            print(f"  {processes} ASGI: {count} x {failure}")


if __name__ == "__main__":
    main()
