"""What every sessions_core session engine guarantees, whatever it stores in.

Django's engines are keyed by the raw session key and treat an end as a delete.
That is not enough where a session must end when the server says so:

- **An end is final.** Ending a session writes a *tombstone* (the reason and the
  record) over its data. Loading a session reads data or tombstone in one read, so
  every reader sees the end the moment it is written, with its reason. A save
  writes only if the session is still there and not ended (compare-and-set), so no
  slow request can bring an ended session back. ``cycle_key`` moves a live session
  to its new key in one step, and carries a tombstone over instead of the data.
- **The store never holds a bearer token.** Entries are keyed by the SHA-256 digest
  of the session key: a dump of the store (or of the database) signs nobody in.
- **Down is not gone.** A store that cannot be reached raises ``StoreUnavailable``;
  Django's engines return an empty session instead, and the cookie is deleted.
- **The cookie has no Expires.** The server decides when a session ends; a browser
  that kept the cookie past a deadline comes back to hear why.

A subclass implements the six storage primitives at the bottom, all by digest.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, SessionBase, UpdateError

from sessions_core import policy
from sessions_core.conf import app_settings

from .entries import (
    TOMBSTONE_MARK,
    Entry,
    StoreUnavailable,
    Tombstone,
    decode_entry,
    digest_key,
    encode_data,
)

__all__ = [
    "TOMBSTONE_MARK",
    "Entry",
    "FinalSessionStore",
    "StoreUnavailable",
    "Tombstone",
    "digest_key",
    "stored_for",
]


def stored_for() -> int:
    """Seconds a store keeps an entry after its last write (the policy decides)."""
    return policy.store_ttl(
        absolute=app_settings.ABSOLUTE_TIMEOUT, cookie_age=settings.SESSION_COOKIE_AGE
    )


class FinalSessionStore(SessionBase):
    """A session engine whose ends are final (see the module docstring)."""

    # Set by load(): the end this store found instead of data, if any, and whether
    # it found data (a session Django's auth may still flush if it fails to verify).
    end: Tombstone | None = None
    loaded_data: bool = False

    # --- Django's SessionBase interface ---------------------------------------------

    def load(self) -> dict:
        self.end = None
        key = self.session_key
        entry = self.read(digest_key(key)) if key else Entry()
        self.loaded_data = entry.data is not None
        if entry.data is not None:
            return entry.data
        # Gone or ended: a later save must make a new key, never reuse this one.
        self.end = entry.end
        self._session_key = None
        return {}

    def load_once(self) -> None:
        """Load the session now (Django loads it on first use); a no-op after."""
        self._get_session()

    def exists(self, session_key: str) -> bool:
        return bool(session_key) and self.read(digest_key(session_key)).data is not None

    def create(self) -> None:
        for _ in range(100):
            self._session_key = self._get_new_session_key()
            try:
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return
        raise StoreUnavailable("could not create a new session key")

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        digest = digest_key(self.session_key)
        payload = self._encode(self._get_session(no_load=must_create))
        ttl = self.get_expiry_age()
        if must_create:
            if not self.write_new(digest, payload, ttl):
                raise CreateError
        elif not self.write_if_live(digest, payload, ttl):
            # Ended or gone meanwhile: the end stands (SessionMiddleware turns this
            # into SessionInterrupted; sessions_core's middleware into the reason).
            raise UpdateError

    def delete(self, session_key: str | None = None) -> None:
        """Delete live data, but never an end: ``logout()`` flushes the session just
        after sessions_core wrote why it ended, and the reason must stay."""
        session_key = session_key or self.session_key
        if session_key:
            self.discard(digest_key(session_key))

    def cycle_key(self) -> None:
        """Give the session a new key, unless it ended meanwhile.

        A live session moves to the new key in one step; an ended one leaves its
        tombstone under the new key too, so the browser that gets the new cookie is
        told why, and nothing signs in under it.
        """
        old = self.session_key  # before loading: a load that finds an end drops it
        data = self._session
        if not old or (self.end is None and not self.loaded_data):
            return super().cycle_key()  # nothing was stored: a new session, as Django
        for _ in range(100):
            new = self._get_new_session_key()
            moved = self.move(
                digest_key(old),
                digest_key(new),
                self._encode(data),
                self.get_expiry_age(),
            )
            if moved is None:  # the new key was taken: try another
                continue
            if moved is False:
                # Moved away by a concurrent request of this session (a form sent
                # twice): keep the old key, so that this request's save fails and
                # it is answered as interrupted, and no second copy lives on.
                self.modified = True
                return
            self._session_key = new
            if isinstance(moved, Tombstone):
                self.end, self._session_cache = moved, {}
            else:
                self._session_cache = data
            self.modified = True
            return
        raise StoreUnavailable("could not create a new session key")

    def get_expire_at_browser_close(self) -> bool:
        return True

    def get_expiry_age(self, **kwargs) -> int:
        return stored_for()

    @classmethod
    def clear_expired(cls) -> None:
        cls.delete_expired()

    # --- helpers --------------------------------------------------------------------

    _encode = staticmethod(encode_data)
    decode_entry = staticmethod(decode_entry)

    @classmethod
    def end_keys(cls, ends: dict[str, Tombstone]) -> None:
        """Write each tombstone over its digest (live, gone or already ended)."""
        if ends:
            cls.write_tombstones({d: end.encode() for d, end in ends.items()})

    # --- storage primitives, by digest ------------------------------------------------

    @classmethod
    def read(cls, digest: str) -> Entry:
        """Return the entry stored under ``digest`` in one read."""
        raise NotImplementedError

    @classmethod
    def read_many(cls, digests: list[str]) -> list[Entry]:
        """The entries under ``digests``, in their order, in as few reads as the
        store allows (the websockets' backstop reads a whole process's at once)."""
        return [cls.read(digest) for digest in digests]

    @classmethod
    def write_new(cls, digest: str, payload: str, ttl: int) -> bool:
        """Store ``payload`` only if nothing is stored under ``digest``."""
        raise NotImplementedError

    @classmethod
    def write_if_live(cls, digest: str, payload: str, ttl: int) -> bool:
        """Store ``payload`` only over live data (never over a tombstone or nothing)."""
        raise NotImplementedError

    @classmethod
    def move(
        cls, old: str, new: str, payload: str, ttl: int
    ) -> bool | Tombstone | None:
        """In one step: if ``old`` holds live data, store ``payload`` under ``new``
        and delete ``old`` (True); if ``old`` holds a tombstone, copy it to ``new``
        (the Tombstone); if ``old`` holds nothing, write nothing (False). None if
        ``new`` was taken.
        """
        raise NotImplementedError

    @classmethod
    def discard(cls, digest: str) -> None:
        """Delete live data under ``digest``; leave a tombstone where it is."""
        raise NotImplementedError

    @classmethod
    def write_tombstones(cls, tombstones: dict[str, str]) -> None:
        """Store each encoded tombstone under its digest, whatever is there."""
        raise NotImplementedError

    @classmethod
    def delete_digests(cls, digests: list[str]) -> None:
        """Delete whatever is stored under these digests (the rotation's purge)."""
        raise NotImplementedError

    @classmethod
    def start_deleting(cls, digests: list[str]) -> Callable[[], None]:
        """Start ``delete_digests`` and return ``finish()``, which waits for it and
        raises its StoreUnavailable; call it exactly once, also on your errors. The
        caller works on meanwhile (the purge's UPDATE). Here the delete is done at
        once; a store over a socket sends it now and reads the answer in finish()."""
        cls.delete_digests(digests)
        return lambda: None

    @classmethod
    def delete_expired(cls) -> None:
        """Remove entries past their time (stores that expire keys need nothing)."""
