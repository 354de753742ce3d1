"""A tab's socket at its edges: an end that races a read, a handler that fails, a
message older than what the tab knows, an end that lands while the tab connects.

Each of these was found by reading the consumer, not by a tab that misbehaved in
a browser; each test failed on the code before its fix.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError

from sessions_core import fanout, notify, services, socket_reads, socket_sweep
from sessions_core.models import SessionRecord
from sessions_core.reasons import EndReason
from tests.integration.test_consumer import (
    open_tab,
    receive_type,
    run,
    signed_in_client,
    socket_for,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(30),
]


class GatedReads:
    """socket_reads.read_session, held in its thread until released; ``answer``
    decides what it returns (the real read when None)."""

    def __init__(self, monkeypatch, answer=None):
        self.entered, self.release = threading.Event(), threading.Event()
        real = socket_reads.read_session

        def gated(*args):
            self.entered.set()
            self.release.wait(10)
            return answer(*args) if answer else real(*args)

        monkeypatch.setattr(socket_reads, "read_session", gated)

    async def started(self) -> None:
        assert await sync_to_async(self.entered.wait)(5), "no read started"


def test_a_late_store_down_read_does_not_keep_an_ended_tab_open(
    alice, monkeypatch, clock
):
    """The server closes an ended tab 5 s after telling it; a read that was on its
    way and comes back "store down" must neither answer nor cancel that close."""
    client = signed_in_client(alice)

    async def scenario():
        socket = await open_tab(client)
        reads = GatedReads(
            monkeypatch, answer=lambda *_: (None, socket_reads.STORE_DOWN)
        )
        await socket.send_json_to({"type": "ping"})
        await reads.started()
        await sync_to_async(client.post)("/logout/")
        expired = await receive_type(socket, "expired", timeout=2)
        reads.release.set()
        await asyncio.sleep(0.2)  # the read returns, in real time
        after = await socket.receive_nothing(timeout=0.1)
        await clock.elapse(5.0)
        closed = await socket.receive_output(timeout=2)
        return expired, after, closed

    expired, nothing_after, closed = run(scenario)
    assert expired["reason"] == "logout"
    assert nothing_after, "the tab was answered after it was told its session ended"
    assert closed == {"type": "websocket.close", "code": 4000}


def test_a_failing_handler_leaves_no_tab_behind(alice, monkeypatch):
    """A frame whose handling raises closes that socket, and the process forgets
    the tab: it is in neither the sweep nor the session's group any more."""
    client = signed_in_client(alice)

    def broken(*args):
        raise RuntimeError("a defect in a read")

    async def scenario():
        socket = await open_tab(client)
        monkeypatch.setattr(socket_reads, "read_session", broken)
        await socket.send_json_to({"type": "ping"})
        with pytest.raises(RuntimeError):
            await socket.receive_output(timeout=2)
        return socket_sweep.current().tabs, dict(fanout.hub().tabs)

    swept, grouped = run(scenario)
    assert swept == set()
    assert grouped == {}


def test_a_database_outage_in_a_read_is_an_outage_not_an_end(alice, monkeypatch):
    """Redis answers, PostgreSQL does not: the read cannot load the user. The tab
    stays open and signed in, as when the store is down, and reads again later."""
    client = signed_in_client(alice)
    real = socket_reads.user_for_session
    failures = []

    def database_down(data):
        failures.append(1)
        raise OperationalError("connection refused")

    async def scenario():
        socket = await open_tab(client)
        monkeypatch.setattr(socket_reads, "user_for_session", database_down)
        await socket.send_json_to({"type": "ping"})
        pong = await receive_type(socket, "pong", timeout=2)
        monkeypatch.setattr(socket_reads, "user_for_session", real)
        await socket.send_json_to({"type": "ping"})
        await receive_type(socket, "pong", timeout=2)
        await socket.disconnect()
        return pong

    assert run(scenario) == {"type": "pong"}
    assert failures
    assert SessionRecord.objects.get(user=alice).ended_at is None


def test_an_older_change_message_does_not_move_the_countdown_back(
    alice, monkeypatch, clock
):
    """After "Stay signed in" in this tab, a change message about activity before
    it (delayed on its way) is old news: the tab's deadline stays where it is,
    even when the tab's own change message was lost (a layer at capacity)."""
    client = signed_in_client(alice)

    async def scenario():
        socket = await open_tab(client)
        signed_in = await sync_to_async(
            lambda: SessionRecord.objects.get(user=alice).signed_in_at.timestamp()
        )()
        await clock.elapse(40)  # past the activity window (1/20 of 600 s)
        monkeypatch.setattr(notify, "send_sync", lambda groups, message: None)
        await socket.send_json_to({"type": "extend"})
        extended = await receive_type(socket, "state")
        monkeypatch.undo()
        record = await SessionRecord.objects.aget(user=alice)
        older = notify.changed_message(last_active=signed_in + 20)
        await notify.send_to_groups([notify.session_group(record.pk)], older)
        return extended, await socket.receive_nothing(timeout=0.3)

    extended, nothing = run(scenario)
    assert extended["idle_expires_in"] == 600.0
    assert nothing, "an older change message moved the tab's countdown back"


def test_an_end_while_the_tab_connects_reaches_it_at_once(alice, monkeypatch):
    """The session ends after the tab's first read and before it could have joined
    its session's group: the end's message still reaches it, not the backstop."""
    client = signed_in_client(alice)
    real = socket_reads.read_session

    def read_then_end(*args):
        seen = real(*args)
        record = SessionRecord.objects.get(user=alice)
        # In the read's thread: its message goes out when the read returns.
        services.end_sessions(records=[record], reason=EndReason.ADMIN)
        return seen

    async def scenario():
        monkeypatch.setattr(socket_reads, "read_session", read_then_end)
        socket = socket_for(client)
        connected, _ = await socket.connect()
        assert connected
        return await receive_type(socket, "expired", timeout=2)

    assert run(scenario)["reason"] == "admin"
