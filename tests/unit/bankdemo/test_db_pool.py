"""The PostgreSQL pool of an ASGI process stays inside the connection budget."""

from __future__ import annotations

import pytest

from bankdemo.settings import postgres_pool


@pytest.fixture
def two_processes(monkeypatch):
    for name, value in {
        "DB_MAX_CONNECTIONS": "100",
        "DB_RESERVED": "10",
        "CELERY_WORKERS": "1",
        "CELERY_CONCURRENCY": "2",
        "ASGI_PROCESSES": "2",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DB_POOL_MAX", raising=False)


def test_the_pool_is_sized_from_the_budget(two_processes):
    # (100 - 10 - 2 worker children) // 2 processes = 44, capped at 40.
    assert postgres_pool(role="asgi")["max_size"] == 40
    assert postgres_pool(role="command") is None


def test_a_pool_max_within_the_budget_is_taken(two_processes, monkeypatch):
    monkeypatch.setenv("DB_POOL_MAX", "44")
    assert postgres_pool(role="asgi")["max_size"] == 44


def test_a_pool_max_past_the_budget_is_refused_at_start(two_processes, monkeypatch):
    monkeypatch.setenv("DB_POOL_MAX", "60")  # 2 x 60 + 2 > 100
    with pytest.raises(SystemExit, match="DB_POOL_MAX=60"):
        postgres_pool(role="asgi")
