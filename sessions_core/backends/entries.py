"""What a session store holds under a digest: session data, or the tombstone of
its end; and the error that says the store could not be reached."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

# Stored values that start with this are tombstones, never session data (session
# data is a JSON object and starts with "{").
TOMBSTONE_MARK = "!"


def digest_key(session_key: str) -> str:
    """The SHA-256 hex digest by which stores, records and logs name a session."""
    return hashlib.sha256(session_key.encode("utf-8", "surrogatepass")).hexdigest()


def _serializer():
    return _serializer_for(settings.SESSION_SERIALIZER)


@lru_cache(maxsize=4)
def _serializer_for(path: str):
    # Every read decodes: import the class once per setting, not once a call.
    return import_string(path)()


class StoreUnavailable(Exception):
    """The session store could not be reached: an outage, not an end."""


@dataclass(frozen=True)
class Tombstone:
    """What is left of an ended session in its store: why, and which record."""

    reason: str
    record_id: int | None

    def encode(self) -> str:
        return TOMBSTONE_MARK + json.dumps(
            {"reason": self.reason, "record": self.record_id}
        )

    @classmethod
    def decode(cls, stored: str) -> Tombstone:
        try:
            fields = json.loads(stored[len(TOMBSTONE_MARK) :])
            return cls(reason=str(fields["reason"]), record_id=fields.get("record"))
        except (ValueError, KeyError, TypeError):
            return cls(reason="", record_id=None)


@dataclass(frozen=True)
class Entry:
    """One read of a stored session: its data, or the tombstone of its end."""

    data: dict | None = None
    end: Tombstone | None = None


def encode_data(data: dict) -> str:
    return _serializer().dumps(data).decode()


def decode_entry(stored: str | bytes | None) -> Entry:
    """Turn a stored value into data or a tombstone; garbage reads as gone."""
    if stored is None:
        return Entry()
    if isinstance(stored, bytes):
        stored = stored.decode(errors="replace")
    if stored.startswith(TOMBSTONE_MARK):
        return Entry(end=Tombstone.decode(stored))
    try:
        data = _serializer().loads(stored.encode())
    except ValueError:
        return Entry()
    return Entry(data=data) if isinstance(data, dict) else Entry()
