"""/healthz, /readyz and /metrics in one process (bankdemo.ops, bankdemo.metrics).

The same endpoints behind nginx, summed over processes: test_stack.py.
"""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
from django.test import Client

from bankdemo import ops
from sessions_core import services
from sessions_core.models import SessionRecord


@pytest.fixture(autouse=True)
def _fresh_readiness():
    ops.readiness.reset()
    yield
    ops.readiness.reset()


def ends(text: str, reason: str) -> float:
    match = re.search(
        rf'^bankdemo_session_ends_total{{reason="{reason}"}} ([0-9.e+]+)$',
        text,
        re.MULTILINE,
    )
    return float(match.group(1))


@pytest.mark.django_db
def test_healthz_and_readyz_answer_without_a_session(client):
    health = client.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    assert ready.status_code == 200
    # The embedded demo has no Redis and runs Celery tasks in-process.
    assert ready.json() == {
        "status": "ready",
        "down": [],
        "checks": {"database": "ok"},
    }
    assert "Set-Cookie" not in health.headers
    assert not health.cookies


@pytest.mark.django_db
def test_readyz_is_a_503_naming_what_is_down(client, monkeypatch):
    def broken():
        raise ConnectionError("refused")

    monkeypatch.setattr(ops, "_database", broken)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = json.loads(ready.content)
    assert body["down"] == ["database"]
    assert "refused" in body["checks"]["database"]


@pytest.mark.django_db
def test_a_check_that_hangs_never_starves_the_others(monkeypatch):
    """A part that accepts and never answers (a frozen Redis) stays "timeout"; the
    others keep their own answers, probe after probe, and it comes back."""
    release = threading.Event()
    monkeypatch.setattr(ops, "CHECK_TIMEOUT", 0.05)
    monkeypatch.setattr(
        ops,
        "_checks",
        lambda: {"database": lambda: None, "celery": lambda: release.wait(10)},
    )
    try:
        ops.readiness.reset()
        assert ops.readiness() == {"database": "ok", "celery": "timeout"}
        # More probes than the pool's 8 threads: each once started a new stuck run.
        # A run still stuck from an earlier probe is not waited for again: each
        # probe once held the lock another 0.55 s (CHECK_TIMEOUT + 0.5) on it.
        started = time.monotonic()
        for _ in range(9):
            ops.readiness.reset()
            assert ops.readiness() == {"database": "ok", "celery": "timeout"}
        # 9 x 0.55 s = 4.95 s before; a loaded 2-core CI machine needs headroom.
        assert time.monotonic() - started < 2.0
    finally:
        release.set()
    time.sleep(0.1)
    ops.readiness.reset()
    assert ops.readiness() == {"database": "ok", "celery": "ok"}


@pytest.mark.django_db
def test_probes_never_read_the_session_nor_count_as_activity(sign_in_as, alice, clock):
    client = sign_in_as("alice")
    record = SessionRecord.objects.get(user=alice)
    before = record.last_active_at
    # Past the window in which a second activity write is skipped anyway.
    clock.advance(120)
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200
    record.refresh_from_db()
    assert record.last_active_at == before
    assert client.get("/").status_code == 200  # a page the user opened does count
    record.refresh_from_db()
    assert record.last_active_at > before


@pytest.mark.django_db
def test_metrics_count_an_end_by_its_reason(sign_in_as, alice, demo):
    client = Client()
    before = ends(client.get("/metrics").content.decode(), "admin")
    sign_in_as("alice")
    services.force_logout(user_ids=[alice.pk], by=demo["admin"])
    scraped = client.get("/metrics")
    assert scraped["Content-Type"].startswith("text/plain")
    assert ends(scraped.content.decode(), "admin") == before + 1


def test_metrics_count_the_purges_ends_from_its_bulk_signal(
    sign_in_as, demo, monkeypatch
):
    from sessions_core import rotation, tasks

    client = Client()
    before = ends(client.get("/metrics").content.decode(), "key_rotated")
    sign_in_as("alice"), sign_in_as("bob")
    monkeypatch.setattr(tasks.purge_retired_sessions, "apply_async", lambda **kw: None)
    rotation.rotate_keys(grace=0)
    assert tasks.purge_retired_sessions.run() == 2
    after = ends(client.get("/metrics").content.decode(), "key_rotated")
    assert after == before + 2


@pytest.mark.django_db
def test_metrics_answer_loopback_as_the_proxy_saw_it_or_the_token(settings):
    settings.SESSIONS_CORE_TRUSTED_PROXIES = 1
    settings.METRICS_TOKEN = "s3cret"
    client = Client()  # REMOTE_ADDR 127.0.0.1: the proxy
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200
    # What the client wrote itself is left of what the proxy appended.
    refused = client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9")
    assert refused.status_code == 403
    assert (
        client.get(
            "/metrics",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            HTTP_AUTHORIZATION="Bearer s3cret",
        ).status_code
        == 200
    )
    assert (
        client.get(
            "/metrics",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            HTTP_AUTHORIZATION="Bearer wrong",
        ).status_code
        == 403
    )
