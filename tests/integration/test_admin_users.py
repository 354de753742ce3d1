"""The users admin's session tools: a user's live sessions inline with a sign-out
each, "Force sign-out of all sessions" (test_admin.py), and unlocking an account
locked after failed sign-ins."""

from __future__ import annotations

import pytest
from django.test import Client

from sessions_core.models import SessionEvent, SessionRecord
from tests.integration.test_admin_permissions import staff_with
from tests.integration.test_lifetime import assert_ended
from tests.integration.test_lockout import fail, locked, right_password

pytestmark = pytest.mark.django_db

USERS = "/admin/auth/user/"


@pytest.fixture
def admin(sign_in_as):
    return sign_in_as("admin")


def sign_out_url(record) -> str:
    return f"{USERS}{record.user_id}/sessions/{record.pk}/sign-out/"


# --- a user's sessions, inline ----------------------------------------------------


def test_a_users_page_lists_their_live_sessions_never_a_whole_key(
    engine, sign_in_as, admin, alice
):
    phone = sign_in_as("alice")
    sign_in_as("bob")
    record = SessionRecord.objects.live().get(user=alice)
    text = admin.get(f"{USERS}{alice.pk}/change/").content.decode()
    assert f'data-sign-out-session="{record.short_digest}"' in text
    assert f'href="{sign_out_url(record)}"' in text
    assert phone.cookies["sessionid"].value not in text
    assert record.key_digest not in text
    assert text.count("data-sign-out-session=") == 1  # not bob's


def test_the_inline_needs_view_sessionrecord_and_its_button_end_session(
    engine, demo, sign_in_as, alice
):
    sign_in_as("alice")
    page = f"{USERS}{alice.pk}/change/"
    users_only = staff_with("view_user", name="users_only").get(page)
    assert (
        users_only.status_code == 200
        and b"session_records-group" not in users_only.content
    )
    viewer = staff_with("view_user", "view_sessionrecord", name="viewer").get(page)
    assert b"session_records-group" in viewer.content
    assert b"data-sign-out-session" not in viewer.content


def test_signing_out_one_session_from_the_users_page(engine, sign_in_as, admin, demo):
    phone, laptop = sign_in_as("alice"), sign_in_as("alice")
    record = SessionRecord.objects.live().filter(user=demo["alice"]).first()
    done = admin.post(sign_out_url(record), follow=True)
    assert done.redirect_chain == [(f"{USERS}{record.user_id}/change/", 302)]
    assert f"Signed out session {record.short_digest}." in done.content.decode()
    record.refresh_from_db()
    assert (record.end_reason, record.ended_by) == ("admin", demo["admin"])
    ended, kept = (
        (phone, laptop) if phone.get("/").status_code == 302 else (laptop, phone)
    )
    assert kept.get("/").status_code == 200
    assert_ended(ended, "admin")
    again = admin.post(sign_out_url(record), follow=True)
    assert b"That session had already ended." in again.content


def test_the_per_row_sign_out_asks_on_get_ends_on_post_only_that_users_sessions(
    engine, sign_in_as, admin, alice, bob
):
    alice_client, bob_client = sign_in_as("alice"), sign_in_as("bob")
    mine = SessionRecord.objects.live().get(user=alice)
    bobs = SessionRecord.objects.live().get(user=bob)
    ask = admin.get(sign_out_url(mine))
    assert ask.status_code == 200
    assert b"Yes, sign it out" in ask.content and b'method="post"' in ask.content
    assert mine.key_digest.encode() not in ask.content
    assert alice_client.get("/").status_code == 200  # a GET ends nothing
    assert (
        admin.post(f"{USERS}{alice.pk}/sessions/{bobs.pk}/sign-out/").status_code == 404
    )
    assert admin.post(f"{USERS}999999/sessions/{mine.pk}/sign-out/").status_code == 404
    assert admin.post(f"{USERS}abc/sessions/{mine.pk}/sign-out/").status_code == 404
    assert admin.post(f"{USERS}{alice.pk}/sessions/abc/sign-out/").status_code in {
        302,  # Django's own redirect of unknown user URLs to the change page
        404,
    }
    assert alice_client.get("/").status_code == 200
    assert bob_client.get("/").status_code == 200


def test_the_per_row_sign_out_needs_the_csrf_token(engine, sign_in_as, demo, alice):
    alice_client = sign_in_as("alice")
    record = SessionRecord.objects.live().get(user=alice)
    admin = Client(enforce_csrf_checks=True)
    admin.force_login(demo["admin"])
    assert admin.post(sign_out_url(record)).status_code == 403
    assert alice_client.get("/").status_code == 200
    admin.get(f"{USERS}{alice.pk}/change/")
    token = admin.cookies["csrftoken"].value
    assert (
        admin.post(sign_out_url(record), {"csrfmiddlewaretoken": token}).status_code
        == 302
    )
    assert_ended(alice_client, "admin")


# --- unlocking ---------------------------------------------------------------------


def unlock(client, user):
    return client.post(
        USERS, {"action": "unlock_sign_in", "_selected_action": [user.pk]}
    )


def test_unlocking_a_locked_account_lets_the_right_password_in_and_is_logged(
    demo, admin, alice
):
    customer = Client()
    fail(customer, "alice", 10)
    assert locked(right_password(customer))
    done = admin.post(
        USERS, {"action": "unlock_sign_in", "_selected_action": [alice.pk]}, follow=True
    )
    assert b"Unlocked 1 user." in done.content
    assert right_password(customer).status_code == 302
    event = SessionEvent.objects.get(kind="unlock")
    assert (event.username, event.by) == ("alice", demo["admin"])


def test_unlocking_needs_change_user(demo, sign_in_as, alice):
    customer = Client()
    fail(customer, "alice", 10)
    for client in (
        sign_in_as("operator"),
        staff_with("view_user", "end_session", name="viewer"),
    ):
        assert unlock(client, alice).status_code == 403
    assert locked(right_password(customer))
    assert not SessionEvent.objects.filter(kind="unlock").exists()


def test_unlocking_an_account_that_is_not_locked_says_so(demo, admin, bob):
    done = admin.post(
        USERS, {"action": "unlock_sign_in", "_selected_action": [bob.pk]}, follow=True
    )
    assert b"None of them was locked." in done.content
    assert not SessionEvent.objects.filter(kind="unlock").exists()
