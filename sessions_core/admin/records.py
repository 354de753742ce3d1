"""Sessions: the list, force sign-out, and the unusual-endings report."""

from __future__ import annotations

import time

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from sessions_core import reports, selectors, services
from sessions_core.models import SessionRecord

from .common import (
    EndSessionPermissionMixin,
    ReadOnlyAdmin,
    SessionColumns,
    StateFilter,
    _force_sign_out,
)


@admin.register(SessionRecord)
class SessionRecordAdmin(SessionColumns, EndSessionPermissionMixin, ReadOnlyAdmin):
    list_display = [
        "user",
        "browser",
        "ip",
        "signed_in_at",
        "last_active_at",
        "idle_deadline",
        "absolute_deadline",
        "key_version",
        "state",
        "end_reason",
        "ended_by",
        "short_digest",
    ]
    list_filter = [StateFilter, "end_reason", "user__is_staff", "key_version"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user", "ended_by"]
    actions = ["force_sign_out"]
    date_hierarchy = "signed_in_at"
    # Named by a digest prefix: the whole digest is not shown either.
    fields = readonly_fields = [
        "user",
        "short_digest",
        "device",
        "user_agent",
        "ip",
        "signed_in_at",
        "last_active_at",
        "key_version",
        "state",
        "ended_at",
        "end_reason",
        "ended_by",
    ]

    def get_urls(self):
        return [
            path(
                "unusual/",
                self.admin_site.admin_view(self.unusual_view),
                name="sessions_core_sessionrecord_unusual",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"unusual_url": reverse("admin:sessions_core_sessionrecord_unusual")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def _deadline(self, record, attribute):
        if not record.is_live:
            return "–"
        moment = getattr(selectors.record_verdict(record), attribute)
        return time.strftime("%H:%M:%S", time.gmtime(moment))

    @admin.display(description=_("idle deadline (UTC)"))
    def idle_deadline(self, record):
        return self._deadline(record, "idle_deadline")

    @admin.display(description=_("absolute deadline (UTC)"))
    def absolute_deadline(self, record):
        return self._deadline(record, "absolute_deadline")

    @admin.action(
        description=_("Force sign-out of selected sessions"),
        permissions=["end_session"],
    )
    def force_sign_out(self, request, queryset):
        return _force_sign_out(
            self,
            request,
            queryset.live(),
            action="force_sign_out",
            title=_("Force sign-out"),
            question=_("Sign out these sessions now? Their open tabs leave at once."),
            end=lambda by: services.force_logout_sessions(
                record_ids=queryset.values_list("pk", flat=True), by=by
            ),
        )

    def unusual_view(self, request):
        # admin_view checks is_staff only: a view of our own checks the rest.
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Users whose sessions end unusually"),
            "opts": self.model._meta,
            "rows": reports.unusual_session_patterns(),
            "chart": reports.ends_by_day(),
        }
        return TemplateResponse(request, "admin/sessions_core/unusual.html", context)
