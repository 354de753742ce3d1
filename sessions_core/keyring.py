"""Which key versions are current or retired, cached briefly in each process.

The versions live in the database so that every process and every restart agree.
Each process trusts its copy for ``SESSIONS_CORE_KEY_VERSION_TTL`` seconds (1 s by
default): one small query a second instead of one a request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .conf import app_settings
from .models import KeyVersion


@dataclass(frozen=True)
class _Snapshot:
    current: int
    retired: dict[int, float] = field(default_factory=dict)
    known: frozenset[int] = frozenset()
    fetched: float = 0.0
    fetched_wall: float = 0.0


_lock = threading.Lock()
_snapshot: _Snapshot | None = None


def _fetch() -> _Snapshot:
    rows = list(KeyVersion.objects.values_list("version", "retired_at"))
    versions = [version for version, _ in rows]
    return _Snapshot(
        current=max(versions, default=1),
        retired={v: at.timestamp() for v, at in rows if at is not None},
        known=frozenset(versions) or frozenset({1}),
        fetched=time.monotonic(),
        fetched_wall=time.time(),
    )


def snapshot() -> _Snapshot:
    global _snapshot
    snap = _snapshot
    if snap is None or time.monotonic() - snap.fetched > app_settings.KEY_VERSION_TTL:
        snap = _fetch()
        with _lock:
            _snapshot = snap
    return snap


def refresh_if_older(timestamp: float) -> None:
    """Refetch unless this process's copy was read after ``timestamp`` (wall clock).

    Thousands of open tabs hear of one rotation; only the first refetches.
    """
    snap = _snapshot
    if snap is None or snap.fetched_wall < timestamp:
        invalidate()


def invalidate() -> None:
    """Forget this process's copy (after a rotation made here, or in tests)."""
    global _snapshot
    with _lock:
        _snapshot = None


def current_version() -> int:
    return snapshot().current


def retired_at(version: int) -> float | None:
    """Return when sessions of ``version`` stop(ped) working, or None if they work.

    A version the database does not know (forged or from another deployment) is
    treated as retired long ago.
    """
    snap = snapshot()
    if version not in snap.known:
        return 0.0
    return snap.retired.get(version)
