"""Sessions in Redis, with ends that are final (see ``backends.base``).

    SESSION_ENGINE = "sessions_core.backends.redis"
    SESSION_CACHE_ALIAS = "default"   # a django-redis cache: its connection pool

Each compare-and-set is one Lua script, so it is atomic in Redis: no save can land
between the check and the write. The process shares one client (and its pool)
between every thread and every open websocket: Django hands each async context
its own cache object, and a client per open tab cost 17 KiB (bench/websockets.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.exceptions import RedisError

from .base import (
    TOMBSTONE_MARK,
    Entry,
    FinalSessionStore,
    StoreUnavailable,
    Tombstone,
    stored_for,
)

KEY_PREFIX = "sessions_core:"
# Keys per MGET: a whole process's tabs, without one huge reply blocking Redis.
READ_MANY_CHUNK = 1000

# KEYS[1]: the session. ARGV: payload, ttl, the tombstone mark.
_WRITE_IF_LIVE = """
local current = redis.call('GET', KEYS[1])
if not current or string.sub(current, 1, 1) == ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""

# KEYS: old, new. ARGV: payload, ttl, the tombstone mark.
# Returns 0: new taken; 1: moved; 2: old holds nothing; else the tombstone copied.
_MOVE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local current = redis.call('GET', KEYS[1])
if not current then return 2 end
if string.sub(current, 1, 1) == ARGV[3] then
  redis.call('SET', KEYS[2], current, 'EX', ARGV[2])
  return current
end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
redis.call('DEL', KEYS[1])
return 1
"""

# KEYS[1]: the session. ARGV: the tombstone mark.
_DISCARD = """
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, 1) ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 0
"""


class _Client:
    """This process's Redis client for the session cache, and its scripts."""

    def __init__(self, alias: str):
        cache = caches.create_connection(alias)
        get_client = getattr(getattr(cache, "client", None), "get_client", None)
        if get_client is None:
            raise StoreUnavailable(
                f"SESSION_CACHE_ALIAS '{alias}' is not a django-redis cache; "
                "sessions_core.backends.redis needs one."
            )
        self.cache = cache
        self.redis = get_client(write=True)
        self.write_if_live = self.redis.register_script(_WRITE_IF_LIVE)
        self.move = self.redis.register_script(_MOVE)
        self.discard = self.redis.register_script(_DISCARD)

    def key(self, digest: str) -> str:
        return self.cache.make_key(KEY_PREFIX + digest)


_clients: dict[str, _Client] = {}


def client() -> _Client:
    alias = settings.SESSION_CACHE_ALIAS
    try:
        return _clients[alias]
    except KeyError:
        # A race here only builds a second client; either works.
        return _clients.setdefault(alias, _Client(alias))


@receiver(setting_changed)
def _forget_clients(*, setting: str, **kwargs) -> None:
    if setting in {"CACHES", "SESSION_CACHE_ALIAS"}:
        _clients.clear()


@contextmanager
def reachable():
    """Turn a Redis error into StoreUnavailable: an outage, not an end."""
    try:
        yield
    except RedisError as exc:
        raise StoreUnavailable(str(exc)) from exc


class SessionStore(FinalSessionStore):
    @classmethod
    def read(cls, digest: str) -> Entry:
        c = client()
        with reachable():
            return cls.decode_entry(c.redis.get(c.key(digest)))

    @classmethod
    def read_many(cls, digests: list[str]) -> list[Entry]:
        c = client()
        raw: list = []
        with reachable():
            for start in range(0, len(digests), READ_MANY_CHUNK):
                chunk = digests[start : start + READ_MANY_CHUNK]
                raw.extend(c.redis.mget([c.key(digest) for digest in chunk]))
        return [cls.decode_entry(value) for value in raw]

    @classmethod
    def write_new(cls, digest: str, payload: str, ttl: int) -> bool:
        c = client()
        with reachable():
            return bool(c.redis.set(c.key(digest), payload, ex=max(ttl, 1), nx=True))

    @classmethod
    def write_if_live(cls, digest: str, payload: str, ttl: int) -> bool:
        c = client()
        with reachable():
            written = c.write_if_live(
                keys=[c.key(digest)], args=[payload, max(ttl, 1), TOMBSTONE_MARK]
            )
        return written == 1

    @classmethod
    def move(
        cls, old: str, new: str, payload: str, ttl: int
    ) -> bool | Tombstone | None:
        c = client()
        with reachable():
            moved = c.move(
                keys=[c.key(old), c.key(new)],
                args=[payload, max(ttl, 1), TOMBSTONE_MARK],
            )
        if isinstance(moved, bytes):
            moved = moved.decode(errors="replace")
        if isinstance(moved, str):
            return Tombstone.decode(moved)
        return {0: None, 1: True, 2: False}[moved]

    @classmethod
    def discard(cls, digest: str) -> None:
        c = client()
        with reachable():
            c.discard(keys=[c.key(digest)], args=[TOMBSTONE_MARK])

    @classmethod
    def write_tombstones(cls, tombstones: dict[str, str]) -> None:
        c = client()
        ttl = stored_for()
        with reachable(), c.redis.pipeline(transaction=False) as pipe:
            for digest, tombstone in tombstones.items():
                pipe.set(c.key(digest), tombstone, ex=ttl)
            pipe.execute()

    @classmethod
    def delete_digests(cls, digests: list[str]) -> None:
        cls.start_deleting(digests)()

    @classmethod
    def start_deleting(cls, digests: list[str]) -> Callable[[], None]:
        # UNLINK frees the memory in the background, unlike DEL. The command is
        # sent on a connection of the pool's own, and its answer read in finish():
        # Redis deletes while the caller works, with no thread of ours.
        if not digests:
            return lambda: None
        c = client()
        pool = c.redis.connection_pool
        with reachable():
            connection = pool.get_connection()
            try:
                connection.send_command("UNLINK", *(c.key(d) for d in digests))
            except BaseException:
                connection.disconnect()
                pool.release(connection)
                raise

        def finish() -> None:
            try:
                with reachable():
                    connection.read_response()
            except BaseException:
                connection.disconnect()  # its answer unread: never reuse it
                raise
            finally:
                pool.release(connection)

        return finish
