"""An end is final and explained: the store's guarantees, door by door.

Each test here failed on the code before the final-end engines (4b03df0), for the
defect its docstring names; the race itself is tested in test_races.py.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.core.management import call_command
from django.test import Client, override_settings

from sessions_core import notify, services, socket_reads, store
from sessions_core.models import SessionEvent, SessionRecord, StoredSession, digest_key
from sessions_core.sessiondata import LAST_ACTIVE_KEY
from tests.integration.conftest import confirm_it_is_me
from tests.integration.test_consumer import receive_type, socket_for
from tests.integration.test_lifetime import assert_ended

NEW_PASSWORD = "a-new-admin-password-2026"


def key_of(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


# --- the store's own guarantees -----------------------------------------------------


def test_a_copy_loaded_before_an_end_cannot_be_saved_after_it(engine, sign_in_as):
    client = sign_in_as("alice")
    slow = store.session_store(key_of(client))
    slow[LAST_ACTIVE_KEY] = time.time()  # a slow request loaded, then changed it
    record = SessionRecord.objects.get()
    services.force_logout_sessions(record_ids=[record.pk], by=None)
    with pytest.raises(UpdateError):
        slow.save()
    assert store.load(key_of(client)) == {}
    assert store.read(record.key_digest).end == store.Tombstone("admin", record.pk)
    assert_ended(client, "admin")


def test_an_ended_session_cannot_be_given_a_new_key(engine, sign_in_as):
    """cycle_key() on an ended session carries the end over, never the data."""
    client = sign_in_as("alice")
    session = store.session_store(key_of(client))
    session.load()
    record = SessionRecord.objects.get()
    services.end_sessions(records=[record], reason="password_changed")
    session.cycle_key()
    assert session.session_key != key_of(client)
    assert store.load(session.session_key) == {}
    assert store.read(digest_key(session.session_key)).end.reason == "password_changed"


def test_no_table_or_store_entry_holds_a_session_key(engine, sign_in_as, redis_url):
    """A dump of the database or of Redis signs nobody in: only digests are kept."""
    import redis

    client = sign_in_as("alice")
    client.get("/")
    key = key_of(client)
    rows = [
        *SessionRecord.objects.values(),
        *SessionEvent.objects.values(),
        *StoredSession.objects.values(),
    ]
    assert rows and key not in repr(rows)
    dump = redis.Redis.from_url(redis_url)
    entries = [(name, dump.dump(name)) for name in dump.scan_iter()]
    assert key not in repr(entries)
    if engine == "redis":
        assert any(digest_key(key).encode() in name for name, _ in entries)
    else:
        assert StoredSession.objects.filter(pk=digest_key(key)).exists()


def test_the_session_cookie_has_no_expiry(engine, demo):
    """The absolute deadline used to be the cookie's Expires: browsers dropped it and
    with it the reason (tests/browser/test_absolute_limit.py shows it in Chromium)."""
    client = Client()
    response = client.post(
        "/login/", {"username": "alice", "password": "demo-alice-2026"}
    )
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value and not cookie["expires"] and not cookie["max-age"]


# --- doors that used to leave a session alive or misreport it ---------------------


def test_admin_changing_their_own_password_in_the_admin_leaves_no_zombie(
    engine, sign_in_as, demo
):
    """The receivers ended every session of the admin, then the admin's password
    view cycled the key and made a session that nothing tracked or could end.
    Now the admin's own session goes on under its new key, tracked, and ends."""
    admin = demo["admin"]
    client, other = sign_in_as("admin"), sign_in_as("admin")
    response = client.post(
        f"/admin/auth/user/{admin.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200  # still signed in
    live = SessionRecord.objects.live().get()
    assert live.key_digest == digest_key(key_of(client))
    assert_ended(other, "password_changed")
    services.force_logout(user_ids=[admin.pk], by=None)
    assert_ended(client, "admin", path="/admin/")
    assert store.load(key_of(client)) == {}


def test_signing_out_another_device_tells_it_so(engine, sign_in_as, alice):
    here, phone = sign_in_as("alice"), sign_in_as("alice")
    phone_record = SessionRecord.objects.live().order_by("-pk").first()
    confirm_it_is_me(here).post(f"/sessions/{phone_record.pk}/end/")
    assert_ended(phone, "remote_logout")


def test_a_session_the_store_lost_says_so_not_key_rotated(engine, sign_in_as):
    client = sign_in_as("alice")
    record = SessionRecord.objects.get()
    store.delete_many([record.key_digest])  # what a Redis restart without data does
    assert_ended(client, "store_lost")


def test_a_session_that_no_longer_verifies_is_key_rotated(engine, sign_in_as):
    client = sign_in_as("alice")
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40):
        assert_ended(client, "key_rotated")


