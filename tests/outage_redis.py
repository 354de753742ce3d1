"""A private redis-server for outage tests: paused, killed and restarted at will.

Never the machine's Redis: each instance has its own free port, its own directory
and no persistence, and is always stopped by whoever started it.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

BINARY = "redis-server"


def available() -> bool:
    return shutil.which(BINARY) is not None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """One redis-server on 127.0.0.1:``port``, started empty each time; or, with
    ``persistent``, writing every command to an append-only file fsynced before it
    answers, and loading it again when started on the same directory."""

    def __init__(
        self, directory: Path, port: int | None = None, *, persistent: bool = False
    ):
        self.directory = directory
        self.persistent = persistent
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.paused = False

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10.0) -> None:
        """Start the server on this port and wait until it answers PING (after
        loading its append-only file, when persistent)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        append = ["yes", "--appendfsync", "always"] if self.persistent else ["no"]
        self.process = subprocess.Popen(
            [
                BINARY,
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--save", "",
                "--appendonly", *append,
                "--dir", str(self.directory),
                "--daemonize", "no",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.paused = False
        # No retries with backoff: a refused connection must fail at once.
        client = redis.Redis(
            port=self.port, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"redis-server exited with {self.process.returncode} "
                        f"(port {self.port} taken?)"
                    )
                try:
                    if client.ping():  # LOADING while it reads its file: an error
                        return
                except redis.exceptions.RedisError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server did not answer on {self.port}")
                time.sleep(0.005)
        finally:
            client.close()

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(db), socket_timeout=2)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open, nothing answers."""
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        """Thaw it (SIGCONT), with every key it had."""
        self.process.send_signal(signal.SIGCONT)
        self.paused = False

    def kill(self) -> None:
        """kill -9: the data is gone with the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.paused = False

    def restart_empty(self) -> None:
        """Kill it and start a new, empty server on the same port."""
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if self.paused:
            self.resume()
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
