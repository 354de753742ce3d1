"""Ends and their reasons in a bare host: idle, absolute, sign-out, admin."""

from __future__ import annotations

import pytest

from sessions_core import services

pytestmark = pytest.mark.django_db

# sessions_core's defaults (README, settings): nothing in the host sets them.
IDLE = 600


def test_signed_in_home_page_has_the_dialog_and_limits(sign_in):
    page = sign_in().get("/").content.decode()
    assert "data-home" in page
    assert 'id="session-warning"' in page
    assert "data-session-limits" in page
    assert "10 minutes without activity" in page


def test_idle_timeout_ends_the_session_and_sign_in_page_says_why(
    clock, sign_in, reason_shown
):
    client = sign_in()
    clock.advance(IDLE - 5)
    assert client.get("/").status_code == 200  # activity: the idle limit moves
    clock.advance(IDLE - 5)
    assert client.get("/").status_code == 200
    clock.advance(IDLE + 1)
    assert reason_shown(client, client.get("/")) == "idle"
    # Ended for good: the old cookie signs nobody in.
    assert client.get("/").status_code == 302


def test_absolute_timeout_ends_an_active_session(
    clock, sign_in, reason_shown, settings
):
    settings.SESSIONS_CORE_ABSOLUTE_TIMEOUT = 1800
    client = sign_in()
    for _ in range(3):
        clock.advance(500)
        assert client.get("/").status_code == 200
    clock.advance(500)  # 2000 s after sign-in, 500 s after the last activity
    assert reason_shown(client, client.get("/")) == "absolute"


def test_sign_out_says_signed_out(sign_in, reason_shown):
    client = sign_in()
    assert reason_shown(client, client.post("/logout/")) == "logout"


def test_force_logout_says_admin(sign_in, reason_shown, user):
    client = sign_in()
    assert services.force_logout(user_ids=[user.pk], by=None) == 1
    assert reason_shown(client, client.get("/")) == "admin"


def test_status_help_and_devices_pages(sign_in, clock):
    client = sign_in()
    status = client.get("/session/status/").json()
    assert status["authenticated"] is True
    assert status["idle_expires_in"] == pytest.approx(IDLE, abs=1)
    # sessions_core's pages, in the host's layout (templates/sessions_core/base.html).
    for url in ("/help/session-expired/", "/sessions/"):
        page = client.get(url)
        assert page.status_code == 200
        assert "data-host-layout" in page.content.decode()
    clock.advance(IDLE + 1)
    # JSON clients get JSON, not a redirect: the reason and where to sign in.
    ended = client.get("/session/status/", HTTP_ACCEPT="application/json")
    assert ended.status_code == 401
    assert ended.json() == {
        "authenticated": False,
        "reason": "idle",
        "login_url": "/login/",
    }