def test_the_sweep_ends_records_of_sessions_that_expired_unseen(
    engine, clock, sign_in_as, capsys
):
    """Without Celery beat (the embedded demo) nothing ever ended these records."""
    sign_in_as("alice")
    sign_in_as("bob")
    clock.advance(601)
    call_command("sweep_sessions")
    assert "Ended 2 session(s)." in capsys.readouterr().out
    assert set(SessionRecord.objects.values_list("end_reason", flat=True)) == {"idle"}
    if engine == "db":  # the store's own leftovers go too, once past their time
        clock.advance(14400 + 1)
        call_command("sweep_sessions")
        assert not StoredSession.objects.exists()


def test_my_devices_page_lists_no_session_that_is_past_its_limits(
    engine, clock, sign_in_as
):
    old = sign_in_as("alice")
    clock.advance(590)
    here = sign_in_as("alice")
    clock.advance(15)  # the first is past its idle limit, unswept
    page = here.get("/sessions/").content.decode()
    assert page.count("data-session-id=") == 1
    assert_ended(old, "idle")


# --- websockets -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(30)
def test_websocket_accepts_a_session_signed_with_a_fallback_key(sign_in_as):
    """Channels' get_user flushed sessions hashed with a SECRET_KEY_FALLBACKS key:
    a graceful key change signed people out at their next websocket handshake."""
    from django.conf import settings

    client = sign_in_as("alice")
    old_key = settings.SECRET_KEY

    async def scenario():
        socket = socket_for(client)
        connected, _ = await socket.connect()
        assert connected
        assert (await receive_type(socket, "state"))["type"] == "state"
        await socket.disconnect()

    with override_settings(
        SECRET_KEY="the-new-secret-key-" + "y" * 40, SECRET_KEY_FALLBACKS=[old_key]
    ):
        async_to_sync(scenario)()
        assert client.get("/").status_code == 200
    assert SessionRecord.objects.live().count() == 1


