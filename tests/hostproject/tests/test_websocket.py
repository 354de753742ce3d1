"""The websocket protocol on the host's own ASGI application, with short limits."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from tests.hostproject.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]

SHORT = {
    "SESSIONS_CORE_IDLE_TIMEOUT": 3,
    "SESSIONS_CORE_STAFF_IDLE_TIMEOUT": 3,
    "SESSIONS_CORE_WARNING_LEAD": 2,
    "SESSIONS_CORE_ABSOLUTE_TIMEOUT": 60,
}


def socket_for(cookie: str | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/session/", headers=headers)


async def receive_type(socket, kind: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = await socket.receive_json_from(
            timeout=max(deadline - time.monotonic(), 0.01)
        )
        if frame["type"] == kind:
            return frame


@override_settings(**SHORT)
def test_state_then_warning_then_expired(sign_in, reason_shown, clock):
    client = sign_in()
    cookie = client.cookies["sessionid"].value

    async def scenario():
        socket = socket_for(cookie)
        connected, _ = await socket.connect()
        assert connected
        state = await socket.receive_json_from()
        assert state["type"] == "state"
        assert state["idle_expires_in"] == 3.0
        assert state["warning_lead"] == 2
        await clock.elapse(0.99)
        assert await socket.receive_nothing(timeout=0.05)
        await clock.elapse(0.01)
        warning = await receive_type(socket, "warning")
        assert warning == {"type": "warning", "kind": "idle", "expires_in": 2.0}
        await clock.elapse(2)
        expired = await receive_type(socket, "expired")
        assert expired["reason"] == "idle"
        assert expired["message"]
        await clock.elapse(5)  # the page did not close it: the server does
        closed = await socket.receive_output(timeout=2)
        assert closed == {"type": "websocket.close", "code": 4000}

    async_to_sync(scenario)()
    # The socket ended the session on the server: the next page says why.
    assert reason_shown(client, client.get("/")) == "idle"


def test_anonymous_socket_is_refused():
    async def scenario():
        connected, _ = await socket_for(None).connect()
        assert not connected

    async_to_sync(scenario)()
