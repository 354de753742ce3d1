"""The audit log: read-only for everyone, filterable, exported as CSV."""

from __future__ import annotations

import csv
from datetime import UTC

from asgiref.sync import sync_to_async
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sessions_core.models import SessionEvent

from .common import ReadOnlyAdmin

# A spreadsheet runs a cell that starts with one of these as a formula, and a
# failed sign-in's username is whatever a stranger typed (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ["time (UTC)", "kind", "user", "reason", "by", "ip", "session", "detail"]


class _UserFilter(admin.RelatedOnlyFieldListFilter):
    """Only the users that appear in the log, under a title of our own (the
    administrator's field is named "by")."""

    title_text = _("user")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = self.title_text


class _AdminFilter(_UserFilter):
    title_text = _("administrator")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class _Echo:
    """csv.writer's file: hands each line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


_writer = csv.writer(_Echo())
EXPORT_BATCH = 1000


def _line(event) -> str:
    """One CSV line: the session by its digest prefix, never more."""
    return _writer.writerow(
        _cell(value)
        for value in (
            event.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            event.kind,
            event.username,
            event.reason,
            event.by.get_username() if event.by else "",
            event.ip,
            event.record.short_digest if event.record else "",
            event.detail,
        )
    )


def _batch(events, before: int | None) -> list[str]:
    # Keyset batches (newest first): no cursor held open between reads, and no
    # OFFSET that grows with the log.
    page = events.filter(pk__lt=before) if before is not None else events
    return list(page[:EXPORT_BATCH])


def csv_lines(events):
    """The CSV of ``events``, header first, read in batches (for WSGI)."""
    yield _writer.writerow(CSV_HEADER)
    before = None
    while batch := _batch(events, before):
        yield "".join(_line(event) for event in batch)
        before = batch[-1].pk


async def csv_lines_async(events):
    """The same for ASGI, where a sync iterator would be read whole into memory
    before the first byte is sent (Django's StreamingHttpResponse)."""
    yield _writer.writerow(CSV_HEADER)
    before = None
    while batch := await sync_to_async(_batch)(events, before):
        yield "".join(_line(event) for event in batch)
        before = batch[-1].pk


@admin.register(SessionEvent)
class SessionEventAdmin(ReadOnlyAdmin):
    list_display = ["when", "kind", "username", "reason", "by", "ip", "detail"]
    list_filter = [
        "kind",
        "reason",
        ("user", _UserFilter),
        ("by", _AdminFilter),
    ]
    search_fields = ["username", "by__username", "ip"]
    list_select_related = ["by"]
    date_hierarchy = "at"
    fields = readonly_fields = [
        "when",
        "kind",
        "username",
        "user",
        "reason",
        "by",
        "ip",
        "session",
        "detail",
    ]

    @admin.display(description=_("time"), ordering="at")
    def when(self, event):
        # With seconds: an audit line is read against other logs.
        return timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S %Z")

    @admin.display(description=_("session"))
    def session(self, event):
        return event.record.short_digest if event.record else "–"

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="sessions_core_sessionevent_export",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"export_url": reverse("admin:sessions_core_sessionevent_export")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def export_view(self, request):
        """The events the list shows with the same filters, as CSV, streamed."""
        # admin_view checks is_staff only: a view of our own checks the rest.
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return redirect(reverse("admin:sessions_core_sessionevent_changelist"))
        events = changelist.queryset.select_related("by", "record").order_by("-pk")
        lines = csv_lines_async if isinstance(request, ASGIRequest) else csv_lines
        response = StreamingHttpResponse(
            lines(events), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="session-events.csv"'
        return response
