"""The operator's side in the Django admin: sessions, force sign-out, audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from bankdemo.banking.models import Account, Transaction
from sessions_core import services, store, tasks
from sessions_core.models import SessionEvent, SessionRecord
from tests.integration.test_lifetime import assert_ended

pytestmark = pytest.mark.django_db

SESSIONS = "/admin/sessions_core/sessionrecord/"
USERS = "/admin/auth/user/"


@pytest.fixture
def admin_client(demo):
    client = Client()
    client.force_login(demo["admin"])
    return client


def test_session_list_shows_sessions_but_never_a_whole_key(
    engine, sign_in_as, admin_client
):
    alice = sign_in_as("alice")
    key = alice.cookies["sessionid"].value
    page = admin_client.get(SESSIONS)
    assert page.status_code == 200
    text = page.content.decode()
    assert "alice" in text
    assert key not in text
    record = SessionRecord.objects.get(user__username="alice")
    detail = admin_client.get(f"{SESSIONS}{record.pk}/change/").content.decode()
    assert key not in detail
    assert record.key_digest[:10] in text and record.key_digest[:10] in detail
    # Nor the whole digest: pages name a session by its prefix alone.
    assert record.key_digest not in text and record.key_digest not in detail
    event = SessionEvent.objects.filter(record=record).first()
    shown = admin_client.get(f"/admin/sessions_core/sessionevent/{event.pk}/change/")
    assert record.key_digest[:10] in shown.content.decode()
    assert record.key_digest not in shown.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=live", {"alice", "admin"}),
        ("state=ended", {"bob"}),
        ("end_reason__exact=logout", {"bob"}),
        ("user__is_staff__exact=1", {"admin"}),
        ("key_version=1", {"alice", "bob", "admin"}),
        ("q=ali", {"alice"}),
    ],
)
def test_session_list_filters(engine, sign_in_as, admin_client, query, expected):
    sign_in_as("alice")
    sign_in_as("bob").post("/logout/")
    page = admin_client.get(f"{SESSIONS}?{query}")
    assert page.status_code == 200
    shown = {record.user.username for record in page.context["cl"].result_list}
    assert shown == expected


def test_no_adding_or_deleting_session_records(admin_client, sign_in_as):
    sign_in_as("alice")
    record = SessionRecord.objects.get(user__username="alice")
    assert admin_client.get(f"{SESSIONS}add/").status_code == 403
    assert admin_client.post(f"{SESSIONS}{record.pk}/delete/").status_code == 403


def test_force_sign_out_asks_first_then_ends_the_session(
    engine, sign_in_as, admin_client
):
    alice = sign_in_as("alice")
    record = SessionRecord.objects.get(user__username="alice")
    data = {"action": "force_sign_out", "_selected_action": [record.pk]}
    confirm = admin_client.post(SESSIONS, data)
    assert confirm.status_code == 200
    assert b"Yes, sign them out" in confirm.content
    assert SessionRecord.objects.get(pk=record.pk).is_live
    done = admin_client.post(SESSIONS, {**data, "confirmed": "yes"})
    assert done.status_code == 302
    record.refresh_from_db()
    assert (record.end_reason, record.ended_by.username) == ("admin", "admin")
    assert_ended(alice, "admin")
    event = SessionEvent.objects.get(kind="force")
    assert (event.username, event.by.username, event.reason) == (
        "alice",
        "admin",
        "admin",
    )


def test_force_sign_out_of_all_sessions_of_users(
    engine, sign_in_as, admin_client, alice
):
    phone, laptop, bob = sign_in_as("alice"), sign_in_as("alice"), sign_in_as("bob")
    data = {
        "action": "force_sign_out_all",
        "_selected_action": [alice.pk],
        "confirmed": "yes",
    }
    assert admin_client.post(USERS, data).status_code == 302
    assert_ended(phone, "admin")
    assert_ended(laptop, "admin")
    assert bob.get("/").status_code == 200


def test_a_customer_cannot_use_the_admin(engine, sign_in_as):
    bob = sign_in_as("bob")
    sign_in_as("alice")
    record = SessionRecord.objects.get(user__username="alice")
    data = {
        "action": "force_sign_out",
        "_selected_action": [record.pk],
        "confirmed": "yes",
    }
    response = bob.post(SESSIONS, data)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert SessionRecord.objects.get(pk=record.pk).is_live


def test_deactivating_a_user_ends_their_sessions(engine, sign_in_as, alice):
    client = sign_in_as("alice")
    alice.is_active = False
    alice.save()
    record = SessionRecord.objects.get(user=alice)
    assert record.end_reason == "admin"
    assert client.get("/").status_code == 302


def test_deleting_a_user_ends_their_sessions_and_keeps_the_audit_trail(
    engine, sign_in_as, demo
):
    bob = demo["bob"]
    client = sign_in_as("bob")
    key = client.cookies["sessionid"].value
    # Accounts are protected from cascading deletes: remove them first.
    Transaction.objects.filter(account__owner=bob).delete()
    Account.objects.filter(owner=bob).delete()
    bob.delete()
    assert store.load(key) == {}
    assert SessionEvent.objects.filter(
        username="bob", kind="end", reason="admin"
    ).exists()


def test_audit_log_is_read_only(admin_client, sign_in_as):
    sign_in_as("alice")
    event = SessionEvent.objects.first()
    assert admin_client.get("/admin/sessions_core/sessionevent/").status_code == 200
    assert admin_client.get("/admin/sessions_core/sessionevent/add/").status_code == 403
    page = admin_client.get(f"/admin/sessions_core/sessionevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content


def test_old_audit_events_are_trimmed(db, settings):
    settings.SESSIONS_CORE_AUDIT_RETENTION_DAYS = 90
    old = SessionEvent.objects.create(kind="start", username="old")
    SessionEvent.objects.filter(pk=old.pk).update(
        at=timezone.now() - timedelta(days=91)
    )
    SessionEvent.objects.create(kind="start", username="recent")
    assert tasks.trim_audit_log.delay().get() == 1
    assert list(SessionEvent.objects.values_list("username", flat=True)) == ["recent"]


def test_unusual_report_lists_users_with_evidence(
    engine, clock, sign_in_as, admin_client
):
    for _ in range(3):
        client = sign_in_as("bob")
        clock.advance(30)
        SessionRecord.objects.live().filter(user__username="bob").update(
            last_active_at=timezone.now()
        )
        services.force_logout(
            user_ids=[get_user_model().objects.get(username="bob").pk], by=None
        )
        del client
    sign_in_as("alice").post("/logout/")  # signing out is normal
    page = admin_client.get(f"{SESSIONS}unusual/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-unusual-user="bob"' in text
    assert 'data-unusual-user="alice"' not in text
    assert "after 30 s" in text


def test_unusual_report_charts_ends_by_reason_per_day(clock, sign_in_as):
    for _ in range(2):
        sign_in_as("bob").post("/logout/")
    sign_in_as("alice")
    services.force_logout(
        user_ids=[get_user_model().objects.get(username="alice").pk], by=None
    )
    clock.advance(24 * 3600)
    sign_in_as("bob").post("/logout/")
    text = sign_in_as("admin").get(f"{SESSIONS}unusual/").content.decode()
    assert "data-ends-chart" in text and 'role="img"' in text
    yesterday = text.split('data-day="2026-11-24"')[1].split("</g>")[0]
    assert yesterday.count('data-reason="logout"') == 1
    assert yesterday.count('data-reason="admin"') == 1
    assert yesterday.count("<rect") == 2
    assert " 2</title>" in yesterday  # two sign-outs, one bar segment
    today = text.split('data-day="2026-11-25"')[1].split("</g>")[0]
    assert today.count("<rect") == 1  # the admin's own session is still live
    # The same numbers as a table, for screen readers and for copying.
    table = text.split("data-ends-table")[1].split("</table>")[0]
    assert "<td>2</td><td>1</td><td>3</td>" in table
