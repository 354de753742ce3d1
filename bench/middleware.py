"""Cost of sessions_core's middleware on an authenticated GET.

The same page is fetched, in one run, through the full middleware stack and
through the stack without SessionLifetimeMiddleware, in alternating rounds (the
order flips each round) so that drift hits both alike; on the db engine and on
Redis. A second client through the full stack gives an A/A ratio: the noise floor.
It also times the middleware's own work (process_view + response) in isolation.
Target: ratio (with / without) <= 1.05.
"""

from __future__ import annotations

import time

from harness import engine_settings, interleaved, setup_django

ROUNDS = 31
REQUESTS_PER_ROUND = 100
LIFETIME = "sessions_core.middleware.SessionLifetimeMiddleware"


def timed(client, path: str, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    return time.perf_counter() - start


def measure(engine: str, path: str, user) -> tuple[float, float, float]:
    """Return seconds per request: with, with again (A/A), without."""
    from django.conf import settings
    from django.test import Client, override_settings

    stack = [m for m in settings.MIDDLEWARE if m != LIFETIME]
    with engine_settings(engine):
        clients = {"with": Client(), "again": Client(), "without": Client()}
        for client in clients.values():
            client.force_login(user)

        def run(name: str, count: int) -> float:
            if name == "without":
                with override_settings(MIDDLEWARE=stack):
                    return timed(clients[name], path, count)
            return timed(clients[name], path, count)

        return interleaved(run, clients, rounds=ROUNDS, per_round=REQUESTS_PER_ROUND)


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
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from bankdemo.banking.demo_data import seed

    # The tests read key versions on every request; production trusts its copy 1 s.
    settings.SESSIONS_CORE_KEY_VERSION_TTL = 1.0
    seed()
    alice = get_user_model().objects.get(username="alice")
    pages = {
        "overview /": "/",
        "history /accounts/<id>/": f"/accounts/{alice.accounts.first().pk}/",
    }
    print(
        f"{'engine':<6} {'page':<24} {'with µs':>8} {'without µs':>10} "
        f"{'ratio':>6} {'A/A':>6}"
    )
    for engine in ("db", "redis"):
        for label, path in pages.items():
            with_s, again_s, without_s = measure(engine, path, alice)
            ratio, noise = with_s / without_s, again_s / with_s
            print(
                f"{engine:<6} {label:<24} {with_s * 1e6:>8.0f} "
                f"{without_s * 1e6:>10.0f} {ratio:>6.3f} {noise:>6.3f}"
            )
    print(f"middleware's own work: {middleware_alone(alice):.1f} µs per request (db)")
    print(
        f"(medians of {ROUNDS} rounds x {REQUESTS_PER_ROUND} requests; "
        "target ratio <= 1.05; A/A shows the noise)"
    )


if __name__ == "__main__":
    main()
