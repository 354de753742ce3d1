"""A user, a sign-in helper, and a clock that moves only when a test says so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from sessions_core import clock as live_clock
from sessions_core.testing import ManualClock

START = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)
PASSWORD = "host-ada-2026"


@pytest.fixture
def clock():
    """``advance`` moves time for HTTP; ``await elapse`` also fires socket timers."""
    with (
        time_machine.travel(START, tick=False) as traveller,
        live_clock.use(ManualClock(traveller)) as manual,
    ):
        yield manual


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="ada", password=PASSWORD)


@pytest.fixture
def sign_in(user):
    """Sign in through the sign-in page (the README's LoginView); a Client."""

    def _sign_in() -> Client:
        client = Client()
        response = client.post("/login/", {"username": "ada", "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        assert response.url == "/"
        return client

    return _sign_in


@pytest.fixture
def reason_shown():
    """Follow a redirect to the sign-in page; return the end reason it shows."""

    def _reason_shown(client: Client, response) -> str:
        assert response.status_code == 302, response.status_code
        assert response.url.startswith("/login/"), response.url
        page = client.get(response.url).content.decode()
        marker = 'data-session-end-reason="'
        assert marker in page, page
        return page.split(marker, 1)[1].split('"', 1)[0]

    return _reason_shown
