"""A tab that goes away mid-conversation leaves no traceback in the server's log.

A page that navigates away right after a frame closes its socket (or just drops
it) while the server is still answering. Daphne drops replies to a connection it
knows is closed; this keeps it so for every frame of the protocol.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import Client

from tests.integration.test_outage import (
    assert_clean,
    live_server,
    open_socket,
    server_output,
)

pytestmark = [pytest.mark.timeout(60), pytest.mark.django_db(transaction=True)]


def test_sockets_closed_while_the_server_answers_leave_no_traceback(alice, capfd):
    client = Client()
    client.force_login(alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    async def scenario(address: str) -> None:
        for round_ in range(60):
            socket = await open_socket(address, cookie)
            await socket.recv()  # the state frame: the server is listening
            await socket.send('{"type": "ping"}')
            await socket.send('{"type": "extend"}')
            if round_ % 2:
                await socket.close()  # a closing handshake
            else:
                socket.transport.abort()  # the connection simply drops
        await asyncio.sleep(1.0)  # let the server finish what it was doing

    with live_server() as address:
        async_to_sync(scenario)(address)
        assert client.get("/").status_code == 200  # the server still serves
    assert_clean(server_output(capfd))