SHORT = {
    "SESSIONS_CORE_IDLE_TIMEOUT": 6,
    "SESSIONS_CORE_STAFF_IDLE_TIMEOUT": 6,
    "SESSIONS_CORE_WARNING_LEAD": 2,
    "SESSIONS_CORE_ABSOLUTE_TIMEOUT": 60,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(30)
@override_settings(**SHORT)
def test_an_older_reread_that_finishes_last_does_not_win(alice, monkeypatch, clock):
    """A re-read that started before "Stay signed in" and finished after it put the
    old deadline back, and the tab was warned as if nobody had pressed it."""
    client = Client()
    client.force_login(alice)
    real_read = socket_reads.read_session
    slow, reading, release, finished = (threading.Event() for _ in range(4))

    def read(*args):
        result = real_read(*args)
        if slow.is_set():
            slow.clear()
            reading.set()
            release.wait(5)  # this read saw the session before the extend
            finished.set()
        return result

    monkeypatch.setattr(socket_reads, "read_session", read)

    async def scenario():
        socket = socket_for(client)
        connected, _ = await socket.connect()
        assert connected
        await receive_type(socket, "state")
        record = await SessionRecord.objects.aget(user=alice)
        slow.set()
        await notify.send_to_groups(
            [notify.session_group(record.pk)], notify.changed_message()
        )
        assert await sync_to_async(reading.wait)(5)
        clock.advance(1.5)
        await socket.send_json_to({"type": "extend"})
        assert (await receive_type(socket, "state"))["idle_expires_in"] == 6.0
        release.set()
        assert await sync_to_async(finished.wait)(5)
        await asyncio.sleep(0.05)  # the old read's verdict reaches the consumer
        # Extended 6 s of idle time, warned 2 s before its end: 4 s after the extend.
        await clock.elapse(3.99)
        assert await socket.receive_nothing(timeout=0.05)
        await clock.elapse(0.01)
        assert (await receive_type(socket, "warning"))["expires_in"] == 2.0
        await socket.disconnect()

    async_to_sync(scenario)()


# --- found in review: each failed before its fix ----------------------------------


def test_a_session_moved_twice_at_once_leaves_one_copy_that_ends(engine, sign_in_as):
    """Two requests of one session cycling its key (a form sent twice): the second
    found the old key empty and wrote a second live copy no record tracked."""
    client = sign_in_as("alice")
    first, second = (store.session_store(key_of(client)) for _ in range(2))
    first.load_once(), second.load_once()
    first.cycle_key()
    second.cycle_key()
    assert second.session_key == key_of(client)  # nothing new made
    with pytest.raises(UpdateError):
        second.save()
    record = SessionRecord.objects.get()
    services.rekey(record_id=record.pk, session_key=first.session_key)
    services.force_logout_sessions(record_ids=[record.pk], by=None)
    assert store.load(first.session_key) == store.load(key_of(client)) == {}


def test_the_first_of_two_racing_ends_wins_in_the_store_and_the_record(
    engine, sign_in_as
):
    client = sign_in_as("alice")
    stale = list(SessionRecord.objects.select_related("user"))  # read, then...
    services.force_logout_sessions(record_ids=[stale[0].pk], by=None)
    assert services.end_sessions(records=stale, reason="idle") == 0
    record = SessionRecord.objects.get()
    assert record.end_reason == "admin"
    assert store.read(record.key_digest).end.reason == "admin"
    assert_ended(client, "admin")


def test_an_end_between_a_key_move_and_its_rekey_ends_the_new_key(engine, sign_in_as):
    client = sign_in_as("alice")
    session = store.session_store(key_of(client))
    session.cycle_key()  # moved in the store; the record still names the old key
    record = SessionRecord.objects.get()
    services.force_logout_sessions(record_ids=[record.pk], by=None)
    assert not services.rekey(record_id=record.pk, session_key=session.session_key)
    assert store.load(session.session_key) == {}
    assert store.read(digest_key(session.session_key)).end.reason == "admin"


def test_signing_out_keeps_the_reason_in_the_store(engine, sign_in_as):
    """logout() flushed the session just after the end was written, deleting it."""
    client = sign_in_as("alice")
    record = SessionRecord.objects.get()
    client.post("/logout/")
    assert store.read(record.key_digest).end.reason == "logout"


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(30)
def test_a_tab_of_a_session_whose_key_moved_reconnects_and_is_not_told_it_ended(
    sign_in_as,
):
    """After a password change in one tab, the other tabs' sockets (on the old key)
    were told "You signed out" while the session went on under its new key."""
    client = sign_in_as("alice")

    async def scenario():
        socket = socket_for(client)
        connected, _ = await socket.connect()
        assert connected
        await receive_type(socket, "state")
        await sync_to_async(change_own_password)(client)
        await socket.send_json_to({"type": "ping"})
        closed = await socket.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4001}

    async_to_sync(scenario)()
    assert client.get("/").status_code == 200
    assert SessionRecord.objects.live().count() == 1


def change_own_password(client: Client) -> None:
    response = confirm_it_is_me(client).post(
        "/password/",
        {
            "old_password": "demo-alice-2026",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
