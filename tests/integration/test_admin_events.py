"""The audit log in the admin: failed and locked sign-ins in it, times with
seconds, filters by kind, reason, user, administrator and date, and a CSV export."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.signals import user_login_failed
from django.test import Client

from sessions_core.admin import events as events_admin
from sessions_core.models import SessionEvent, SessionRecord
from tests.integration.test_admin_permissions import staff_with
from tests.integration.test_lockout import fail

pytestmark = pytest.mark.django_db

EVENTS = "/admin/sessions_core/sessionevent/"


@pytest.fixture
def admin(sign_in_as):
    return sign_in_as("admin")


# --- failed and locked sign-ins in the log --------------------------------------------


def test_failed_and_locked_sign_ins_are_in_the_log(demo, alice):
    fail(Client(), "alice", 10)
    failed = SessionEvent.objects.filter(kind="signin_failed")
    assert failed.count() == 10
    assert {(e.username, e.user_id, e.ip) for e in failed} == {
        ("alice", alice.pk, "127.0.0.1")
    }
    lock = SessionEvent.objects.get(kind="locked")
    assert (lock.username, lock.user_id, lock.detail) == (
        "alice",
        alice.pk,
        "10 failed attempts",
    )


def test_a_failed_sign_in_as_nobody_is_logged_without_a_user(demo):
    fail(Client(), "nobody-here", 1)
    event = SessionEvent.objects.get(kind="signin_failed")
    assert (event.username, event.user) == ("nobody-here", None)


def test_a_wrong_password_at_a_confirmation_is_a_failed_confirmation(demo, rf, alice):
    """The contract with the step-up page: ``purpose`` says where it was typed."""
    request = rf.post("/confirm/", REMOTE_ADDR="192.0.2.7")
    user_login_failed.send(
        sender=__name__,
        credentials={"username": "alice", "purpose": "confirm"},
        request=request,
    )
    event = SessionEvent.objects.get()
    assert (event.kind, event.username, event.user, event.ip) == (
        "confirm_failed",
        "alice",
        alice,
        "192.0.2.7",
    )


# --- the log: seconds, filters, CSV ------------------------------------------------


@pytest.fixture
def history(engine, sign_in_as, admin, demo):
    """alice signed out by admin, bob by operator, and a failed sign-in."""
    sign_in_as("alice"), sign_in_as("bob")
    operator = sign_in_as("operator")
    for client, name in ((admin, "alice"), (operator, "bob")):
        record = SessionRecord.objects.live().get(user__username=name)
        data = {"action": "force_sign_out", "_selected_action": [record.pk]}
        client.post("/admin/sessions_core/sessionrecord/", {**data, "confirmed": "yes"})
    fail(Client(), "=HYPERLINK(1)", 1)
    return demo


def shown(client, query=""):
    page = client.get(f"{EVENTS}?{query}")
    assert page.status_code == 200, query
    return [(e.kind, e.username) for e in page.context["cl"].result_list]


def test_the_log_shows_seconds_and_filters_by_kind_reason_user_admin_and_date(
    history, admin
):
    text = admin.get(EVENTS).content.decode()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", text)
    assert "127.0.0.1" in text
    demo = history
    assert set(shown(admin, "kind__exact=force")) == {
        ("force", "alice"),
        ("force", "bob"),
    }
    assert set(shown(admin, "reason__exact=admin")) == {
        ("force", "alice"),
        ("force", "bob"),
    }
    assert shown(admin, f"by__id__exact={demo['operator'].pk}") == [("force", "bob")]
    assert {
        kind for kind, _ in shown(admin, f"user__id__exact={demo['alice'].pk}")
    } == {
        "start",
        "force",
    }
    event = SessionEvent.objects.first()
    day = f"at__year={event.at.year}&at__month={event.at.month}&at__day={event.at.day}"
    assert len(shown(admin, day)) == SessionEvent.objects.count()


def export(client, query=""):
    response = client.get(f"{EVENTS}export/?{query}")
    assert response.status_code == 200
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content).decode()


def test_the_csv_export_follows_the_filters_and_never_holds_a_key(history, admin):
    text = export(admin, "kind__exact=force")
    lines = text.strip().splitlines()
    assert lines[0] == "time (UTC),kind,user,reason,by,ip,session,detail"
    assert len(lines) == 3
    record = SessionRecord.objects.get(user__username="alice")
    assert f",force,alice,admin,admin,,{record.short_digest}," in text
    assert record.key_digest not in text


def test_the_csv_export_defuses_formulas_typed_as_usernames(history, admin):
    text = export(admin, "kind__exact=signin_failed")
    assert ",'=HYPERLINK(1)," in text
    assert ",=HYPERLINK" not in text


def test_the_csv_export_refuses_bad_filters_and_strangers(history, admin):
    assert admin.get(f"{EVENTS}export/?nope=1").status_code == 302
    assert staff_with(name="stranger").get(f"{EVENTS}export/").status_code == 403


def test_the_csv_export_reads_in_batches_the_same_under_wsgi_and_asgi(
    history, monkeypatch
):
    monkeypatch.setattr(events_admin, "EXPORT_BATCH", 2)
    events = SessionEvent.objects.select_related("by", "record").order_by("-pk")

    async def collect():
        return [line async for line in events_admin.csv_lines_async(events)]

    sync = "".join(events_admin.csv_lines(events))
    assert "".join(async_to_sync(collect)()) == sync
    assert sync.count("\n") == SessionEvent.objects.count() + 1
