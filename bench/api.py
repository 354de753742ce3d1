"""Cost of the API's token checks on an authenticated call.

One view, ``bankdemo.banking.api.AccountsView`` (what ``GET /api/accounts/``
serves: one query for the user's accounts), mounted five times side by side at
the same depth of the same URLconf, for the same user; only its authentication
differs:

- ``resolved``: the user already resolved (a fixed user, no check): the baseline;
- ``resolved again``: the very same, a second client: the A/A floor, the ratio
  two identical configurations show in this run on this machine;
- ``sessions_core``: the bearer access token through ``sessions_core.drf``
  (its family, its session's store entry read on every call, the policy's
  verdict, throttled activity): what the API does;
- ``DRF Token``: Django REST framework's own ``TokenAuthentication`` (one query
  for the token and its user): a peer that sees no session, no limits, no ends;
- ``user loaded``: the user loaded by its id on every call (one ORM query), the
  least any authentication that reads the database costs;
- ``store read only``: the user resolved, plus one read of the token's session
  entry from the store (``store.read``, nothing judged): the least any check that
  sees an end at once must do, so what ``sessions_core`` costs beyond it is the
  check's own work.

301 rounds of 10 calls of each configuration, one after another, the order
reversed each round, so that drift of the machine falls on all alike (short
rounds: a burst of another process's work spoils one round, not a whole
configuration); a ratio is taken within each round (neighbours in time) and
shown as the median and the 25th-75th percentile over the rounds, next to the
A/A floor measured the same way. On the db engine and on Redis. It also times the check
(``services.tokens.resolve``) on its own. Target: ``sessions_core`` <= 1.05x.

    BENCH_REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/api.py
"""

from __future__ import annotations

import os
import time

from harness import (
    Spread,
    engine_settings,
    interleaved_rounds,
    round_ratios,
    setup_django,
)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 301))
REQUESTS_PER_ROUND = int(os.environ.get("BENCH_PER_ROUND", 10))
BASE, FLOOR = "resolved", "resolved again"
CONFIGS = {  # name: path
    BASE: "/bench/resolved/",
    FLOOR: "/bench/resolved-again/",
    "sessions_core": "/bench/checked/",
    "DRF Token": "/bench/drf-token/",
    "user loaded": "/bench/loaded/",
    "store read only": "/bench/store-read/",
}


class FixedUser:
    """DRF authentication that signs every call in as one user, checking nothing:
    the user is already resolved."""

    user = None

    def authenticate(self, request):
        return FixedUser.user, None

    def authenticate_header(self, request):
        return "Bearer"


class LoadedUser(FixedUser):
    """The same, but the user is loaded from the database by its id on each call."""

    def authenticate(self, request):
        return type(FixedUser.user)._default_manager.get(pk=FixedUser.user.pk), None


class StoreReadOnly(FixedUser):
    """The resolved user, plus one read of a session's store entry (``digest``)."""

    digest = ""
    read = None  # sessions_core.store.read, once Django is set up

    def authenticate(self, request):
        StoreReadOnly.read(StoreReadOnly.digest)
        return FixedUser.user, None


def bench_urlpatterns():
    from django.urls import include, path
    from rest_framework.authentication import TokenAuthentication as DRFToken

    from bankdemo.banking.api import AccountsView
    from sessions_core.drf import TokenAuthentication

    def view(authentication):
        # The same view, the same (default) permission: IsAuthenticated.
        return AccountsView.as_view(authentication_classes=[authentication])

    views = {
        BASE: view(FixedUser),
        FLOOR: view(FixedUser),
        "sessions_core": view(TokenAuthentication),
        "DRF Token": view(DRFToken),
        "user loaded": view(LoadedUser),
        "store read only": view(StoreReadOnly),
    }
    return [
        *(path(CONFIGS[name].lstrip("/"), v) for name, v in views.items()),
        path("", include("bankdemo.urls")),  # /api/token/ for the sign-ins
    ]


urlpatterns: list = []  # filled in main(), once Django is set up


