"""Shared set-up for the benchmarks: Django with a throw-away database and Redis DB.

Benchmarks print figures measured side by side in one run; they are not tests and
CI does not run them. Run them with the project's virtualenv, e.g.
``.venv/bin/python bench/middleware.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)

# bench/websockets.py is named like the `websockets` library the benchmarks use:
# keep this folder last on the path, and work from the project root (Celery puts
# the working directory first on the path).
sys.path[:] = [p for p in sys.path if p not in {_HERE, ""}] + [_HERE]
os.chdir(ROOT)
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def setup_django(*, extra_apps: tuple[str, ...] = ()) -> None:
    """Configure Django from tests.settings (plus ``extra_apps``, e.g. a peer to
    compare with) and create a fresh test database."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.conf import settings

    if extra_apps:
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, *extra_apps]
    django.setup()
    from django.test.utils import setup_databases, setup_test_environment

    setup_test_environment(debug=False)
    setup_databases(verbosity=0, interactive=False)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(BENCH_REDIS_URL).flushdb()


@contextmanager
def engine_settings(engine: str):
    """Sessions in the database engine, or in Redis through django-redis."""
    from django.test import override_settings

    if engine == "db":
        with override_settings(SESSION_ENGINE="sessions_core.backends.db"):
            yield
        return
    flush_redis()
    caches = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": BENCH_REDIS_URL,
            "KEY_PREFIX": "bench",
        }
    }
    with override_settings(
        CACHES=caches, SESSION_ENGINE="sessions_core.backends.redis"
    ):
        yield
    flush_redis()


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0..100) of values, by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


def interleaved_rounds(
    run, names, *, rounds: int, per_round: int
) -> dict[str, list[float]]:
    """Seconds per request of each configuration in each round, side by side.

    ``run(name, count)`` times ``count`` requests of one configuration. Each is
    warmed up, then measured in ``rounds`` rounds whose order alternates, so that
    drift of the machine falls on all of them alike.
    """
    names = list(names)
    for name in names:
        run(name, 20)  # warm up each configuration's handler chain
    samples: dict[str, list[float]] = {name: [] for name in names}
    order = list(names)
    for _ in range(rounds):
        for name in order:
            samples[name].append(run(name, per_round) / per_round)
        order.reverse()
    return samples


def interleaved(run, names, *, rounds: int, per_round: int) -> tuple[float, ...]:
    """Seconds per request of each configuration, measured side by side: the
    median round of ``interleaved_rounds``."""
    samples = interleaved_rounds(run, names, rounds=rounds, per_round=per_round)
    return tuple(median(samples[name]) for name in samples)


@dataclass(frozen=True)
class Spread:
    """The median of some figures and their middle half (25th to 75th percentile)."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(median(values), percentile(values, 25), percentile(values, 75))

    def format(self, digits: int = 3, scale: float = 1.0) -> str:
        m, lo, hi = (v * scale for v in (self.median, self.low, self.high))
        return f"{m:.{digits}f} [{lo:.{digits}f}-{hi:.{digits}f}]"


def round_ratios(samples: dict[str, list[float]], name: str, base: str) -> Spread:
    """Each round's ratio of ``name`` to ``base`` (measured next to each other in
    that round), as a median and its spread."""
    return Spread.of([a / b for a, b in zip(samples[name], samples[base], strict=True)])
