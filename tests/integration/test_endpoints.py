"""/session/status/, /session/extend/ and /sessions/ (the user's devices)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from sessions_core.models import SessionRecord
from tests.integration.conftest import confirm_it_is_me
from tests.integration.test_lifetime import assert_ended

pytestmark = pytest.mark.django_db


def test_status_shape(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    clock.advance(100)
    assert client.get("/session/status/").json() == {
        "authenticated": True,
        "idle_expires_in": 500.0,
        "absolute_expires_in": 14300.0,
        "warning_lead": 120,
        "activity_every": 60.0,
    }


def test_status_for_a_stranger(db, client):
    assert client.get("/session/status/").json() == {
        "authenticated": False,
        "reason": "",
    }


def test_extend_needs_csrf(engine, demo):
    client = Client(enforce_csrf_checks=True)
    client.post("/login/", {"username": "alice", "password": "demo-alice-2026"})
    # No CSRF token: refused (the sign-in above was refused too, so sign in properly).
    page = client.get("/login/")
    token = (
        page.cookies.get(settings.CSRF_COOKIE_NAME)
        or client.cookies[settings.CSRF_COOKIE_NAME]
    )
    client.post(
        "/login/",
        {
            "username": "alice",
            "password": "demo-alice-2026",
            "csrfmiddlewaretoken": token.value,
        },
    )
    assert client.get("/").status_code == 200
    assert client.post("/session/extend/").status_code == 403
    response = client.post(
        "/session/extend/",
        HTTP_X_CSRFTOKEN=client.cookies[settings.CSRF_COOKIE_NAME].value,
    )
    assert response.status_code == 200


def test_extend_counts_as_activity(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    clock.advance(590)
    assert client.post("/session/extend/").json()["idle_expires_in"] == 600
    clock.advance(590)
    assert client.get("/").status_code == 200


def test_input_reported_over_http_is_activity_but_not_staying(
    engine, clock, sign_in_as
):
    """The page's fallback while its websocket is down: ``activity=1`` counts
    from the input (``ago``), is throttled, and is not "Stay signed in"."""
    from sessions_core.models import SessionEvent

    client = sign_in_as("alice")
    clock.advance(500)  # warned: the "Stay signed in" of this moment is logged
    headers = {"HTTP_X_SESSION_BACKGROUND": "1"}  # only the report counts
    answer = client.post("/session/extend/", {"activity": "1", "ago": "10"}, **headers)
    assert answer.json()["idle_expires_in"] == 590
    assert not SessionEvent.objects.filter(kind=SessionEvent.Kind.EXTEND).exists()
    clock.advance(5)  # within the window (30 s) of the recorded input: skipped
    answer = client.post("/session/extend/", {"activity": "1"}, **headers)
    assert answer.json()["idle_expires_in"] == 585
    assert client.post("/session/extend/", **headers).json()["idle_expires_in"] == 600


def test_extend_never_passes_the_absolute_limit(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    for _ in range(14400 // 500):
        clock.advance(500)
        client.post("/session/extend/")
    status = client.get("/session/status/").json()
    assert status["absolute_expires_in"] == 14400 - 500 * (14400 // 500)
    clock.advance(status["absolute_expires_in"])
    assert (
        client.post("/session/extend/", HTTP_ACCEPT="application/json").status_code
        == 401
    )


def test_extend_is_post_only(engine, sign_in_as):
    assert sign_in_as("alice").get("/session/extend/").status_code == 405


def test_my_sessions_lists_devices_and_marks_this_one(engine, sign_in_as):
    here = sign_in_as(
        "alice", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"
    )
    sign_in_as(
        "alice", HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1"
    )
    page = here.get("/sessions/").content.decode()
    assert "Chrome on Linux" in page and "Safari on iOS" in page
    assert page.count('aria-current="true"') == 1
    assert "(this device)" in page


def test_sign_out_one_other_device(engine, sign_in_as, alice):
    here, phone = sign_in_as("alice"), sign_in_as("alice")
    phone_record = (
        SessionRecord.objects.live().filter(user=alice).order_by("-pk").first()
    )
    confirm_it_is_me(here)
    assert here.post(f"/sessions/{phone_record.pk}/end/").status_code == 302
    # The phone hears it was signed out from elsewhere, not that it signed out.
    assert_ended(phone, "remote_logout")
    assert here.get("/").status_code == 200


def test_sign_out_all_other_devices(engine, sign_in_as, alice):
    here, a, b = sign_in_as("alice"), sign_in_as("alice"), sign_in_as("alice")
    confirm_it_is_me(here).post("/sessions/end-others/")
    assert here.get("/").status_code == 200
    assert_ended(a, "remote_logout")
    assert_ended(b, "remote_logout")


def test_someone_elses_session_is_a_404(engine, sign_in_as, bob):
    sign_in_as("bob")
    bobs = SessionRecord.objects.get(user=bob)
    alice = sign_in_as("alice")
    assert alice.post(f"/sessions/{bobs.pk}/end/").status_code == 404
    assert alice.post("/sessions/999999/end/").status_code == 404
    assert SessionRecord.objects.get(pk=bobs.pk).is_live


def test_help_page_explains_every_reason(db, client):
    page = client.get("/help/session-expired/").content.decode()
    for code in (
        "idle",
        "absolute",
        "key_rotated",
        "admin",
        "concurrent",
        "password_changed",
        "logout",
    ):
        assert f'id="{code}"' in page
    assert 'id="lockout"' in page and 'id="normal-or-unusual"' in page
