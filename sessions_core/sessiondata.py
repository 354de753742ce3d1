"""What sessions_core keeps inside a session, under private keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

SIGNED_IN_KEY = "_sessions_core_signed_in"
# A request attribute: the sign-in time that a session started in this request
# keeps instead of now (the rotating administrator's renewed session).
CARRIED_SIGN_IN_ATTR = "sessions_core_carried_sign_in"
LAST_ACTIVE_KEY = "_sessions_core_last_active"
KEY_VERSION_KEY = "_sessions_core_key_version"
RECORD_KEY = "_sessions_core_record"
# "Confirm it's you": when this session last confirmed, and the actions waiting for
# a confirmation of their own (sessions_core.stepup).
STEP_UP_KEY = "_sessions_core_step_up"
# An API session's current access token: [its SHA-256 digest, when it was issued].
ACCESS_KEY = "_sessions_core_access"


class Stamps(NamedTuple):
    """Frozen; a tuple rather than a frozen dataclass, which took three times as
    long to make on every signed-in request and held a dict in every socket."""

    record_id: int
    signed_in: float
    last_active: float
    key_version: int


def read_stamps(data: Mapping) -> Stamps | None:
    """Return the stamps in a session's data, or None if it has none or bad ones."""
    try:
        signed_in = float(data[SIGNED_IN_KEY])
        return Stamps(
            record_id=int(data[RECORD_KEY]),
            signed_in=signed_in,
            last_active=float(data.get(LAST_ACTIVE_KEY, signed_in)),
            key_version=int(data.get(KEY_VERSION_KEY, 1)),
        )
    except (KeyError, TypeError, ValueError):
        return None


def write_stamps(
    data,
    *,
    record_id: int,
    signed_in: float,
    key_version: int,
    last_active: float | None = None,
) -> None:
    data[RECORD_KEY] = record_id
    data[SIGNED_IN_KEY] = signed_in
    data[LAST_ACTIVE_KEY] = signed_in if last_active is None else last_active
    data[KEY_VERSION_KEY] = key_version
