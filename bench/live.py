"""A live full stack for the benchmarks: one daphne process on Redis and SQLite.

The benchmark process configures Django with the same environment as the server,
so it can create signed-in sessions straight in the store (no password hashing),
and talk to the server over HTTP and websockets like a browser would.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import BENCH_REDIS_URL, ROOT

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveStack:
    """Environment, database and daphne process for one benchmark run."""

    def __init__(self, **env: str):
        self.dir = Path(tempfile.mkdtemp(prefix="bankdemo-bench-"))
        self.port = free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bankdemo.settings",
            "DJANGO_DEBUG": "0",
            # Plain local HTTP: no __Host- cookie prefix, no redirect to https.
            "DJANGO_HTTPS": "0",
            "DJANGO_SECRET_KEY": "bench-" + "k" * 50,
            "DATABASE_URL": f"sqlite:///{self.dir / 'bench.sqlite3'}",
            "REDIS_URL": BENCH_REDIS_URL,
            "SESSION_MAX_PER_USER": "0",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/session/"

    def setup_django(self) -> None:
        """Configure this process like the server, migrate and seed."""
        import redis

        os.environ.update(self.env)
        # The benchmark drives sockets from an event loop and calls the ORM
        # between awaits, as a script (not a server) may.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        sys.path.insert(0, str(ROOT))
        logging.getLogger("sessions_core").setLevel(logging.WARNING)
        redis.Redis.from_url(BENCH_REDIS_URL).flushdb()
        import django

        django.setup()
        logging.getLogger("sessions_core").setLevel(logging.WARNING)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115

    def start(
        self, application: str = "bankdemo.asgi:application", server: str = "daphne"
    ) -> None:
        """Serve ``application`` with ``server``: daphne, or uvicorn with the
        websockets library (one process, no reload, the same port)."""
        self.port = free_port()
        self.process = self.spawn(application, server, self.port)

    def spawn(
        self, application: str, server: str, port: int, log: str = "server.log"
    ) -> subprocess.Popen:
        """Start one server process on ``port`` and wait until it listens."""
        if server == "daphne":
            command = [str(VENV_BIN / "daphne"), "-b", "127.0.0.1"]
            command += ["-p", str(port), application]
        else:
            command = [str(VENV_BIN / "uvicorn"), "--ws", "websockets-sansio"]
            command += ["--host", "127.0.0.1", "--port", str(port)]
            command += ["--log-level", "warning", "--no-access-log", application]
        process = subprocess.Popen(
            command,
            env=self.env,
            cwd=ROOT,
            stdout=open(self.dir / log, "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return process
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{server} did not start; see {self.dir / log}")

    def stop(self, *, flush: bool = True) -> None:
        import redis

        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
        if flush:
            redis.Redis.from_url(BENCH_REDIS_URL).flushdb()

    async def probe(self, query: str = "") -> dict:
        """What the server measured itself (bench/probe.py must be the app)."""
        import json
        import urllib.request

        def fetch():
            url = f"{self.url}/bench-probe/?{query}"
            with urllib.request.urlopen(url, timeout=30) as r:
                return json.load(r)

        return await asyncio.to_thread(fetch)

    def rss_kib(self) -> int:
        """Resident memory of the server process."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])


def make_users(count: int, prefix: str = "bench") -> list:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    users = []
    for index in range(count):
        user, _ = User.objects.get_or_create(username=f"{prefix}{index}")
        users.append(user)
    return users


def sign_in(user) -> str:
    """Create a signed-in session for ``user`` as a sign-in would; return its key."""
    from django.contrib.auth import login
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test import RequestFactory

    request = RequestFactory().get("/", HTTP_USER_AGENT="bench")
    SessionMiddleware(lambda r: None).process_request(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.save()
    return request.session.session_key


def restamp(session_key: str, *, signed_in: float, last_active: float) -> None:
    """Move a session's stamps (to schedule its warning at a chosen moment)."""
    from sessions_core import store
    from sessions_core.sessiondata import LAST_ACTIVE_KEY, SIGNED_IN_KEY

    session = store.session_store(session_key)
    session.load()
    session[SIGNED_IN_KEY] = signed_in
    session[LAST_ACTIVE_KEY] = last_active
    session.save()


async def open_socket(stack: LiveStack, session_key: str, port: int | None = None):
    from websockets.asyncio.client import connect

    url = stack.url if port is None else f"http://127.0.0.1:{port}"
    return await connect(
        url.replace("http", "ws", 1) + "/ws/session/",
        origin=url,
        additional_headers={"Cookie": f"sessionid={session_key}"},
        max_queue=None,
        ping_interval=None,
        open_timeout=60,
    )


async def open_sockets(
    stack: LiveStack,
    keys: list[str],
    concurrency: int = 50,
    ports: list[int] | None = None,
):
    """Open one socket per key, ``concurrency`` handshakes at a time; over
    ``ports`` in turn if given."""
    gate = asyncio.Semaphore(concurrency)

    async def one(index, key):
        async with gate:
            port = None if not ports else ports[index % len(ports)]
            return await open_socket(stack, key, port)

    return await asyncio.gather(*(one(i, key) for i, key in enumerate(keys)))
