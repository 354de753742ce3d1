"""The websocket protocol through Channels' WebsocketCommunicator, short limits."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client, override_settings

from bankdemo.asgi import application
from sessions_core import notify, rotation, services, socket_reads, store
from sessions_core.models import SessionEvent, SessionRecord
from sessions_core.sessiondata import LAST_ACTIVE_KEY

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(30),
]

SHORT = {
    "SESSIONS_CORE_IDLE_TIMEOUT": 3,
    "SESSIONS_CORE_STAFF_IDLE_TIMEOUT": 3,
    "SESSIONS_CORE_WARNING_LEAD": 2,
    "SESSIONS_CORE_ABSOLUTE_TIMEOUT": 60,
}


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def socket_for(client: Client | None, origin: bytes = b"http://127.0.0.1"):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if client is not None:
        name = settings.SESSION_COOKIE_NAME  # "__Host-sessionid" with DEBUG off
        headers.append((b"cookie", f"{name}={client.cookies[name].value}".encode()))
    return WebsocketCommunicator(application, "/ws/session/", headers=headers)


async def receive_type(socket, kind, timeout=5.0):
    """Receive frames until one of ``kind`` arrives; return it."""
    deadline = time.monotonic() + timeout
    while True:
        message = await socket.receive_json_from(
            timeout=max(deadline - time.monotonic(), 0.01)
        )
        if message["type"] == kind:
            return message


async def open_tab(client: Client):
    """Connect a signed-in tab's socket and read its first state frame."""
    socket = socket_for(client)
    connected, _ = await socket.connect()
    assert connected
    socket.state = await receive_type(socket, "state")
    return socket


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


def test_connect_sends_state(alice):
    client = signed_in_client(alice)

    async def scenario():
        socket = socket_for(client)
        connected, _ = await socket.connect()
        assert connected
        state = await socket.receive_json_from()
        assert state["type"] == "state"
        assert state["idle_expires_in"] == pytest.approx(600, abs=2)
        assert state["absolute_expires_in"] == pytest.approx(14400, abs=2)
        assert state["warning_lead"] == 120
        await socket.disconnect()

    run(scenario)


def test_anonymous_socket_is_refused(db):
    async def scenario():
        connected, _ = await socket_for(None).connect()
        assert not connected

    run(scenario)


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/ws/other/", [(b"origin", b"http://127.0.0.1")]),
        ("/ws/session/extra/", [(b"origin", b"http://127.0.0.1")]),
        ("/ws/session/", []),  # no Origin at all
        ("/ws/session/", [(b"origin", b"http://127.0.0.1.evil.example")]),
    ],
)
def test_other_paths_and_origins_are_refused_before_the_session(alice, path, headers):
    client = signed_in_client(alice)
    name = settings.SESSION_COOKIE_NAME
    cookie = (b"cookie", f"{name}={client.cookies[name].value}".encode())

    async def scenario():
        socket = WebsocketCommunicator(
            application, path, headers=[*headers, (b"host", b"127.0.0.1"), cookie]
        )
        connected, _ = await socket.connect()
        assert not connected

    run(scenario)


def test_cross_origin_socket_is_refused(alice):
    client = signed_in_client(alice)

    async def scenario():
        connected, _ = await socket_for(
            client, origin=b"https://evil.example"
        ).connect()
        assert not connected

    run(scenario)


@override_settings(**SHORT)
def test_warning_at_the_lead_then_expiry_pushed_and_socket_closed(alice, clock):
    client = signed_in_client(alice)

    async def scenario():
        socket = await open_tab(client)
        await clock.elapse(0.99)
        assert await socket.receive_nothing(timeout=0.05)
        await clock.elapse(0.01)  # 2 s before the idle limit of 3 s
        warning = await receive_type(socket, "warning")
        assert warning == {"type": "warning", "kind": "idle", "expires_in": 2.0}
        await clock.elapse(1.99)
        assert await socket.receive_nothing(timeout=0.05)
        await clock.elapse(0.01)
        expired = await receive_type(socket, "expired")
        assert expired["reason"] == "idle"
        assert "no activity" in expired["message"]
        # The page leaves on that frame and closes the socket; the server closes
        # it only if the page has not, 5 s later.
        await clock.elapse(4.99)
        assert await socket.receive_nothing(timeout=0.05)
        await clock.elapse(0.01)
        closed = await socket.receive_output(timeout=2)
        assert closed == {"type": "websocket.close", "code": 4000}

    run(scenario)
    record = SessionRecord.objects.get(user=alice)
    assert record.end_reason == "idle"


