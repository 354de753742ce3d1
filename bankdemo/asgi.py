"""ASGI entry point: HTTP and websockets from one daphne process."""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankdemo.settings")
# Set up Django (apps, models) before anything imports a consumer.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from sessions_core.socket_entry import SessionSocketApp  # noqa: E402

# The session websocket in one layer (origin, path, session): what Channels'
# validator, SessionAuthStack and URLRouter do, without a frame and a scope copy
# per layer kept by every open socket (sessions_core/socket_entry.py).
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SessionSocketApp(),
    }
)

# What start-up made (modules, models, URL patterns, templates: about 100,000
# objects) lives as long as the process: keep it out of every full garbage
# collection, which otherwise walks it again each time (a full collection paused
# a process with 5,000 open tabs for 0.55 s, bench/websockets.py).
gc.collect()  # what start-up left as garbage is not kept forever
gc.freeze()
# And collect the youngest generation after 50,000 allocations, not 700: with
# thousands of sockets, each warning, ping and frame has objects in flight, and a
# young collection that catches them in flight promotes them; two full collections
# a minute followed from that alone (bench/websockets.py, 5,000 sockets). Garbage
# without cycles is freed at once either way.
gc.set_threshold(50_000, 20, 10)
