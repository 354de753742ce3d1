"""Reach sessions in the configured session store: by key for a browser's own
session, by digest for everything that starts from a record.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from django.conf import settings

from .backends.base import (
    Entry,
    FinalSessionStore,
    StoreUnavailable,
    Tombstone,
    digest_key,
    encode_data,
    stored_for,
)
from .sessiondata import LAST_ACTIVE_KEY

__all__ = [
    "DigestSession",
    "Entry",
    "StoreUnavailable",
    "Tombstone",
    "engine",
    "session_store",
]


def engine() -> type[FinalSessionStore]:
    """The configured engine's SessionStore class (checked by sessions_core.E008)."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_store(session_key: str | None = None) -> FinalSessionStore:
    return engine()(session_key)


def read(digest: str) -> Entry:
    """The session or the tombstone under ``digest``, in one read."""
    return engine().read(digest)


def read_many(digests: list[str]) -> list[Entry]:
    """The entries under ``digests``, in order, in as few reads as the store allows."""
    return engine().read_many(digests) if digests else []


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


def start_deleting(digests: list[str]) -> Callable[[], None]:
    """``delete_many`` started now; the returned ``finish()`` waits for it and
    raises its StoreUnavailable. Call it once, also when your own work failed."""
    return engine().start_deleting(digests)


class DigestSession(dict):
    """A session's data reached by its digest alone, for doors that never hold its
    key (API tokens): enough of a session for ``sessions_core.stepup``.

    ``save()`` writes only over live data, as every engine's save does, and only
    the keys this copy changed, over what the store holds now: a slow call never
    undoes a concurrent refresh or newer activity ("latest wins").
    """

    def __init__(self, digest: str, data: dict):
        super().__init__(data)
        self.digest = digest
        self.changed: set[str] = set()

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.changed.add(key)

    @property
    def modified(self) -> bool:
        return bool(self.changed)

    def save(self) -> bool:
        """Write the changes; False if the session ended meanwhile."""
        if not self.changed:
            return True
        stored = read(self.digest).data
        if stored is None:
            return False
        data = {**stored, **{key: self[key] for key in self.changed}}
        if stored.get(LAST_ACTIVE_KEY, 0) > data.get(LAST_ACTIVE_KEY, 0):
            data[LAST_ACTIVE_KEY] = stored[LAST_ACTIVE_KEY]
        self.changed = set()
        return engine().write_if_live(self.digest, encode_data(data), stored_for())
