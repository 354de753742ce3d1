"""Every end of a session reaches an API client at once: a 401 with its reason.

The session behind the tokens is a browser's in all but its cookie, so each door
that ends a browser's session (limits, the admin, the cap, a password change, key
rotation, sign-out here or from another device) ends the tokens too.
"""

from __future__ import annotations

import pytest
from django.test import Client

from sessions_core import rotation, services
from sessions_core.models import SessionEvent, SessionRecord
from tests.integration.api import assert_refused, get, post, refresh, sign_in
from tests.integration.conftest import confirm_it_is_me

pytestmark = pytest.mark.django_db
ACCOUNTS = "/api/accounts/"


def api_record(user) -> SessionRecord:
    return SessionRecord.objects.get(user=user, device__startswith="API client")


def assert_ended_everywhere(pair, reason: str) -> None:
    """The access token and the refresh token both say why, and the end is recorded
    like any other (record, audit log)."""
    client = pair["client"]
    assert_refused(get(client, ACCOUNTS, pair["access"]), reason)
    assert_refused(refresh(client, pair["refresh"]), reason)
    record = SessionRecord.objects.get(token_family__isnull=False)
    assert record.end_reason == reason
    assert SessionEvent.objects.filter(record=record, reason=reason).count() == 1


def test_idle(engine, clock, demo):
    pair = sign_in()
    clock.advance(290)
    assert get(pair["client"], ACCOUNTS, pair["access"]).status_code == 200
    clock.advance(599)  # the call at 290 s counted: 599 s after it, still alive
    client = pair["client"]
    new = refresh(client, pair["refresh"]).json()
    clock.advance(1)  # 600 s after the last activity (a refresh is none)
    assert_ended_everywhere({**new, "client": client}, "idle")


def test_idle_even_when_only_the_refresh_token_comes_back(engine, clock, demo):
    pair = sign_in()
    clock.advance(600)
    assert_refused(refresh(pair["client"], pair["refresh"]), "idle")


def test_absolute(engine, clock, demo, settings):
    settings.SESSIONS_CORE_ACCESS_TOKEN_TTL = 900
    pair = sign_in()
    for _ in range(24):  # active all along, refreshing every ten minutes
        clock.advance(590)
        new = refresh(pair["client"], pair["refresh"]).json()
        pair = {**new, "client": pair["client"]}
        assert get(pair["client"], ACCOUNTS, pair["access"]).status_code == 200
    clock.advance(14400 - 24 * 590)
    assert_ended_everywhere(pair, "absolute")


def test_admin_force_sign_out(engine, demo):
    pair = sign_in()
    services.force_logout(user_ids=[demo["alice"].pk], by=demo["admin"])
    assert_ended_everywhere(pair, "admin")


def test_admin_force_sign_out_from_the_admin_page(engine, demo, sign_in_as):
    pair = sign_in()
    admin = sign_in_as("admin")
    record = api_record(demo["alice"])
    listing = admin.get("/admin/sessions_core/sessionrecord/")
    assert "API client" in listing.content.decode()  # a device like any other
    data = {"action": "force_sign_out", "_selected_action": [record.pk]}
    done = admin.post(
        "/admin/sessions_core/sessionrecord/", {**data, "confirmed": "yes"}
    )
    assert done.status_code == 302
    assert_ended_everywhere(pair, "admin")


def test_concurrent(engine, clock, demo, sign_in_as):
    pair = sign_in()  # the oldest
    for _ in range(3):
        clock.advance(5)
        sign_in_as("alice")
    assert_ended_everywhere(pair, "concurrent")


def test_api_sessions_count_toward_the_cap(engine, clock, demo, sign_in_as):
    browser = sign_in_as("alice")
    for _ in range(3):
        clock.advance(5)
        sign_in()
    assert browser.get("/").status_code == 302  # the browser was the oldest


def test_password_changed(engine, demo, sign_in_as):
    pair = sign_in()
    browser = confirm_it_is_me(sign_in_as("alice"))
    response = browser.post(
        "/password/",
        {
            "old_password": "demo-alice-2026",
            "new_password1": "a-new-password-2027",
            "new_password2": "a-new-password-2027",
        },
    )
    assert response.status_code == 302, response.content[:300]
    assert_ended_everywhere(pair, "password_changed")


def test_key_rotated(engine, demo):
    pair = sign_in()
    rotation.rotate_keys(grace=0)
    assert_refused(get(pair["client"], ACCOUNTS, pair["access"]), "key_rotated")
    assert api_record(demo["alice"]).end_reason == "key_rotated"


def test_logout(engine, demo, sign_in_as):
    pair = sign_in()
    browser = sign_in_as("alice")
    assert post(pair["client"], "/api/logout/", token=pair["access"]).status_code == 204
    assert_ended_everywhere(pair, "logout")
    assert browser.get("/").status_code == 200  # only that session ended


def test_remote_logout_from_a_browsers_devices_page(engine, demo, sign_in_as):
    pair = sign_in()
    browser = confirm_it_is_me(sign_in_as("alice"))
    record = api_record(demo["alice"])
    page = browser.get("/sessions/")
    assert "API client" in page.content.decode()
    response = browser.post(f"/sessions/{record.pk}/end/")
    assert response.status_code == 302
    assert_ended_everywhere(pair, "remote_logout")


def test_store_lost(engine, demo):
    pair = sign_in()
    from sessions_core import store

    store.engine().delete_digests([api_record(demo["alice"]).key_digest])
    assert_refused(get(pair["client"], ACCOUNTS, pair["access"]), "store_lost")


def test_an_end_is_seen_on_the_next_call_not_later(engine, demo):
    """No cache between the end and the check: the very next call is refused."""
    pair = sign_in()
    client = Client()
    assert get(client, ACCOUNTS, pair["access"]).status_code == 200
    services.force_logout(user_ids=[demo["alice"].pk], by=None)
    assert_refused(get(client, ACCOUNTS, pair["access"]), "admin")


def test_an_idle_session_nobody_calls_is_swept_and_says_idle(engine, clock, demo):
    pair = sign_in()
    clock.advance(700)
    services.sweep_all(batch_size=100)
    assert api_record(demo["alice"]).end_reason == "idle"
    assert_refused(refresh(pair["client"], pair["refresh"]), "idle")
