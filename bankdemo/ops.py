"""What operators and load balancers ask every process: /healthz, /readyz, /metrics.

Answered by ``OpsMiddleware``, first in MIDDLEWARE: before the session middleware
(no session is read, none is needed, nothing counts as activity), before the SSL
redirect (nginx and scripts/stack.sh probe the processes over plain HTTP on
loopback) and before the host check (a probe may use any Host).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from sessions_core.request_info import client_ip

from . import metrics

logger = logging.getLogger(__name__)

# Each check gets this long (seconds); /readyz answers within about this much.
CHECK_TIMEOUT = 1.0
# Probes within this long share one verdict: a Celery ping is a broadcast.
READY_CACHE = 1.0


def _database() -> None:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # back to the pool: this thread is not a request's


def _redis() -> None:
    from django_redis import get_redis_connection

    get_redis_connection("default").ping()


def _channel_layer() -> None:
    import asyncio

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def send() -> None:
        # A group nobody is in: the layer's Redis round trip, no one is told.
        await asyncio.wait_for(
            layer.group_send("bankdemo.readyz", {"type": "readyz"}), CHECK_TIMEOUT
        )

    async_to_sync(send)()


def _celery() -> None:
    from bankdemo.celery import app

    # limit=1: back as soon as one worker answers (a few ms), else after the timeout.
    if not app.control.ping(timeout=CHECK_TIMEOUT, limit=1):
        raise RuntimeError("no worker answered a ping")


def _checks() -> dict:
    checks = {"database": _database}
    if settings.REDIS_URL:  # the embedded demo has neither (settings.py)
        checks |= {"redis": _redis, "channel_layer": _channel_layer, "celery": _celery}
    return checks


class Readiness:
    """The checks, run in parallel with a deadline, the verdict kept READY_CACHE s."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.at = 0.0
        self.verdict: dict[str, str] = {}
        # A check that hangs past its deadline keeps its thread, and no second run
        # of it starts until it returns (it stays "timeout" meanwhile): one stuck
        # thread per check at most, so a part that hangs never starves the pool
        # and turns the others' answers into "timeout" too.
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="readyz")
        self.running: dict[str, Future] = {}

    def __call__(self) -> dict[str, str]:
        with self.lock:
            if time.monotonic() - self.at > READY_CACHE:
                self.verdict = self._run()
                self.at = time.monotonic()
            return self.verdict

    def _run(self) -> dict[str, str]:
        futures, stuck = {}, set()
        for name, check in _checks().items():
            still = self.running.get(name)
            if still is None or still.done():
                still = self.running[name] = self.pool.submit(check)
            else:
                stuck.add(name)  # past an earlier probe's deadline: not waited for
            futures[name] = still
        wait(
            [f for name, f in futures.items() if name not in stuck],
            timeout=CHECK_TIMEOUT + 0.5,
        )
        verdict = {}
        for name, future in futures.items():
            if not future.done():
                verdict[name] = "timeout"
            elif future.exception() is not None:
                error = future.exception()
                verdict[name] = f"{type(error).__name__}: {error}"[:200]
            else:
                verdict[name] = "ok"
        return verdict

    def reset(self) -> None:
        with self.lock:
            self.at = 0.0


readiness = Readiness()


def _json(body: dict, status: int) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return _json({"status": "ok"}, 200)


def readyz(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    down = sorted(name for name, outcome in checks.items() if outcome != "ok")
    if down:
        logger.warning("not ready: %s", ", ".join(down))
    return _json(
        {"status": "down" if down else "ready", "down": down, "checks": checks},
        503 if down else 200,
    )


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    # The client as nginx saw it (SESSIONS_CORE_TRUSTED_PROXIES), not as it says.
    ip = client_ip(request, settings.SESSIONS_CORE_TRUSTED_PROXIES)
    return ip is not None and ipaddress.ip_address(ip).is_loopback


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _may_scrape(request):
        return HttpResponse(
            "Metrics answer loopback clients, or Authorization: Bearer <token>.\n",
            status=403,
            content_type="text/plain",
        )
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)


ROUTES = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_view}


class OpsMiddleware:
    """Answer the operators' paths before anything reads a session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ROUTES.get(request.path_info.rstrip("/") or "/")
        if view is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        return view(request)