@override_settings(**SHORT)
def test_extend_moves_the_deadline_and_ping_does_not(alice, clock):
    client = signed_in_client(alice)

    async def scenario():
        socket = await open_tab(client)
        await clock.elapse(1.5)
        await receive_type(socket, "warning")
        await socket.send_json_to({"type": "ping"})
        assert (await receive_type(socket, "pong")) == {"type": "pong"}
        await socket.send_json_to({"type": "extend"})
        state = await receive_type(socket, "state")
        assert state["idle_expires_in"] == 3.0
        # The warning comes again for the new deadline, 1 s after the extend.
        await clock.elapse(0.99)
        assert await socket.receive_nothing(timeout=0.05)
        await clock.elapse(0.01)
        assert (await receive_type(socket, "warning"))["expires_in"] == 2.0
        await socket.disconnect()

    run(scenario)


@override_settings(**SHORT)
def test_pings_alone_let_the_session_expire(alice, clock):
    client = signed_in_client(alice)

    async def scenario():
        socket = await open_tab(client)
        for _ in range(5):
            await clock.elapse(0.5)
            await socket.send_json_to({"type": "ping"})
            await receive_type(socket, "pong")
        await clock.elapse(0.5)  # 3 s after sign-in, 0.5 s after the last ping
        return await receive_type(socket, "expired")

    assert run(scenario)["reason"] == "idle"


def test_extend_in_one_tab_moves_every_tab_of_the_session(alice, clock):
    client = signed_in_client(alice)

    async def scenario():
        one, two = socket_for(client), socket_for(client)
        await one.connect()
        await two.connect()
        first = await receive_type(two, "state")
        await receive_type(one, "state")
        await clock.elapse(40)  # past the activity window (1/20 of 600 s)
        await one.send_json_to({"type": "extend"})
        moved = await receive_type(two, "state")
        assert first["idle_expires_in"] == 600.0
        assert moved["idle_expires_in"] == 600.0  # 40 s later: moved by 40 s
        await one.disconnect()
        await two.disconnect()

    run(scenario)


def test_socket_threads_never_wait_on_the_event_loop(alice, monkeypatch, clock):
    """Extend and end from a socket send from the loop, not from the worker thread
    (which would hang a stopping daphne). Sync code's async_to_sync is cut off."""
    client = signed_in_client(alice)

    def cut_off(function):
        raise AssertionError("a socket's worker thread waited on the event loop")

    monkeypatch.setattr(notify, "async_to_sync", cut_off)

    async def scenario():
        one, two = await open_tab(client), await open_tab(client)
        await clock.elapse(40)
        await one.send_json_to({"type": "extend"})
        await receive_type(two, "state", timeout=2)
        # An end found by one socket's re-read reaches the session's other tabs.
        record = await SessionRecord.objects.aget(user=alice)
        await sync_to_async(store.delete_many)([record.key_digest])
        await one.send_json_to({"type": "ping"})
        told = await receive_type(one, "expired", timeout=2)
        assert await receive_type(two, "expired", timeout=2) == told

    run(scenario)


def test_sign_out_over_http_reaches_the_open_tab(alice):
    client = signed_in_client(alice)

    async def scenario():
        socket = await open_tab(client)
        await sync_to_async(client.post)("/logout/")
        expired = await receive_type(socket, "expired", timeout=2)
        assert expired["reason"] == "logout"

    run(scenario)


