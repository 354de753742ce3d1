"""Cost of sessions_core's middleware on an authenticated GET.

The same page is fetched, in one run, through the full middleware stack
(``with``), a second time through it by another client (``again``: the A/A
floor), and through the stack without SessionLifetimeMiddleware (``without``),
on the db engine and on Redis. 301 short rounds of 10 requests each, the order
reversed every round; a ratio is taken within each round (neighbours in time, so
a burst of another process's work spoils one round, not a configuration) and
shown as the median and 25th-75th percentile of the rounds' ratios. It also times
the middleware's own work (process_view + response) in isolation, and prints it
as a share of the page. Target (issue 13): with/without <= the A/A ratio + 0.01.

    BENCH_REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/middleware.py
"""

from __future__ import annotations

import os
import time
from statistics import median

from harness import (
    engine_settings,
    interleaved_rounds,
    round_ratios,
    setup_django,
)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 301))
REQUESTS_PER_ROUND = int(os.environ.get("BENCH_PER_ROUND", 10))
LIFETIME = "sessions_core.middleware.SessionLifetimeMiddleware"


def timed(client, path: str, count: int, cpu: list[float]) -> float:
    """Wall seconds of ``count`` GETs; their CPU seconds (this thread's, which
    another process's load barely moves) are appended to ``cpu``."""
    start, start_cpu = time.perf_counter(), time.thread_time()
    for _ in range(count):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    cpu.append((time.thread_time() - start_cpu) / count)
    return time.perf_counter() - start


def measure(engine: str, path: str, user) -> tuple[dict, dict]:
    """Seconds per request of with, again (A/A) and without, in each round: wall
    clock, and this thread's CPU time."""
    from django.conf import settings
    from django.test import Client, override_settings

    stack = [m for m in settings.MIDDLEWARE if m != LIFETIME]
    with engine_settings(engine):
        clients = {"with": Client(), "again": Client(), "without": Client()}
        for client in clients.values():
            client.force_login(user)

        cpu: dict[str, list[float]] = {name: [] for name in clients}

        def run(name: str, count: int) -> float:
            if name == "without":
                with override_settings(MIDDLEWARE=stack):
                    return timed(clients[name], path, count, cpu[name])
            return timed(clients[name], path, count, cpu[name])

        wall = interleaved_rounds(
            run, clients, rounds=ROUNDS, per_round=REQUESTS_PER_ROUND
        )
        # Drop the warm-up's CPU figures, kept first, so rounds line up with wall.
        return wall, {name: values[-ROUNDS:] for name, values in cpu.items()}


def middleware_alone(user) -> float:
    """Microseconds of the middleware's own work on one signed-in request."""
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.http import HttpResponse
    from django.test import Client, RequestFactory
    from django.urls import resolve

    from sessions_core.middleware import SessionLifetimeMiddleware

    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    middleware = SessionLifetimeMiddleware(lambda request: HttpResponse())
    requests = []
    for _ in range(3000):
        request = RequestFactory().get("/")
        request.COOKIES["sessionid"] = cookie
        SessionMiddleware(lambda r: None).process_request(request)
        AuthenticationMiddleware(lambda r: None).process_request(request)
        assert request.user.is_authenticated  # loaded here, as any view would
        request.resolver_match = resolve("/")
        requests.append(request)
    start = time.perf_counter()
    for request in requests:
        request.sessions_core_verdict = request.sessions_core_end = None
        request.sessions_core_private = False
        middleware.process_view(request, None, (), {})
        middleware._finish(request, HttpResponse(), request.session.session_key)
    return (time.perf_counter() - start) / len(requests) * 1e6


def main() -> None:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import override_settings

    from bankdemo.banking.demo_data import seed

    # The tests read key versions on every request; production trusts its copy 1 s.
    # (override_settings, not an assignment: sessions_core re-reads on its signal.)
    override_settings(SESSIONS_CORE_KEY_VERSION_TTL=1.0).enable()
    seed()
    alice = get_user_model().objects.get(username="alice")
    pages = {
        "overview /": "/",
        "history /accounts/<id>/": f"/accounts/{alice.accounts.first().pk}/",
    }
    own = middleware_alone(alice)
    print(
        f"{'engine':<6} {'page':<24} {'clock':<5} {'with µs':>8} {'without µs':>10}  "
        f"{'with/without [p25-p75]':>23}  {'A/A [p25-p75]':>20}  {'margin':>6}"
    )
    pages_without = []
    for engine in ("db", "redis"):
        for label, path in pages.items():
            wall, cpu = measure(engine, path, alice)
            pages_without.append(median(wall["without"]))
            for clock, samples in (("wall", wall), ("cpu", cpu)):
                ratio = round_ratios(samples, "with", "without")
                floor = round_ratios(samples, "again", "with")
                print(
                    f"{engine:<6} {label:<24} {clock:<5} "
                    f"{median(samples['with']) * 1e6:>8.0f} "
                    f"{median(samples['without']) * 1e6:>10.0f}  "
                    f"{ratio.format():>23}  {floor.format():>20}  "
                    f"{ratio.median - floor.median:>+6.3f}"
                )
    cheapest = min(pages_without) * 1e6
    print(
        f"middleware's own work: {own:.1f} µs a request (db), "
        f"{own / cheapest:.1%} of the cheapest page ({cheapest:.0f} µs)"
    )
    print(
        f"(rounds' ratios over {ROUNDS} rounds x {REQUESTS_PER_ROUND} requests; "
        "margin = ratio - A/A, target <= +0.010; cpu: this thread's CPU time)"
    )


if __name__ == "__main__":
    main()
