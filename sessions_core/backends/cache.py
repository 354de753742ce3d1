"""Django's cache session engine, sharing one cache object per process.

``django.core.cache.caches`` hands each async context its own cache object, and
Django's cache SessionStore takes one every time it is created. A websocket is one
long-lived context, so every open tab kept its own django-redis client: about
17 KiB, mostly redis-py's table of response callbacks (bench/websockets.py), for
as long as the tab stayed open; every HTTP request built one too. Cache clients
that pool their connections (django-redis, Django's Redis and pymemcache
backends, the local-memory cache) are safe to share between threads, and this
engine shares one; ``sessions_core.W003`` warns about a backend not known to be.

    SESSION_ENGINE = "sessions_core.backends.cache"
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.core.cache import BaseCache, caches
from django.core.signals import setting_changed
from django.dispatch import receiver

_shared: dict[str, BaseCache] = {}


def shared_cache(alias: str) -> BaseCache:
    """This process's one cache object for ``alias``."""
    try:
        return _shared[alias]
    except KeyError:
        # A race here only builds a second object; either works.
        return _shared.setdefault(alias, caches.create_connection(alias))


@receiver(setting_changed)
def _forget_caches(*, setting: str, **kwargs) -> None:
    if setting in {"CACHES", "SESSION_CACHE_ALIAS"}:
        _shared.clear()


class SessionStore(CacheSessionStore):
    def __init__(self, session_key: str | None = None):
        # Not CacheSessionStore.__init__: it would take this context's own cache.
        SessionBase.__init__(self, session_key)
        self._cache = shared_cache(settings.SESSION_CACHE_ALIAS)
