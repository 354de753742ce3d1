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
    username: str | None = None,
) -> None:
    """Write one audit line. ``username`` defaults to the user's; give it for an
    attempt whose name matches no user (a failed sign-in)."""
    if username is None:
        username = getattr(user, "get_username", lambda: "")()
    SessionEvent.objects.create(
        kind=kind,
        user=user,
        username=username[:150],
        record=record,
        reason=reason,
        by=by,
        ip=ip,
        detail=detail[:200],
    )