@override_settings(SESSIONS_CORE_WS_RECHECK=30)
def test_backstop_notices_an_end_nobody_announced(alice, demo, monkeypatch, clock):
    client = signed_in_client(alice)
    # As a management command in another process would end it: its channel layer
    # (in memory, in that process) reaches no socket here.
    monkeypatch.setattr(notify, "send_sync", lambda groups, message: None)

    async def scenario():
        socket = await open_tab(client)
        record = await sync_to_async(SessionRecord.objects.select_related("user").get)(
            user=alice
        )
        await sync_to_async(services.end_sessions)(
            records=[record], reason="admin", by=demo["admin"]
        )
        await clock.elapse(26)  # the process's sweep comes 27 to 33 s apart
        assert await socket.receive_nothing(timeout=0.05)
        await clock.elapse(8)
        return await receive_type(socket, "expired", timeout=2)

    assert run(scenario)["reason"] == "admin"


class StoreReads:
    """Counts the engine's reads, one session at a time and in batches."""

    def __init__(self, monkeypatch):
        self.single, self.batches = 0, []
        engine = store.engine()
        read, read_many = engine.read, engine.read_many

        def counted_read(digest):
            self.single += 1
            return read(digest)

        def counted_read_many(digests):
            self.batches.append(len(digests))
            return read_many(digests)

        monkeypatch.setattr(engine, "read", staticmethod(counted_read))
        monkeypatch.setattr(engine, "read_many", staticmethod(counted_read_many))


@override_settings(SESSIONS_CORE_WS_RECHECK=30)
def test_idle_tabs_read_nothing_of_their_own_between_two_events(
    alice, monkeypatch, clock
):
    """Idle, a tab does no store read: the process reads all its tabs' sessions in
    one batch at the backstop, and only a frame (an event) reads for that tab."""
    clients = [signed_in_client(alice) for _ in range(3)]

    async def scenario():
        tabs = [await open_tab(client) for client in clients]
        reads = StoreReads(monkeypatch)
        await clock.elapse(100)  # before any warning (idle 600 s, lead 120 s)
        for tab in tabs:
            assert await tab.receive_nothing(timeout=0.01)
        idle = (reads.single, list(reads.batches))
        await tabs[0].send_json_to({"type": "ping"})
        await receive_type(tabs[0], "pong")
        return idle, reads.single

    (single, batches), after_ping = run(scenario)
    assert single == 0
    assert batches == [3, 3, 3]  # three sweeps in 100 s, each one read of 3 sessions
    assert after_ping == 1


@override_settings(SESSIONS_CORE_WS_RECHECK=30)
def test_the_sweep_has_only_changed_sessions_read_again(alice, monkeypatch, clock):
    still, moved = signed_in_client(alice), signed_in_client(alice)

    async def scenario():
        quiet, busy = await open_tab(still), await open_tab(moved)
        # Activity written where no message reaches the tabs (another process).
        monkeypatch.setattr(notify, "send_sync", lambda groups, message: None)
        clock.advance(34)  # past the activity window, and the sweep falls due
        assert (await sync_to_async(moved.get)("/")).status_code == 200
        reads = StoreReads(monkeypatch)
        await clock.elapse(0)
        state = await receive_type(busy, "state", timeout=2)
        assert await quiet.receive_nothing(timeout=0.05)
        return reads.single, reads.batches, state

    single, batches, state = run(scenario)
    assert batches == [2]
    assert single == 1  # the tab whose session changed, and only it
    assert state["idle_expires_in"] == pytest.approx(600, abs=1)  # from the GET


def test_garbage_frames_get_an_error_not_a_crash(alice):
    client = signed_in_client(alice)

    async def scenario():
        socket = await open_tab(client)
        await socket.send_to(text_data="not json")
        assert (await receive_type(socket, "error"))["message"] == "frames must be JSON"
        await socket.send_json_to({"type": "launch-missiles"})
        assert (await receive_type(socket, "error"))[
            "message"
        ] == "unknown message type"
        await socket.send_json_to([1, 2, 3])
        await receive_type(socket, "error")
        await socket.send_json_to({"type": "ping"})
        await receive_type(socket, "pong")
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("grace", [0, 90])
def test_rotation_ends_the_tab_when_the_grace_ends(alice, grace, clock):
    client = signed_in_client(alice)

    async def scenario():
        socket = await open_tab(client)
        await sync_to_async(rotation.rotate_keys)(grace=grace)
        if grace:
            await clock.elapse(grace - 0.01)
            assert await socket.receive_nothing(timeout=0.05)
            await clock.elapse(0.01)
        return await receive_type(socket, "expired", timeout=4)

    assert run(scenario)["reason"] == "key_rotated"


