"""The small API client (scripts/api_client.py) against a live server: it keeps
refreshing, survives a dropped refresh response, and says why its session ended."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from sessions_core import services
from sessions_core.models import SessionRecord

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "api_client.py"
spec = importlib.util.spec_from_file_location("api_client", SCRIPT)
api_client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(api_client)


@pytest.fixture
def seeded(transactional_db):
    from bankdemo.banking.demo_data import seed

    seed()


def run_client(live_server, clock, *, then=None, sleeps_before_end=None, **options):
    lines: list[str] = []
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)  # the server's clock too: one process
        if sleeps_before_end is not None and len(slept) == sleeps_before_end:
            then()

    status = api_client.run(
        api_client.Api(live_server.url, out=lines.append),
        username="alice",
        password="demo-alice-2026",
        sleep=sleep,
        clock=time.time,
        **options,
    )
    return status, lines


def test_it_keeps_refreshing_and_survives_a_dropped_refresh(live_server, clock, seeded):
    status, lines = run_client(
        live_server, clock, drop_refresh_once=True, calls=40, every=60
    )
    assert status == 0, lines
    assert sum("refreshed;" in line for line in lines) >= 5, lines
    assert sum("response dropped" in line for line in lines) == 1
    record = SessionRecord.objects.get()
    assert record.is_live  # the retry was not taken for reuse


def test_it_prints_why_the_session_ended(live_server, clock, seeded, demo):
    def force_sign_out():
        services.force_logout(user_ids=[demo["alice"].pk], by=demo["admin"])

    status, lines = run_client(
        live_server, clock, every=60, then=force_sign_out, sleeps_before_end=3
    )
    assert status == api_client.ENDED
    assert lines[-1].startswith("session ended: admin: ")
