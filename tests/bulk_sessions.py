"""Signed-in sessions written in bulk straight into the Redis store and their
records, as sign-ins would leave them (no password hashing, no requests): for the
tests and benchmarks that need thousands of them."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def write_signed_in(user, count: int, *, first_id: int = 1, ttl: int = 3600) -> None:
    """Write ``count`` sessions of ``user`` at key version 1, with record ids from
    ``first_id``: one Redis pipeline and one bulk INSERT."""
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY

    from sessions_core.backends import redis as engine
    from sessions_core.models import SessionRecord, digest_key
    from sessions_core.sessiondata import write_stamps

    client, now = engine.client(), datetime.now(tz=UTC)
    auth_hash = user.get_session_auth_hash()
    pipe, records = client.redis.pipeline(transaction=False), []
    for record_id in range(first_id, first_id + count):
        data = {SESSION_KEY: str(user.pk), HASH_SESSION_KEY: auth_hash}
        write_stamps(
            data, record_id=record_id, signed_in=now.timestamp(), key_version=1
        )
        digest = digest_key(secrets.token_hex(16))
        pipe.set(client.key(digest), engine.SessionStore._encode(data), ex=ttl)
        records.append(
            SessionRecord(
                pk=record_id,
                user=user,
                key_digest=digest,
                signed_in_at=now,
                last_active_at=now,
                key_version=1,
            )
        )
    pipe.execute()
    SessionRecord.objects.bulk_create(records)
