"""The check every API call goes through: a token, judged by its session.

The access token leads to its session's record and store entry; the session is
judged as the middleware judges a browser's, so every end refuses the token at
once, with its reason. A call counts as activity (throttled as on the web) unless
it is marked as background.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sessions_core import policy, selectors, store
from sessions_core.conf import app_settings
from sessions_core.models import SessionRecord, TokenFamily, digest_key
from sessions_core.sessiondata import LAST_ACTIVE_KEY, read_stamps

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


@dataclass(frozen=True)
class TokenSession:
    """What a valid access token reaches: its user, record and session data."""

    user: object
    record: SessionRecord
    session: store.DigestSession
    verdict: policy.Verdict


def token_digest(token) -> str:
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        raise TokenRefused(INVALID_TOKEN)
    return digest_key(token)


def judge_record(record: SessionRecord, *, now: float):
    """The session's data and verdict; TokenRefused with the reason if it ended,
    which it records first if the policy ends it now (idle, absolute, rotation)."""
    if not record.is_live:
        raise TokenRefused(record.end_reason)
    entry = store.read(record.key_digest)  # StoreUnavailable: an outage, not an end
    if entry.end is not None:
        raise TokenRefused(entry.end.reason)
    stamps = read_stamps(entry.data or {})
    if stamps is None:  # gone without a tombstone: the store lost it
        raise TokenRefused(end_lost_session(record=record).end_reason)
    verdict = selectors.verdict_for(stamps=stamps, user=record.user, now=now)
    if verdict.expired:
        end_sessions(records=[record], reason=verdict.reason)
        # Another door may have ended it first, for its own reason: that one stands.
        end = store.read(record.key_digest).end
        raise TokenRefused(end.reason if end else verdict.reason)
    return entry.data, stamps, verdict


def resolve(*, access_token, background: bool = False) -> TokenSession:
    """Judge an API call's access token; count it as activity unless
    ``background``. Raise TokenRefused (or StoreUnavailable) if it cannot go on."""
    family = (
        TokenFamily.objects.select_related("record__user")
        .filter(access_digest=token_digest(access_token))
        .first()
    )
    if family is None:
        raise TokenRefused(INVALID_TOKEN)
    now = time.time()
    record = family.record
    data, stamps, verdict = judge_record(record, now=now)
    ttl = app_settings.ACCESS_TOKEN_TTL
    if policy.token_left(issued_at=family.access_issued_at, ttl=ttl, now=now) <= 0:
        raise TokenRefused(INVALID_TOKEN, expired=True)
    session = store.DigestSession(record.key_digest, data)
    if not background and policy.activity_due(
        last_recorded=stamps.last_active, now=now, limits=verdict.limits
    ):
        session[LAST_ACTIVE_KEY] = max(stamps.last_active, now)
        if not session.save():  # ended meanwhile: say why
            judge_record(
                SessionRecord.objects.select_related("user").get(pk=record.pk), now=now
            )
            raise TokenRefused(INVALID_TOKEN)
        store_activity(record_id=record.pk, now=now)
        verdict = selectors.verdict_for(
            stamps=read_stamps(session), user=record.user, now=now
        )
    return TokenSession(
        user=record.user, record=record, session=session, verdict=verdict
    )
