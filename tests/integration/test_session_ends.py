"""Every end has a reason, told from the server's record and never from the URL."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from sessions_core import services, store
from sessions_core.models import SessionEvent, SessionRecord, digest_key
from sessions_core.signals import session_ended
from tests.integration.conftest import confirm_it_is_me
from tests.integration.test_lifetime import assert_ended, reason_on

pytestmark = pytest.mark.django_db


def test_sign_out_is_post_only_and_says_signed_out(engine, sign_in_as, alice):
    client = sign_in_as("alice")
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert reason_on(client.get(response["Location"])) == "logout"
    assert SessionRecord.objects.get(user=alice).end_reason == "logout"


def test_session_ended_signal_fires_once_with_reason_and_record(engine, sign_in_as):
    heard = []

    def listener(sender, reason, record, by, **kwargs):
        heard.append((reason.value, record.user.username, by))

    session_ended.connect(listener)
    try:
        sign_in_as("alice").post("/logout/")
    finally:
        session_ended.disconnect(listener)
    assert heard == [("logout", "alice", None)]


def test_cookie_replayed_after_sign_out_opens_nothing(engine, sign_in_as):
    client = sign_in_as("alice")
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/logout/")
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = thief.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert thief.get("/accounts/1/").status_code == 302


def test_spoofed_reason_in_the_url_is_ignored(db, client):
    for param in ("reason=admin", "session_end=admin", "data-session-end-reason=idle"):
        response = client.get(f"/login/?{param}")
        assert response.status_code == 200
        assert reason_on(response) is None


def test_reason_is_not_shown_to_another_browser(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    clock.advance(600)
    client.get("/")
    stranger = Client()
    assert reason_on(stranger.get("/login/")) is None


def test_forged_end_cookie_is_ignored(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    clock.advance(600)
    client.get("/")
    record = SessionRecord.objects.get()
    stranger = Client()
    stranger.cookies["sessions_core_end"] = str(record.pk)
    assert reason_on(stranger.get("/login/")) is None


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "x" * 4000,
        "ünïcødé-sessiön",
        "a" * 32,
        "../../etc/passwd",
        "'; DROP TABLE django_session; --",
    ],
)
def test_bad_cookies_mean_signed_out_never_500(engine, client, demo, cookie):
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = client.get("/")
    assert response.status_code == 302
    assert client.get("/login/").status_code == 200
    assert client.get("/session/status/").json()["authenticated"] is False


def test_tampered_cookie_of_a_real_session_opens_nothing(engine, sign_in_as):
    client = sign_in_as("alice")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    tampered = Client()
    tampered.cookies[settings.SESSION_COOKIE_NAME] = key[:-1] + (
        "a" if key[-1] != "a" else "b"
    )
    assert tampered.get("/").status_code == 302


def test_session_key_is_cycled_at_sign_in(engine, demo):
    """Session fixation: an attacker plants the key of a real session of theirs."""
    planted = store.session_store()
    planted["cart"] = "the attacker's anonymous session"
    planted.create()
    attacker, victim = Client(), Client()
    for client in (attacker, victim):
        client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    victim.post("/login/", {"username": "alice", "password": "demo-alice-2026"})
    assert victim.cookies[settings.SESSION_COOKIE_NAME].value != planted.session_key
    assert victim.get("/").status_code == 200
    assert attacker.get("/").status_code == 302  # the planted key signs nobody in
    assert store.load(planted.session_key) == {}


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_next_only_goes_to_same_site_paths(engine, demo, next_url):
    response = Client().post(
        "/login/",
        {"username": "alice", "password": "demo-alice-2026", "next": next_url},
    )
    assert response["Location"] == "/"


@override_settings(SESSIONS_CORE_MAX_PER_USER=2)
def test_sign_in_beyond_the_cap_ends_the_oldest_with_concurrent(
    engine, clock, sign_in_as
):
    first = sign_in_as("alice")
    clock.advance(5)
    second = sign_in_as("alice")
    clock.advance(5)
    third = sign_in_as("alice")
    assert_ended(first, "concurrent")
    assert second.get("/").status_code == 200
    assert third.get("/").status_code == 200


@override_settings(SESSIONS_CORE_MAX_PER_USER=1)
def test_a_forgotten_idle_session_is_ended_as_idle_not_concurrent(
    engine, clock, sign_in_as
):
    first = sign_in_as("alice")
    clock.advance(700)
    sign_in_as("alice")
    assert_ended(first, "idle")


@override_settings(SESSIONS_CORE_MAX_PER_USER=0)
def test_zero_means_no_cap(engine, sign_in_as):
    clients = [sign_in_as("alice") for _ in range(5)]
    assert all(client.get("/").status_code == 200 for client in clients)


def change_password(client, old: str, new: str):
    return confirm_it_is_me(client).post(
        "/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_password_change_ends_other_sessions_and_keeps_this_one(
    engine, sign_in_as, alice
):
    here = sign_in_as("alice")
    elsewhere = sign_in_as("bob"), sign_in_as("alice")
    old_key = here.cookies[settings.SESSION_COOKIE_NAME].value
    response = change_password(here, "demo-alice-2026", "a-new-long-passphrase-77")
    assert response.status_code == 302
    assert (
        here.cookies[settings.SESSION_COOKIE_NAME].value != old_key
    )  # continues under a new key
    assert here.get("/").status_code == 200
    assert_ended(elsewhere[1], "password_changed")
    assert elsewhere[0].get("/").status_code == 200  # bob is not affected
    live = SessionRecord.objects.live().get(user=alice)
    assert live.key_digest == digest_key(
        here.cookies[settings.SESSION_COOKIE_NAME].value
    )


def test_wrong_old_password_changes_nothing(engine, sign_in_as):
    here, there = sign_in_as("alice"), sign_in_as("alice")
    response = change_password(here, "nope", "x-y-z-12345678")
    assert response.status_code == 200
    assert there.get("/").status_code == 200


def test_audit_log_records_start_and_end(engine, sign_in_as, alice):
    sign_in_as("alice").post("/logout/")
    kinds = list(SessionEvent.objects.filter(user=alice).values_list("kind", "reason"))
    assert ("start", "") in kinds
    assert ("end", "logout") in kinds


def test_end_sessions_is_idempotent(engine, sign_in_as, alice):
    sign_in_as("alice")
    record = SessionRecord.objects.get(user=alice)
    assert services.end_sessions(records=[record], reason="admin") == 1
    record.refresh_from_db()
    assert services.end_sessions(records=[record], reason="idle") == 0
    stale = SessionRecord.objects.get(pk=record.pk)
    stale.ended_at = None  # a stale copy: the database still wins
    assert services.end_sessions(records=[stale], reason="idle") == 0
    assert SessionRecord.objects.get(pk=record.pk).end_reason == "admin"


def test_a_background_poll_on_an_ended_session_leaves_the_cookie_alone(
    engine, sign_in_as
):
    """An old page's status poll, still on the old cookie, answered after the
    browser got a new session (a sign-in again): deleting the cookie there signed
    the new session out (found in a browser test of the admin's rotation)."""
    client = sign_in_as("alice")
    old = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/logout/")
    client.cookies[settings.SESSION_COOKIE_NAME] = old  # the old page's request
    background = client.get(
        "/session/status/",
        HTTP_X_SESSION_BACKGROUND="1",
        HTTP_ACCEPT="application/json",
    )
    assert background.json()["authenticated"] is False
    assert settings.SESSION_COOKIE_NAME not in background.cookies
    # A page load on it still tidies the cookie away, with the reason.
    page = client.get("/")
    assert page.cookies[settings.SESSION_COOKIE_NAME].value == ""