def timed(client, path: str, headers: dict, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        response = client.get(path, **headers)
        assert response.status_code == 200, (response.status_code, response.content)
    return time.perf_counter() - start


def sign_in(client) -> str:
    response = client.post(
        "/api/token/",
        {"username": "alice", "password": "demo-alice-2026"},
        "application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["access"]


def measure(engine: str) -> dict[str, list[float]]:
    """Seconds per call of each configuration, in each round."""
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from sessions_core import store
    from sessions_core.services.tokens import resolve

    StoreReadOnly.read = staticmethod(store.read)
    with engine_settings(engine):
        clients = {name: Client() for name in CONFIGS}
        drf_key = Token.objects.get_or_create(user=FixedUser.user)[0].key
        headers = {name: {} for name in CONFIGS}
        token = sign_in(clients["sessions_core"])
        headers["sessions_core"] = {"HTTP_AUTHORIZATION": "Bearer " + token}
        headers["DRF Token"] = {"HTTP_AUTHORIZATION": "Token " + drf_key}
        session = resolve(access_token=token, background=True).session
        StoreReadOnly.digest = session.digest  # the same entry the check reads

        def run(name: str, count: int) -> float:
            return timed(clients[name], CONFIGS[name], headers[name], count)

        return interleaved_rounds(
            run, CONFIGS, rounds=ROUNDS, per_round=REQUESTS_PER_ROUND
        )


def check_alone(engine: str) -> float:
    """Microseconds of the token check on its own (a background call: no write)."""
    from django.test import Client

    from sessions_core import store
    from sessions_core.services.tokens import resolve

    StoreReadOnly.read = staticmethod(store.read)
    with engine_settings(engine):
        token = sign_in(Client())
        count = 3000
        start = time.perf_counter()
        for _ in range(count):
            resolve(access_token=token, background=True)
        return (time.perf_counter() - start) / count * 1e6


def report(engine: str, samples: dict[str, list[float]]) -> None:
    floor = round_ratios(samples, FLOOR, BASE)
    print(f"\n{engine}: µs a call, median [p25-p75] of {ROUNDS} rounds")
    for name in CONFIGS:
        print(f"  {name:<15} {Spread.of(samples[name]).format(0, 1e6):>22}")
    print(f"  ratio to {BASE!r}, median [p25-p75] of the rounds' ratios:")
    print(f"  {'A/A floor':<15} {floor.format():>22}")
    for name in CONFIGS:
        if name in (BASE, FLOOR):
            continue
        ratio = round_ratios(samples, name, BASE)
        over = ratio.median - floor.median
        print(
            f"  {name:<15} {ratio.format():>22}   vs floor {floor.median:.3f}: "
            f"{over:+.3f}"
        )


def main() -> None:
    setup_django(extra_apps=("rest_framework.authtoken",))
    import sys

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import override_settings

    from bankdemo.banking.demo_data import seed

    urlpatterns[:] = bench_urlpatterns()
    settings.ROOT_URLCONF = sys.modules[__name__].__name__
    # The tests read key versions on every request; production trusts its copy 1 s.
    # (override_settings, not an assignment: sessions_core re-reads on its signal.)
    override_settings(
        SESSIONS_CORE_KEY_VERSION_TTL=1.0,
        SESSIONS_CORE_MAX_PER_USER=0,  # several tokens at once, none pushed out
    ).enable()
    settings.AXES_ENABLED = True
    seed()
    FixedUser.user = get_user_model().objects.get(username="alice")
    for engine in ("db", "redis"):
        report(engine, measure(engine))
    print()
    for engine in ("db", "redis"):
        print(f"token check alone ({engine}): {check_alone(engine):.1f} µs a call")
    print(
        f"(GET the same AccountsView {len(CONFIGS)} ways; {REQUESTS_PER_ROUND} calls "
        "a round; target sessions_core <= 1.05x; the A/A floor shows the noise)"
    )


if __name__ == "__main__":
    main()
