"""Reach sessions in the configured session store by key."""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import caches

logger = logging.getLogger(__name__)


def session_store(session_key: str | None = None) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key)


def load(session_key: str) -> dict:
    """Return the session's data; empty if it is gone or no longer decodes."""
    return dict(session_store(session_key).load())


def delete_many(session_keys: list[str]) -> None:
    """Remove sessions from every layer of their store, in as few round trips as
    the engine allows: one multi-key delete for the cache, one query for the
    database, a loop only for engines this module does not know.
    """
    if not session_keys:
        return
    empty = session_store()
    store_class = empty.__class__
    prefix = getattr(store_class, "cache_key_prefix", None)
    has_model = hasattr(store_class, "get_model_class")
    if prefix is None and not has_model:
        for key in session_keys:
            session_store(key).delete(key)
        return
    if prefix is not None:
        # The cache the engine itself uses (sessions_core.backends.cache shares one).
        cache = getattr(empty, "_cache", None) or caches[settings.SESSION_CACHE_ALIAS]
        keys = [prefix + key for key in session_keys]
        redis_client = getattr(getattr(cache, "client", None), "get_client", None)
        if redis_client is not None:
            # django-redis: UNLINK frees the memory in the background, unlike DEL.
            redis_client(write=True).unlink(*(cache.make_key(key) for key in keys))
        else:
            cache.delete_many(keys)
    if has_model:
        store_class.get_model_class().objects.filter(
            session_key__in=session_keys
        ).delete()
