"""API tokens bound to a session: sign in, refresh (rotating, reuse detected), and
the check every API call goes through.

An API sign-in starts a real session, through the same signal and service as a
browser's (record, per-user cap, audit, /sessions/, the admin), but its session key
is dropped at once: the client gets a short-lived access token and a rotating
refresh token, and the database keeps only their SHA-256 digests. Each call is
judged like a browser's request, from the session's own store entry, so every end
(any door, any reason) refuses the token at once, with that reason.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from django.contrib import auth
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.http import HttpRequest

from sessions_core import policy, selectors, store
from sessions_core.conf import app_settings
from sessions_core.models import RefreshToken, SessionRecord, TokenFamily, digest_key
from sessions_core.reasons import EndReason
from sessions_core.sessiondata import ACCESS_KEY, RECORD_KEY

from .ends import end_sessions
from .token_checks import (
    INVALID_TOKEN,
    TokenRefused,
    TokenSession,
    judge_record,
    resolve,
    token_digest,
)

__all__ = [
    "INVALID_TOKEN",
    "TokenPair",
    "TokenRefused",
    "TokenSession",
    "refresh",
    "resolve",
    "sign_in",
    "sign_out",
]
# What /sessions/ and the admin call a session started on the API.
DEVICE = "API client"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_in: float
    refresh_expires_in: float

    def as_dict(self) -> dict:
        return {
            "access": self.access,
            "refresh": self.refresh,
            "access_expires_in": round(max(self.access_expires_in, 0.0), 1),
            "refresh_expires_in": round(max(self.refresh_expires_in, 0.0), 1),
        }


def _xor(raw: bytes, token: str) -> bytes:
    pad = hashlib.shake_256(b"sessions_core.retry\0" + token.encode()).digest(len(raw))
    return bytes(a ^ b for a, b in zip(raw, pad, strict=True))


def seal(pair: str, *, token: str) -> str:
    """Seal ``pair`` with the refresh token it was exchanged for: a pad drawn from
    that token, used for this one text only, so the database alone cannot open it."""
    return _xor(pair.encode(), token).hex()


def unseal(sealed: str, *, token: str) -> str:
    return _xor(bytes.fromhex(sealed), token).decode()


def sign_in(*, request: HttpRequest, user) -> TokenPair:
    """Start a session for ``user`` (authenticated by the caller) and return its
    first pair. The session key never leaves this function."""
    kept = getattr(request, "session", None)
    session = request.session = store.session_store()
    try:
        session[auth.SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[auth.BACKEND_SESSION_KEY] = getattr(user, "backend", "")
        session[auth.HASH_SESSION_KEY] = user.get_session_auth_hash()
        # As login() does: sessions_core starts the record (and enforces the cap),
        # Django stamps last_login, a lockout forgets the failures.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
    finally:
        request.session = kept
    record = SessionRecord.objects.select_related("user").get(pk=session[RECORD_KEY])
    agent = request.META.get("HTTP_USER_AGENT", "").split(" ")[0][:60]
    record.device = f"{DEVICE} ({agent})" if agent else DEVICE
    record.save(update_fields=["device"])
    now = time.time()
    access, refresh = _new_tokens()
    family = TokenFamily.objects.create(
        record=record, access_digest=digest_key(access), access_issued_at=now
    )
    _make_current(session, access, now)
    RefreshToken.objects.create(
        family=family, digest=digest_key(refresh), issued_at=now
    )
    verdict = selectors.record_verdict(record, now=now)
    return _pair(access, refresh, issued_at=now, verdict=verdict, now=now)


def _new_tokens() -> tuple[str, str]:
    return secrets.token_urlsafe(32), secrets.token_urlsafe(32)


def _pair(access, refresh, *, issued_at, verdict, now) -> TokenPair:
    access_life, refresh_life = policy.token_lives(
        access_ttl=app_settings.ACCESS_TOKEN_TTL, verdict=verdict
    )
    left = policy.token_left(issued_at=issued_at, ttl=access_life, now=now)
    return TokenPair(access, refresh, left, refresh_life)


def refresh(*, refresh_token) -> TokenPair:
    """Exchange a refresh token for a new pair; it is used up (RFC 9700 §4.14).

    The first use rotates, under a conditional UPDATE, so two at once cannot both
    win. A used token presented again within ``SESSIONS_CORE_REFRESH_GRACE`` of its
    use, before its successor was used, is a retry after a lost response: it gets
    the same new pair, once. Any other use of a used token is reuse: the whole
    session ends with ``refresh_reused``. Never counts as activity.
    """
    token = (
        RefreshToken.objects.select_related("family__record__user")
        .filter(digest=token_digest(refresh_token))
        .first()
    )
    if token is None:
        raise TokenRefused(INVALID_TOKEN)
    record = token.family.record
    now = time.time()
    data, _, verdict = judge_record(record, now=now)
    access, new_refresh = _new_tokens()
    with transaction.atomic():
        won = RefreshToken.objects.filter(pk=token.pk, used_at__isnull=True).update(
            used_at=now, retry=seal(f"{access} {new_refresh}", token=refresh_token)
        )
        if won:
            successor = RefreshToken.objects.create(
                family_id=token.family_id, digest=digest_key(new_refresh), issued_at=now
            )
            RefreshToken.objects.filter(pk=token.pk).update(successor=successor)
            TokenFamily.objects.filter(pk=token.family_id).update(
                access_digest=digest_key(access), access_issued_at=now
            )
            # The store names the current access token, written before the commit:
            # an outage or an end meanwhile leaves the refresh token unused.
            if _make_current(store.DigestSession(record.key_digest, data), access, now):
                return _pair(
                    access, new_refresh, issued_at=now, verdict=verdict, now=now
                )
            transaction.set_rollback(True)
    if won:  # the session ended meanwhile: say why
        judge_record(
            SessionRecord.objects.select_related("user").get(pk=record.pk), now=now
        )
        raise TokenRefused(INVALID_TOKEN)
    return _retry_or_reuse(token.pk, refresh_token=refresh_token, now=now)


def _make_current(session, access: str, now: float) -> bool:
    """Name ``access`` the session's access token: every earlier one stops."""
    session[ACCESS_KEY] = [digest_key(access), now]
    return session.save()


