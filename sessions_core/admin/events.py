"""The audit log: read-only for everyone, superusers included."""

from __future__ import annotations

from django.contrib import admin

from sessions_core.models import SessionEvent

from .common import ReadOnlyAdmin


@admin.register(SessionEvent)
class SessionEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "username", "reason", "by", "ip", "detail"]
    list_filter = ["kind", "reason"]
    search_fields = ["username", "by__username"]
    list_select_related = ["by"]
    date_hierarchy = "at"
    exclude = ["record"]
