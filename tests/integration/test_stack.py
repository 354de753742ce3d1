"""The production shape, for real: scripts/stack.sh with nginx (TLS), two daphne
processes, a Celery worker and beat, on a redis-server of the test's own and a
throwaway PostgreSQL database (created by the script, dropped here).

Everything goes through nginx as a browser would: HTTPS with cookies and CSRF,
websockets over TLS (the certificate is the stack's self-signed one).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import websockets

from tests import outage_redis
from tests.conftest import require

pytestmark = [pytest.mark.redis, pytest.mark.stack, pytest.mark.timeout(90)]

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
COOKIE = "__Host-sessionid"  # DEBUG is off in the stack
INSECURE = ssl._create_unverified_context()  # the stack's self-signed certificate


def free_range(count: int) -> int:
    """A base port whose next ``count`` ports are free."""
    for _ in range(50):
        base = outage_redis.free_port()
        if base + count > 65000:
            continue
        ports = [base + i for i in range(1, count + 1)]
        if all(_port_free(port) for port in ports):
            return base
    raise RuntimeError("no free port range")


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _postgres(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(f"{POSTGRES}/{dbname}", connect_timeout=3, autocommit=True)


class Stack:
    def __init__(self, directory: Path, redis: outage_redis.PrivateRedis, db: str):
        self.directory = directory
        self.redis = redis
        self.db = db
        self.port = outage_redis.free_port()
        self.asgi_base = free_range(2)
        self.base = f"https://127.0.0.1:{self.port}"
        self.log = directory / "stack.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bankdemo.settings",
            "BIN": str(ROOT / ".venv" / "bin"),
            "STACK_DIR": str(self.directory),
            "STACK_PORT": str(self.port),
            "ASGI_PORT_BASE": str(self.asgi_base),
            "ASGI_PROCESSES": "2",
            "CELERY_WORKERS": "1",
            "CELERY_CONCURRENCY": "1",
            "REDIS_URL": self.redis.url(),
            "DATABASE_URL": f"{POSTGRES}/{self.db}",
            "STACK_MAX_TABS": "200",
            # Warned 5 s after the last activity: a rolling restart must lose none.
            "SESSION_IDLE_TIMEOUT": "40",
            "SESSION_STAFF_IDLE_TIMEOUT": "40",
            "SESSION_WARNING_LEAD": "35",
        }
        env.pop("DJANGO_SECRET_KEY", None)
        self.process = subprocess.Popen(
            ["bash", "scripts/stack.sh"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while ": ready: " not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not start:\n{self.output()}")
            time.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def pid(self, slot: str) -> int:
        return int((self.directory / "run" / f"{slot}.pid").read_text())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(45)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        # Whatever the script could not stop, stop here: nothing may be left.
        for pidfile in (self.directory / "run").glob("*.pid"):
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text()), signal.SIGKILL)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for binary in ("nginx", "openssl"):
        if not (shutil.which(binary) or Path(f"/usr/sbin/{binary}").exists()):
            require(binary, f"not installed (apt-get install {binary})")
    if not outage_redis.available():
        require("redis-server", "not on PATH (apt-get install redis-server)")
    try:
        _postgres().close()
    except Exception as exc:
        require("PostgreSQL", f"{POSTGRES}: {exc}")
    directory = tmp_path_factory.mktemp("stack")
    redis = outage_redis.PrivateRedis(directory / "redis")
    redis.start()
    db = f"bankdemo_stack_test_{os.getpid()}"
    running = Stack(directory, redis, db)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        redis.stop()
        with _postgres() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


# --- a browser, roughly ------------------------------------------------------------


class Browser:
    """HTTPS with a cookie jar, through nginx."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=INSECURE),
            urllib.request.HTTPCookieProcessor(self.jar),
        )

    def get(self, path: str, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, headers=headers or {})
        return self._open(request)

    def post(self, path: str, data: dict):
        form = {"csrfmiddlewaretoken": self.csrf_token(path), **data}
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(form, doseq=True).encode(),
            headers={"Origin": self.base, "Referer": self.base + path},
        )
        return self._open(request)

    def _open(self, request):
        try:
            response = self.opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        response.text = response.read().decode()
        return response

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        return match.group(1) if match else self.cookie("__Host-csrftoken")

    def cookie(self, name: str) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == name)

    def sign_in(self, username: str, password: str) -> Browser:
        page = self.post("/login/", {"username": username, "password": password})
        assert urllib.parse.urlparse(page.url).path == "/", page.text[:300]
        return self

    def signed_in(self) -> bool:
        page = self.get("/")
        return page.status == 200 and "/login/" not in page.url


