"""The audit log's one writer, and the one conversion of stamps to datetimes."""

from __future__ import annotations

from datetime import UTC, datetime

from sessions_core.models import SessionEvent, SessionRecord


def to_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def log_event(
    *,
    kind: str,
    user=None,
    record: SessionRecord | None = None,
    reason: str = "",
    by=None,
    ip: str | None = None,
    detail: str = "",
) -> None:
    SessionEvent.objects.create(
        kind=kind,
        user=user,
        username=getattr(user, "get_username", lambda: "")(),
        record=record,
        reason=reason,
        by=by,
        ip=ip,
        detail=detail[:200],
    )
