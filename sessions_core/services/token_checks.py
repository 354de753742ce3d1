"""The check every API call goes through: a token, judged by its session.

The access token leads to its session's record and store entry; the session is
judged as the middleware judges a browser's, so every end refuses the token at
once, with its reason. A call counts as activity (throttled as on the web) unless
it is marked as background.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth import get_user_model

from sessions_core import policy, selectors, store
from sessions_core.conf import app_settings
from sessions_core.models import SessionRecord, TokenFamily, digest_key
from sessions_core.reasons import EndReason
from sessions_core.sessiondata import (
    ACCESS_KEY,
    LAST_ACTIVE_KEY,
    Stamps,
    read_stamps,
)

from .activity import store_activity
from .ends import end_lost_session, end_sessions

# Not an end reason: the token is not one of ours (malformed, forged, unknown), or
# an access token past its life, whose session may well be alive (refresh it).
INVALID_TOKEN = "invalid_token"
# token_urlsafe(32) is 43 characters; anything much longer is not ours.
MAX_TOKEN_LENGTH = 128


class TokenRefused(Exception):
    """The token cannot be used: ``reason`` is an end reason or ``invalid_token``."""

    def __init__(self, reason: str, *, expired: bool = False):
        super().__init__(reason)
        self.reason = str(reason)
        self.expired = expired


# Where an access token leads (record id, session digest, user id) is fixed for the
# token's life, so a process may keep it; whether it is still the session's current
# token, and the session alive, is read from the store on every call.
_WHERE: dict[str, tuple[int, str, int]] = {}
WHERE_MAX = 10_000
# The user's row, kept by this process for SESSIONS_CORE_TOKEN_USER_TTL (1 s), by
# access token (a token is issued to one user for good: a user id that a database
# hands out again never reaches another's row). Never the session's state or its
# end, which every call reads from the store: every door that ends a user's
# sessions (password change, deactivation, deletion, force sign-out) writes their
# tombstones before the row changes, so a kept row cannot let an ended session
# through. What may lag by the TTL is only what the row says by itself (is_staff's
# stricter idle limit, is_active cleared by an update() that skips the receivers).
_USERS: dict[str, tuple[float, str, tuple]] = {}
USERS_MAX = 10_000


@dataclass(frozen=True)
class TokenSession:
    """What a valid access token reaches: its user, record and session data."""

    user: object
    record_id: int
    session: store.DigestSession
    verdict: policy.Verdict

    @property
    def record(self) -> SessionRecord:
        return _record(self.record_id)


def token_digest(token) -> str:
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        raise TokenRefused(INVALID_TOKEN)
    return digest_key(token)


def _record(record_id: int) -> SessionRecord:
    return SessionRecord.objects.select_related("user").get(pk=record_id)


def _where(digest: str) -> tuple[int, str, int]:
    found = _WHERE.get(digest)
    if found is None:
        found = (
            TokenFamily.objects.filter(access_digest=digest)
            .values_list("record_id", "record__key_digest", "record__user_id")
            .first()
        )
        if found is None:
            raise TokenRefused(INVALID_TOKEN)
        if len(_WHERE) >= WHERE_MAX:
            _WHERE.clear()
        _WHERE[digest] = found
    return found


def _user(digest: str, user_id: int):
    """The token's user, a fresh instance each call (views may change it), from a
    row this process read at most TOKEN_USER_TTL seconds ago; None if it is gone."""
    model = get_user_model()
    ttl = app_settings.TOKEN_USER_TTL
    kept = _USERS.get(digest) if ttl > 0 else None
    if kept is not None and time.monotonic() - kept[0] < ttl:
        return model.from_db(kept[1], _user_fields(model), kept[2])
    user = model._default_manager.filter(pk=user_id).first()
    if user is not None and ttl > 0:
        if len(_USERS) >= USERS_MAX:
            _USERS.clear()
        values = tuple(getattr(user, name) for name in _user_fields(model))
        _USERS[digest] = (time.monotonic(), user._state.db, values)
    return user


@lru_cache(maxsize=4)
def _user_fields(model) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def refuse_inactive(*, user, record_id: int, key_digest: str) -> None:
    """A user deactivated without a save (so no receiver ended the sessions) is
    ended here, as the receiver would have: ``admin``."""
    if user.is_active:
        return
    end_sessions(records=[_record(record_id)], reason=EndReason.ADMIN)
    end = store.read(key_digest).end  # an end by another door stands
    raise TokenRefused(end.reason if end else EndReason.ADMIN)


def read_session(*, record_id: int, key_digest: str) -> tuple[dict, Stamps]:
    """The session's data and stamps, from the store, on every call; TokenRefused
    with the reason if it ended. The store is read first: every end is written
    there first."""
    entry = store.read(key_digest)  # StoreUnavailable: an outage, not an end
    if entry.end is not None:
        raise TokenRefused(entry.end.reason)
    stamps = read_stamps(entry.data or {})
    if stamps is None:  # gone: purged after its end, or lost by the store
        record = _record(record_id)
        if not record.is_live:
            raise TokenRefused(record.end_reason)
        raise TokenRefused(end_lost_session(record=record).end_reason)
    return entry.data, stamps


def judge_stamps(
    *, record_id: int, key_digest: str, stamps: Stamps, user, now: float
) -> policy.Verdict:
    """The policy's verdict; if it ends the session now (idle, absolute, rotation),
    the end is recorded and TokenRefused raised with its reason."""
    verdict = selectors.verdict_for(stamps=stamps, user=user, now=now)
    if verdict.expired:
        end_sessions(records=[_record(record_id)], reason=verdict.reason)
        # Another door may have ended it first, for its own reason: that one stands.
        end = store.read(key_digest).end
        raise TokenRefused(end.reason if end else verdict.reason)
    return verdict


def judge_session(*, record_id: int, key_digest: str, user, now: float):
    """The session's data, stamps and verdict; TokenRefused with the reason if it
    ended, which it records first if the policy ends it now."""
    data, stamps = read_session(record_id=record_id, key_digest=key_digest)
    refuse_inactive(user=user, record_id=record_id, key_digest=key_digest)
    verdict = judge_stamps(
        record_id=record_id, key_digest=key_digest, stamps=stamps, user=user, now=now
    )
    return data, stamps, verdict


def judge_record(record: SessionRecord, *, now: float):
    if not record.is_live:
        raise TokenRefused(record.end_reason)
    return judge_session(
        record_id=record.pk, key_digest=record.key_digest, user=record.user, now=now
    )


def resolve(*, access_token, background: bool = False) -> TokenSession:
    """Judge an API call's access token; count it as activity unless
    ``background``. Raise TokenRefused (or StoreUnavailable) if it cannot go on."""
    digest = token_digest(access_token)
    record_id, key_digest, user_id = _where(digest)
    data, stamps = read_session(record_id=record_id, key_digest=key_digest)
    user = _user(digest, user_id)
    if user is None:
        raise TokenRefused(INVALID_TOKEN)
    refuse_inactive(user=user, record_id=record_id, key_digest=key_digest)
    now = time.time()
    verdict = judge_stamps(
        record_id=record_id, key_digest=key_digest, stamps=stamps, user=user, now=now
    )
    current = data.get(ACCESS_KEY)
    if not isinstance(current, list) or len(current) != 2 or current[0] != digest:
        raise TokenRefused(INVALID_TOKEN)  # replaced by a refresh
    ttl = app_settings.ACCESS_TOKEN_TTL
    if policy.token_left(issued_at=float(current[1]), ttl=ttl, now=now) <= 0:
        raise TokenRefused(INVALID_TOKEN, expired=True)
    session = store.DigestSession(key_digest, data)
    if not background and policy.activity_due(
        last_recorded=stamps.last_active, now=now, limits=verdict.limits
    ):
        session[LAST_ACTIVE_KEY] = max(stamps.last_active, now)
        if not session.save():  # ended meanwhile: say why
            judge_session(
                record_id=record_id, key_digest=key_digest, user=user, now=now
            )
            raise TokenRefused(INVALID_TOKEN)
        store_activity(record_id=record_id, now=now)
        verdict = selectors.verdict_for(stamps=read_stamps(session), user=user, now=now)
    return TokenSession(
        user=user, record_id=record_id, session=session, verdict=verdict
    )
