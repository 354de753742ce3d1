"""The session websocket's entry point in one layer: origin, path, session, socket.

The Channels way, ``AllowedHostsOriginValidator(SessionAuthStack(URLRouter(...)))``,
keeps for as long as a socket is open a coroutine frame per layer, a copy of the
scope per router and the parsed Origin: about 1.5 KiB of the 7 KiB an idle
socket costs above the server's own (tracemalloc in daphne, bench/probe.py).
This makes the same checks, with the same rules, in one frame and one copy:

    application = ProtocolTypeRouter({"http": ..., "websocket": SessionSocketApp()})
"""

from __future__ import annotations

from urllib.parse import urlparse

from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier

from .consumers import SessionConsumer
from .ws_auth import authenticated

SOCKET_PATH = "/ws/session/"


def _origin(scope):
    for name, value in scope.get("headers") or ():
        if name == b"origin":
            try:
                return urlparse(value.decode("latin1"))
            except UnicodeDecodeError:
                return None
    return None


class SessionSocketApp:
    """Serve ``path`` with the session consumer; refuse other paths and origins."""

    def __init__(self, path: str = SOCKET_PATH):
        self.path = path
        # Channels' own check of Origin against ALLOWED_HOSTS, used as a function.
        self.origins = AllowedHostsOriginValidator(None)

    async def __call__(self, scope, receive, send):
        if scope["path"] != self.path or not self.origins.valid_origin(_origin(scope)):
            return await WebsocketDenier()(scope, receive, send)
        return await SessionConsumer()(await authenticated(scope), receive, send)
