"""Channels' consumer loop, without what an idle socket would carry for nothing.

``AsyncConsumer.__call__`` waits on its sources through ``await_many_dispatch``:
a task of its own and an ``asyncio.wait`` per socket, although a session socket
has one source (no channel of its own: ``sessions_core.fanout``). And its
``dispatch`` hops to a thread to close old database connections before every
frame and after the socket closes, which the socket's reads
(``channels.db.database_sync_to_async``) do around themselves anyway: after a key
rotation, 5,000 closing tabs queued 5,000 of those hops in the thread pool. Here
the socket awaits its receive directly and hops nowhere.

However the loop ends (the client's disconnect, or a handler that raised), the
consumer's ``disconnect`` runs once, so that no tab is left behind in the
process's structures (the sweep, the fan-out) after its socket is gone.
"""

from __future__ import annotations

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer


class DirectReceive:
    """Mixed in before a Channels consumer whose channel_layer_alias is None."""

    async def __call__(self, scope, receive, send):
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        self.disconnected = False
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            if not self.disconnected:  # a handler raised: the server closes (1011)
                await self.disconnect(1011)

    async def websocket_disconnect(self, message):
        self.disconnected = True
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
