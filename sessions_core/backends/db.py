"""Sessions in the database, with ends that are final (see ``backends.base``).

    SESSION_ENGINE = "sessions_core.backends.db"

Rows live in ``sessions_core.StoredSession``, keyed by the digest of the session
key. Compare-and-set is a conditional UPDATE; moving a key takes the old row's
lock first, so an end and a key change are serialised by the database.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import (
    DatabaseError,
    IntegrityError,
    OperationalError,
    connections,
    router,
    transaction,
)
from django.db.utils import InterfaceError
from django.utils import timezone

from sessions_core.models import StoredSession

from .base import (
    TOMBSTONE_MARK,
    Entry,
    FinalSessionStore,
    StoreUnavailable,
    Tombstone,
    stored_for,
)

# A database that cannot be reached; other errors are bugs and stay loud.
_OUTAGE = (OperationalError, InterfaceError)
# Digests per SELECT ... IN: well under SQLite's limit on bound parameters.
READ_MANY_CHUNK = 500


def _expiry(ttl: int):
    return timezone.now() + timedelta(seconds=max(ttl, 1))


# The one query every page load and every API call makes: written out once per
# database vendor, because building it with the ORM cost ~17x running it
# (bench/api.py: ~400 µs vs ~25 µs on SQLite).
_READ_SQL: dict[str, str] = {}


def _read_sql(connection) -> str:
    sql = _READ_SQL.get(connection.vendor)
    if sql is None:
        meta, q = StoredSession._meta, connection.ops.quote_name
        sql = "SELECT {} FROM {} WHERE {} = %s AND {} > %s".format(
            q(meta.get_field("data").column),
            q(meta.db_table),
            q(meta.pk.column),
            q(meta.get_field("expire_date").column),
        )
        _READ_SQL[connection.vendor] = sql
    return sql


class SessionStore(FinalSessionStore):
    @classmethod
    def get_model_class(cls):
        return StoredSession

    @classmethod
    def read(cls, digest: str) -> Entry:
        connection = connections[router.db_for_read(StoredSession)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        try:
            with connection.cursor() as cursor:
                cursor.execute(_read_sql(connection), [digest, now])
                row = cursor.fetchone()
        except _OUTAGE as exc:
            raise StoreUnavailable(str(exc)) from exc
        return cls.decode_entry(row[0] if row else None)

    @classmethod
    def read_many(cls, digests: list[str]) -> list[Entry]:
        found: dict[str, str] = {}
        try:
            for start in range(0, len(digests), READ_MANY_CHUNK):
                found.update(
                    StoredSession.objects.filter(
                        pk__in=digests[start : start + READ_MANY_CHUNK],
                        expire_date__gt=timezone.now(),
                    ).values_list("key_digest", "data")
                )
        except _OUTAGE as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [cls.decode_entry(found.get(digest)) for digest in digests]

    @classmethod
    def write_new(cls, digest: str, payload: str, ttl: int) -> bool:
        try:
            with transaction.atomic():
                StoredSession.objects.create(
                    key_digest=digest, data=payload, expire_date=_expiry(ttl)
                )
        except IntegrityError:
            return False
        except _OUTAGE as exc:
            raise StoreUnavailable(str(exc)) from exc
        return True

    @classmethod
    def write_if_live(cls, digest: str, payload: str, ttl: int) -> bool:
        try:
            return bool(
                StoredSession.objects.filter(pk=digest, expire_date__gt=timezone.now())
                .exclude(data__startswith=TOMBSTONE_MARK)
                .update(data=payload, expire_date=_expiry(ttl))
            )
        except _OUTAGE as exc:
            raise StoreUnavailable(str(exc)) from exc

    @classmethod
    def move(
        cls, old: str, new: str, payload: str, ttl: int
    ) -> bool | Tombstone | None:
        rows = StoredSession.objects
        try:
            with transaction.atomic():
                current = (
                    rows.select_for_update()
                    .filter(pk=old, expire_date__gt=timezone.now())
                    .values_list("data", flat=True)
                    .first()
                )
                if rows.filter(pk=new).exists():
                    return None
                if current is None:
                    return False
                end = cls.decode_entry(current).end
                rows.create(
                    key_digest=new,
                    data=end.encode() if end else payload,
                    expire_date=_expiry(ttl),
                )
                if end is not None:
                    return end
                rows.filter(pk=old).delete()
                return True
        except IntegrityError:
            return None
        except _OUTAGE as exc:
            raise StoreUnavailable(str(exc)) from exc

    @classmethod
    def write_tombstones(cls, tombstones: dict[str, str]) -> None:
        expires = _expiry(stored_for())
        try:
            StoredSession.objects.bulk_create(
                [
                    StoredSession(key_digest=d, data=tombstone, expire_date=expires)
                    for d, tombstone in tombstones.items()
                ],
                update_conflicts=True,
                unique_fields=["key_digest"],
                update_fields=["data", "expire_date"],
            )
        except _OUTAGE as exc:
            raise StoreUnavailable(str(exc)) from exc

    @classmethod
    def discard(cls, digest: str) -> None:
        try:
            StoredSession.objects.filter(pk=digest).exclude(
                data__startswith=TOMBSTONE_MARK
            ).delete()
        except _OUTAGE as exc:
            raise StoreUnavailable(str(exc)) from exc

    @classmethod
    def delete_digests(cls, digests: list[str]) -> None:
        try:
            StoredSession.objects.filter(pk__in=digests).delete()
        except _OUTAGE as exc:
            raise StoreUnavailable(str(exc)) from exc

    @classmethod
    def delete_expired(cls) -> None:
        try:
            StoredSession.objects.filter(expire_date__lt=timezone.now()).delete()
        except DatabaseError as exc:
            raise StoreUnavailable(str(exc)) from exc