def _retry_or_reuse(token_id: int, *, refresh_token: str, now: float) -> TokenPair:
    token = (
        RefreshToken.objects.select_related("successor", "family__record__user")
        .filter(pk=token_id)
        .first()
    )
    if token is None:  # its user was deleted meanwhile (the rows cascade)
        raise TokenRefused(INVALID_TOKEN)
    family, successor = token.family, token.successor
    if (
        token.retry
        and successor is not None
        and successor.used_at is None
        and policy.refresh_retry(
            used_at=token.used_at, now=now, grace=app_settings.REFRESH_GRACE
        )
        # Served once: whoever empties it first gets the pair.
        and RefreshToken.objects.filter(pk=token.pk, retry=token.retry).update(retry="")
    ):
        access, new_refresh = unseal(token.retry, token=refresh_token).split(" ")
        verdict = selectors.record_verdict(family.record, now=now)
        return _pair(
            access,
            new_refresh,
            issued_at=family.access_issued_at,
            verdict=verdict,
            now=now,
        )
    end_sessions(records=[family.record], reason=EndReason.REFRESH_REUSED)
    family.record.refresh_from_db(fields=["end_reason"])
    raise TokenRefused(family.record.end_reason or EndReason.REFRESH_REUSED)


def sign_out(
    *, token_session: TokenSession, reason: EndReason = EndReason.LOGOUT
) -> None:
    """End the session behind an access token (``logout``)."""
    end_sessions(records=[token_session.record], reason=reason)