class Tab:
    """One open page's websocket, which reconnects as the page's script does."""

    def __init__(self, base: str, cookie: str):
        self.url = base.replace("https://", "wss://") + "/ws/session/"
        self.origin = base
        self.cookie = cookie
        self.socket = None
        self.frames: list[dict] = []

    async def connect(self) -> dict:
        self.socket = await websockets.connect(
            self.url,
            ssl=INSECURE,
            origin=websockets.Origin(self.origin),
            additional_headers={"Cookie": f"{COOKIE}={self.cookie}"},
            open_timeout=5,
        )
        return await self.receive("state")

    async def receive(self, kind: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {kind!r} in {timeout} s; saw {self.frames}")
            frame = json.loads(await asyncio.wait_for(self.socket.recv(), remaining))
            self.frames.append(frame)
            if frame["type"] == kind:
                return frame

    async def back_within(self, seconds: float) -> bool:
        """Ping; if the socket dropped, reconnect as the page does. True if it had
        to reconnect. Raises if the tab is not back (a state frame) in time."""
        deadline = time.monotonic() + seconds
        try:
            await self.socket.send(json.dumps({"type": "ping"}))
            await self.receive("pong", timeout=2)
            return False
        except (websockets.ConnectionClosed, TimeoutError):
            pass
        while True:
            try:
                await self.connect()
                return True
            except (OSError, websockets.InvalidStatus, websockets.InvalidHandshake):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)  # the page backs off; not for long here


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def direct(stack: Stack, path: str, headers: dict) -> int:
    """A request straight to the second daphne (the first was killed), as nginx
    would send it."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.asgi_base + 2}{path}", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- the tests -----------------------------------------------------------------------


def test_tabs_survive_a_dead_asgi_process_and_a_forced_sign_out_reaches_them(stack):
    alice = Browser(stack.base).sign_in("alice", "demo-alice-2026")
    bob = Browser(stack.base).sign_in("bob", "demo-bob-2026")
    admin = Browser(stack.base).sign_in("admin", "demo-admin-2026")
    ends = "bankdemo_session_ends_total{" + 'reason="admin"}'
    admin_ends_before = metric(admin.get("/metrics").text, ends)

    async def scenario() -> dict:
        tabs = {
            name: [Tab(stack.base, browser.cookie(COOKIE)) for _ in range(4)]
            for name, browser in (("alice", alice), ("bob", bob))
        }
        for tab in tabs["alice"] + tabs["bob"]:
            await tab.connect()
        # least_conn spreads the eight sockets over both processes.
        os.kill(stack.pid("asgi1"), signal.SIGKILL)
        killed = time.monotonic()
        await asyncio.sleep(0.3)  # nginx notices the dead upstream and drops them
        reconnected = await asyncio.gather(
            *(tab.back_within(5) for tab in tabs["alice"] + tabs["bob"])
        )
        back = time.monotonic() - killed

        bob_pk = user_pk(stack, "bob")
        started = time.monotonic()
        done = await asyncio.to_thread(
            admin.post,
            "/admin/auth/user/",
            {
                "action": "force_sign_out_all",
                "_selected_action": [bob_pk],
                "confirmed": "yes",
            },
        )
        assert done.status == 200, done.text[:300]
        expired = await asyncio.gather(
            *(tab.receive("expired", timeout=2) for tab in tabs["bob"])
        )
        heard = time.monotonic() - started
        # Alice's tabs hear nothing of it.
        for tab in tabs["alice"]:
            await tab.socket.send(json.dumps({"type": "ping"}))
            await tab.receive("pong", timeout=2)
        for tab in tabs["alice"] + tabs["bob"]:
            await tab.socket.close()
        return {
            "reconnected": sum(reconnected),
            "back": back,
            "expired": expired,
            "heard": heard,
            "alice_frames": [f["type"] for t in tabs["alice"] for f in t.frames],
        }

    result = asyncio.run(scenario())
    print(
        f"\n{result['reconnected']} of 8 tabs reconnected, all back "
        f"{result['back']:.2f} s after the kill; bob's tabs told "
        f"{result['heard']:.3f} s after the admin's POST began"
    )
    assert result["reconnected"] >= 1, "no tab was on the killed process"
    assert result["back"] < 5
    assert alice.signed_in()
    assert {frame["reason"] for frame in result["expired"]} == {"admin"}
    assert result["heard"] < 1.0
    assert "expired" not in result["alice_frames"]
    assert not bob.signed_in()
    # The end is counted once, by the process that ended it, in the machine's sum.
    scraped = admin.get("/metrics")
    assert scraped.status == 200
    assert metric(scraped.text, ends) == admin_ends_before + 1
    # The script starts the dead process again.
    deadline = time.monotonic() + 10
    while ": asgi1 (pid " not in stack.output():
        assert time.monotonic() < deadline, stack.output()
        time.sleep(0.2)


def user_pk(stack: Stack, username: str) -> int:
    with _postgres(stack.db) as conn:
        query = "SELECT id FROM auth_user WHERE username = %s"
        return conn.execute(query, [username]).fetchone()[0]


def test_metrics_are_refused_to_a_client_nginx_did_not_see_on_loopback(stack):
    # What nginx appends is the last address; a client's own header stays left.
    assert direct(stack, "/metrics", {"X-Forwarded-For": "203.0.113.9"}) == 403
    assert direct(stack, "/metrics", {"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}) == (
        403
    )
    spoofed = Browser(stack.base).get("/metrics", {"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status == 200  # nginx saw 127.0.0.1, and appended it
    assert direct(stack, "/healthz", {}) == 200


def test_a_rolling_restart_signs_nobody_out_and_loses_no_warning(stack):
    alice = Browser(stack.base).sign_in("alice", "demo-alice-2026")
    warned_by = time.monotonic() + 5  # SESSION_IDLE_TIMEOUT - SESSION_WARNING_LEAD

    def restarted() -> bool:  # the workers and beat restart after the servers
        return ": rolling restart: servers back" in stack.output()

    async def through_the_restart(tab: Tab) -> int:
        """Keep the tab open, reconnecting as the page does, until every server
        process has restarted and the tab's current connection has been warned. The
        warning may come before the restart reaches the tab's process (a slow
        machine): then the reconnected tab must be warned again."""
        reconnects, since = 0, 0  # frames[since:] came on the current connection
        while not (
            restarted() and any(f["type"] == "warning" for f in tab.frames[since:])
        ):
            assert time.monotonic() < warned_by + 30, (tab.frames, stack.output())
            try:
                await tab.receive("warning", timeout=0.5)
            except TimeoutError:
                continue
            except websockets.ConnectionClosed:
                reconnects += 1
                since = len(tab.frames)
                await tab.back_within(5)
        return reconnects

    async def scenario() -> list[int]:
        tabs = [Tab(stack.base, alice.cookie(COOKIE)) for _ in range(4)]
        for tab in tabs:
            await tab.connect()
        stack.process.send_signal(signal.SIGUSR1)
        reconnects = await asyncio.gather(*(through_the_restart(tab) for tab in tabs))
        assert not [f for tab in tabs for f in tab.frames if f["type"] == "expired"]
        for tab in tabs:
            await tab.socket.close()
        return reconnects

    reconnects = asyncio.run(scenario())
    deadline = time.monotonic() + 45
    while ": rolling restart done" not in stack.output():
        assert time.monotonic() < deadline, stack.output()
        time.sleep(0.2)
    print(f"\nreconnects per tab during the rolling restart: {reconnects}")
    assert sum(reconnects) >= 4, "every tab's process restarted: each reconnected"
    assert alice.signed_in()
    # Open sockets are per server process: the restarted ones, not the stopped
    # ones, nor the workers, beat or the one-off commands of the start.
    run = stack.directory / "run"
    servers = {(run / f"asgi{n}.pid").read_text().strip() for n in (1, 2)}
    scraped = Browser(stack.base).get("/metrics")
    assert scraped.status == 200
    reported = set(
        re.findall(r'^bankdemo_open_sockets\{pid="(\d+)"\}', scraped.text, re.M)
    )
    assert reported, "the restarted servers report their sockets"
    assert reported <= servers, (reported, servers)


def test_readyz_names_redis_while_it_is_down_and_recovers_without_a_restart(stack):
    browser = Browser(stack.base)
    deadline = time.monotonic() + 10
    while (ready := browser.get("/readyz")).status != 200:
        assert time.monotonic() < deadline, ready.text
        time.sleep(0.2)
    alice = Browser(stack.base).sign_in("alice", "demo-alice-2026")
    stack.redis.kill()
    try:
        # Each process keeps its verdict for up to 1 s, so one may predate the kill
        # (or have seen the Celery ping fail first): within a few seconds it is a
        # 503 naming redis, and past the other process's 1 s, every answer is.
        deadline = time.monotonic() + 5
        while "redis" not in json.loads(body := browser.get("/readyz").text)["down"]:
            assert time.monotonic() < deadline, body
            time.sleep(0.2)
        time.sleep(1.2)
        for _ in range(2):  # least_conn: both processes, most likely
            page = browser.get("/readyz")
            assert page.status == 503
            assert {"redis", "channel_layer", "celery"} <= set(
                json.loads(page.text)["down"]
            )
        assert browser.get("/healthz").status == 200  # the process still answers
    finally:
        stack.redis.start()  # empty, on the same port
    deadline = time.monotonic() + 30
    while (page := browser.get("/readyz")).status != 200:
        assert time.monotonic() < deadline, (page.text, stack.output()[-2000:])
        time.sleep(0.5)
    # Redis came back empty: alice's session is gone, and she is told so, not
    # "keys rotated" nor a bare sign-in page; she can sign in again at once.
    login = alice.get("/")
    assert urllib.parse.urlparse(login.url).path == "/login/", login.text[:300]
    assert 'data-session-end-reason="store_lost"' in login.text
    assert alice.sign_in("alice", "demo-alice-2026").signed_in()
