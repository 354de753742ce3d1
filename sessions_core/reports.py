"""Which users' sessions end in unusual ways, with the evidence (admin report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .conf import app_settings
from .models import SessionRecord
from .reasons import EndReason

# An end this soon after sign-in is "right after sign-in".
IMMEDIATE_SECONDS = 60


@dataclass
class UnusualPattern:
    user_id: int
    username: str
    short_ends: int = 0
    immediate_ends: int = 0
    concurrent_ends: int = 0
    evidence: list[str] = field(default_factory=list)


def unusual_session_patterns() -> list[UnusualPattern]:
    """List users whose sessions, within the window, end short, at once, or pushed out.

    Sign-outs by the user are normal and never count. Thresholds are the
    SESSIONS_CORE_UNUSUAL_* settings.
    """
    since = timezone.now() - timedelta(days=app_settings.UNUSUAL_WINDOW_DAYS)
    short = app_settings.UNUSUAL_SHORT_SESSION
    minimum = app_settings.UNUSUAL_MIN_COUNT
    patterns: dict[int, UnusualPattern] = {}
    ended = (
        SessionRecord.objects.ended()
        .filter(ended_at__gte=since)
        .exclude(end_reason=EndReason.LOGOUT.value)
        .select_related("user")
        .order_by("ended_at")
    )
    for record in ended:
        lasted = (record.ended_at - record.signed_in_at).total_seconds()
        pattern = patterns.setdefault(
            record.user_id, UnusualPattern(record.user_id, record.user.get_username())
        )
        if record.end_reason == EndReason.CONCURRENT.value:
            pattern.concurrent_ends += 1
        if lasted < IMMEDIATE_SECONDS:
            pattern.immediate_ends += 1
        elif lasted < short:
            pattern.short_ends += 1
        if lasted < short or record.end_reason == EndReason.CONCURRENT.value:
            pattern.evidence.append(
                _("%(when)s: %(reason)s after %(seconds)d s (%(device)s)")
                % {
                    "when": date_format(record.ended_at, "d M H:i"),
                    "reason": record.get_end_reason_display(),
                    "seconds": int(lasted),
                    "device": record.device_words or _("unknown browser"),
                }
            )
    return [
        pattern
        for pattern in patterns.values()
        if pattern.short_ends + pattern.immediate_ends >= minimum
        or pattern.immediate_ends >= minimum
        or pattern.concurrent_ends >= minimum
    ]


# The chart's colours, one per reason: the unusual ones warm, the ordinary ones cool.
REASON_COLOURS = {
    EndReason.LOGOUT.value: "#7a9cc6",
    EndReason.REMOTE_LOGOUT.value: "#9fb8d8",
    EndReason.IDLE.value: "#5a8f6b",
    EndReason.ABSOLUTE.value: "#8cbf99",
    EndReason.KEY_ROTATED.value: "#8c7ab8",
    EndReason.PASSWORD_CHANGED.value: "#b3a6d6",
    EndReason.ADMIN.value: "#d08a3c",
    EndReason.CONCURRENT.value: "#c0392b",
    EndReason.STORE_LOST.value: "#7f7f7f",
}
CHART_HEIGHT = 120
BAR_WIDTH = 24
BAR_GAP = 8


@dataclass
class DayOfEnds:
    day: object  # a date
    counts: dict[str, int]
    total: int = 0
    x: int = 0
    segments: list[dict] = field(default_factory=list)
    cells: list[int] = field(default_factory=list)  # per reason of the legend


def ends_by_day() -> dict:
    """Count ends per day and reason over the report's window, laid out as the
    stacked bars of the admin's chart (SVG units), with the table beside it."""
    today = timezone.localdate()
    window = app_settings.UNUSUAL_WINDOW_DAYS
    first = today - timedelta(days=window - 1)
    rows = (
        SessionRecord.objects.ended()
        .filter(ended_at__date__gte=first)
        .annotate(day=TruncDate("ended_at"))
        .values("day", "end_reason")
        .annotate(n=Count("pk"))
    )
    days = {
        first + timedelta(days=i): DayOfEnds(first + timedelta(days=i), {})
        for i in range(window)
    }
    for row in rows:
        if row["day"] in days:
            days[row["day"]].counts[row["end_reason"]] = row["n"]
    peak = max((sum(d.counts.values()) for d in days.values()), default=0) or 1
    for index, day in enumerate(days.values()):
        day.total = sum(day.counts.values())
        day.x = index * (BAR_WIDTH + BAR_GAP)
        top = CHART_HEIGHT
        for reason in REASON_COLOURS:
            count = day.counts.get(reason, 0)
            if not count:
                continue
            height = max(round(count / peak * CHART_HEIGHT), 1)
            top -= height
            day.segments.append(
                {
                    "reason": reason,
                    "label": EndReason(reason).label,
                    "count": count,
                    "y": top,
                    "height": height,
                    "colour": REASON_COLOURS[reason],
                }
            )
    used = [r for r in REASON_COLOURS if any(r in d.counts for d in days.values())]
    for day in days.values():
        day.cells = [day.counts.get(reason, 0) for reason in used]
    return {
        "days": list(days.values()),
        "reasons": [
            {"reason": r, "label": EndReason(r).label, "colour": c}
            for r, c in REASON_COLOURS.items()
            if r in used
        ],
        "window": window,
        "width": window * (BAR_WIDTH + BAR_GAP),
        "height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
        "peak": peak,
    }
