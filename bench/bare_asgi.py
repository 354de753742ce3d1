"""A bare Channels consumer behind the same middleware: the memory baseline."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from bankdemo.asgi import application as _project  # noqa: F401  (sets Django up)


class BareConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        await self.accept()
        await self.send_json({"type": "state"})


application = ProtocolTypeRouter(
    {
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter([path("ws/session/", BareConsumer.as_asgi())])
            )
        )
    }
)
