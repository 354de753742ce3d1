"""Which users' sessions end in unusual ways, with the evidence (admin report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

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
