"""The PostgreSQL pool of an ASGI process stays inside the connection budget."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def settings_in_a_process(**env) -> subprocess.CompletedProcess:
    """Import bankdemo.settings with this environment, as a process starts."""
    code = (
        "import django; django.setup(); from django.db import connection;"
        "connection.ensure_connection(); print(connection.settings_dict['OPTIONS'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bankdemo.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


# The server test_stack.py uses; its "postgres" database is always there.
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
POSTGRES += "/postgres"


def test_without_the_pool_its_size_is_not_checked():
    """DB_POOL=0: no pool, so a DB_POOL_MAX past the budget stops nothing."""
    started = settings_in_a_process(
        DATABASE_URL=POSTGRES, DB_POOL="0", DB_POOL_MAX="60", ASGI_PROCESSES="2"
    )
    assert started.returncode == 0, started.stderr
    assert "pool" not in started.stdout
    refused = settings_in_a_process(
        DATABASE_URL=POSTGRES, DB_POOL_MAX="60", ASGI_PROCESSES="2"
    )
    assert refused.returncode != 0
    assert "DB_POOL_MAX=60" in refused.stderr


def test_postgres_connections_carry_keepalives_and_a_user_timeout():
    """libpq takes the options (a wrong name would fail the connection)."""
    started = settings_in_a_process(DATABASE_URL=POSTGRES, DB_POOL="0")
    assert started.returncode == 0, started.stderr
    assert "'tcp_user_timeout': 15000" in started.stdout
    assert "'keepalives': 1" in started.stdout