def stored_last_active(client: Client) -> float:
    session = store.session_store(client.cookies["sessionid"].value)
    return session[LAST_ACTIVE_KEY]


@override_settings(**SHORT)
def test_input_in_one_tab_moves_every_tab_and_is_not_logged_as_staying(alice, clock):
    """{"type": "activity"}: the person used the page. It counts from when they
    acted ("ago"), at most once per window, reaches the session's other tabs, and
    is not "Stay signed in" in the audit log, even once warned."""
    client = signed_in_client(alice)

    async def scenario():
        one, two = await open_tab(client), await open_tab(client)
        await clock.elapse(1)
        await receive_type(two, "warning")
        await one.send_json_to({"type": "activity", "ago": 0.2})
        moved = await receive_type(two, "state")
        assert moved["idle_expires_in"] == 2.8  # from the input, 0.2 s ago
        assert moved["activity_every"] == 0.25  # a quarter of the 1 s before warning
        recorded = await sync_to_async(stored_last_active)(client)
        # Input within the window (0.15 s here) of the recorded one writes nothing.
        await clock.elapse(0.1)
        await one.send_json_to({"type": "activity", "ago": 0.2})
        await one.send_json_to({"type": "ping"})
        await receive_type(one, "pong")
        assert await sync_to_async(stored_last_active)(client) == recorded
        # Past it, one does; an "ago" beyond the report interval counts as 0.25 s.
        await clock.elapse(0.2)
        await one.send_json_to({"type": "activity", "ago": 99})
        await one.send_json_to({"type": "ping"})
        await receive_type(one, "pong")
        assert await sync_to_async(stored_last_active)(client) == pytest.approx(
            recorded + 0.25
        )
        await one.disconnect()
        await two.disconnect()

    run(scenario)
    kinds = set(SessionEvent.objects.values_list("kind", flat=True))
    assert SessionEvent.Kind.EXTEND not in kinds


@override_settings(**SHORT)
@pytest.mark.parametrize("frame", ["activity", "extend"])
def test_a_frame_after_the_deadline_revives_nothing(alice, clock, frame):
    """Input or "Stay signed in" that reaches the server after the idle deadline,
    before the tab's own timer fired, is told the end (found in review)."""
    client = signed_in_client(alice)

    async def scenario():
        socket = await open_tab(client)
        clock.advance(3)  # the deadline passes; no timer has fired yet
        await socket.send_json_to({"type": frame})
        return await receive_type(socket, "expired")

    assert run(scenario)["reason"] == "idle"
    assert SessionRecord.objects.get(user=alice).end_reason == "idle"


def test_state_frames_say_how_often_to_report_input(alice):
    client = signed_in_client(alice)

    async def scenario():
        socket = await open_tab(client)
        await socket.disconnect()
        return socket.state

    # Idle 600 s, lead 120 s: a quarter of the 480 s before the warning, capped.
    assert run(scenario)["activity_every"] == 60.0


@override_settings(**SHORT)
def test_activity_in_one_tab_moves_the_others_without_a_read(alice, monkeypatch, clock):
    """The change message carries the activity's moment: the session's other tabs
    judge it from that alone, not one store read each."""
    client = signed_in_client(alice)
    rereads = []
    read_session = socket_reads.read_session

    def counted(*args):
        rereads.append(args)
        return read_session(*args)

    async def scenario():
        one, two = await open_tab(client), await open_tab(client)
        await clock.elapse(1.5)
        monkeypatch.setattr(socket_reads, "read_session", counted)
        await one.send_json_to({"type": "extend"})
        return await receive_type(one, "state"), await receive_type(two, "state")

    mine, theirs = run(scenario)
    assert rereads == []
    assert mine["idle_expires_in"] == theirs["idle_expires_in"] == 3.0
