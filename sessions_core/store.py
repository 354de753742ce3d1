"""Reach sessions in the configured session store: by key for a browser's own
session, by digest for everything that starts from a record.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings

from .backends.base import (
    Entry,
    FinalSessionStore,
    StoreUnavailable,
    Tombstone,
    digest_key,
)

__all__ = ["Entry", "StoreUnavailable", "Tombstone", "engine", "session_store"]


def engine() -> type[FinalSessionStore]:
    """The configured engine's SessionStore class (checked by sessions_core.E008)."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_store(session_key: str | None = None) -> FinalSessionStore:
    return engine()(session_key)


def read(digest: str) -> Entry:
    """The session or the tombstone under ``digest``, in one read."""
    return engine().read(digest)


def load(session_key: str) -> dict:
    """A session's data by its key; empty if it is gone or ended."""
    return read(digest_key(session_key)).data or {}


def end(ends: dict[str, Tombstone]) -> None:
    """Write each end over its session: every later read sees it, no save undoes it."""
    engine().end_keys(ends)


def delete_many(digests: list[str]) -> None:
    """Remove sessions (their records already say how they ended)."""
    if digests:
        engine().delete_digests(digests)
