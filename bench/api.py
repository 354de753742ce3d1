"""Cost of the API's token checks on an authenticated call.

``GET /api/accounts/`` with a bearer token (sessions_core.drf.TokenAuthentication:
the token's family, its session's store entry, the policy's verdict, throttled
activity) against the same view with ``AllowAny`` and a fixed user (no checks at
all), side by side in one run, in alternating rounds (the order flips each round)
so that drift hits both alike; on the db engine and on Redis. A second token
through the same checks gives the A/A ratio: the noise floor. It also times the
check (``services.tokens.resolve``) on its own. Target: ratio <= 1.05.

    BENCH_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/api.py
"""

from __future__ import annotations

import time

from harness import engine_settings, interleaved, setup_django

ROUNDS = 31
REQUESTS_PER_ROUND = 100
CHECKED, UNCHECKED = "/api/accounts/", "/bench/accounts/"
LOADED = "/bench/accounts-loaded/"


class FixedUser:
    """DRF authentication that signs every call in as one user, checking nothing."""

    user = None

    def authenticate(self, request):
        return FixedUser.user, None

    def authenticate_header(self, request):
        return "Bearer"


class LoadedUser(FixedUser):
    """The same, but the user is loaded from the database on each call, as any real
    authentication must: what the checks cost beyond that is the session's part."""

    def authenticate(self, request):
        return type(FixedUser.user)._default_manager.get(pk=FixedUser.user.pk), None


def urlpatterns_with_unchecked_view():
    from django.urls import include, path
    from rest_framework.permissions import AllowAny

    from bankdemo.banking.api import AccountsView

    unchecked = AccountsView.as_view(
        authentication_classes=[FixedUser], permission_classes=[AllowAny]
    )
    loaded = AccountsView.as_view(
        authentication_classes=[LoadedUser], permission_classes=[AllowAny]
    )
    return [
        path("bench/accounts/", unchecked),
        path("bench/accounts-loaded/", loaded),
        path("", include("bankdemo.urls")),
    ]


urlpatterns: list = []  # filled in main(), once Django is set up


def timed(client, path: str, headers: dict, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        response = client.get(path, **headers)
        assert response.status_code == 200, (response.status_code, response.content)
    return time.perf_counter() - start


def sign_in(client) -> dict:
    response = client.post(
        "/api/token/",
        {"username": "alice", "password": "demo-alice-2026"},
        "application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": "Bearer " + response.json()["access"]}


def measure(engine: str) -> tuple[float, float, float, float]:
    """Return seconds per call: with the checks, with them again (A/A), without,
    and without but with the user loaded."""
    from django.test import Client

    with engine_settings(engine):
        names = ("with", "again", "without", "loaded")
        clients = {name: Client() for name in names}
        runs = {
            "with": (CHECKED, sign_in(clients["with"])),
            "again": (CHECKED, sign_in(clients["again"])),
            "without": (UNCHECKED, {}),
            "loaded": (LOADED, {}),
        }

        def run(name: str, count: int) -> float:
            path, headers = runs[name]
            return timed(clients[name], path, headers, count)

        return interleaved(run, clients, rounds=ROUNDS, per_round=REQUESTS_PER_ROUND)


def check_alone(engine: str) -> float:
    """Microseconds of the token check on its own (a background call: no write)."""
    from django.test import Client

    from sessions_core.services.tokens import resolve

    with engine_settings(engine):
        token = sign_in(Client())["HTTP_AUTHORIZATION"].split()[1]
        count = 3000
        start = time.perf_counter()
        for _ in range(count):
            resolve(access_token=token, background=True)
        return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    setup_django()
    import sys

    from django.conf import settings
    from django.contrib.auth import get_user_model

    from bankdemo.banking.demo_data import seed

    urlpatterns[:] = urlpatterns_with_unchecked_view()
    settings.ROOT_URLCONF = sys.modules[__name__].__name__
    # The tests read key versions on every request; production trusts its copy 1 s.
    settings.SESSIONS_CORE_KEY_VERSION_TTL = 1.0
    settings.SESSIONS_CORE_MAX_PER_USER = 0  # three tokens at once, none pushed out
    settings.AXES_ENABLED = True
    seed()
    FixedUser.user = get_user_model().objects.get(username="alice")
    print(
        f"{'engine':<6} {'with µs':>8} {'without µs':>10} {'ratio':>6} {'A/A':>6} "
        f"{'user-loaded µs':>14} {'ratio':>6}"
    )
    for engine in ("db", "redis"):
        with_s, again_s, without_s, loaded_s = measure(engine)
        ratio, noise = with_s / without_s, again_s / with_s
        print(
            f"{engine:<6} {with_s * 1e6:>8.0f} {without_s * 1e6:>10.0f} "
            f"{ratio:>6.3f} {noise:>6.3f} {loaded_s * 1e6:>14.0f} "
            f"{with_s / loaded_s:>6.3f}"
        )
    for engine in ("db", "redis"):
        print(f"token check alone ({engine}): {check_alone(engine):.1f} µs a call")
    print(
        f"(GET {CHECKED} vs the same view unchecked; medians of {ROUNDS} rounds x "
        f"{REQUESTS_PER_ROUND} calls; target ratio <= 1.05; A/A shows the noise)"
    )


if __name__ == "__main__":
    main()
