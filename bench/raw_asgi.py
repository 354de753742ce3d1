"""A raw ASGI websocket app, no Channels: the floor a server gives an idle socket.

It accepts, sends one frame (as the session consumer sends its state), and waits
for the socket to close.
"""

from __future__ import annotations

import json

STATE = json.dumps({"type": "state"})


async def application(scope, receive, send):
    if scope["type"] != "websocket":
        return
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": STATE})
        elif message["type"] == "websocket.disconnect":
            return
