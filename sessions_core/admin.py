"""Admin: the session list, force sign-out, key rotation and the audit log.

No page shows a whole session key: records are named by a digest prefix.
"""

from __future__ import annotations

import time

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import reports, rotation, selectors, services
from .models import KeyVersion, SessionEvent, SessionRecord


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", _("Live")), ("ended", _("Ended"))]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.live()
        if self.value() == "ended":
            return queryset.ended()
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _force_sign_out(modeladmin, request, shown, *, action, title, question, end):
    """Ask first, the way Django's delete action does; then call ``end(by=...)``."""
    if not request.user.is_staff:
        raise PermissionDenied
    if request.POST.get("confirmed") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "question": question,
            "queryset": shown,
            "action": action,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/sessions_core/confirm_action.html", context
        )
    count = end(by=request.user)
    modeladmin.message_user(
        request,
        ngettext("Signed out %d session.", "Signed out %d sessions.", count) % count,
        messages.SUCCESS,
    )
    return None


@admin.register(SessionRecord)
class SessionRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "user",
        "device",
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

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

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

    @admin.display(description=_("key"))
    def short_digest(self, record):
        return record.short_digest

    @admin.display(description=_("state"))
    def state(self, record):
        if not record.is_live:
            return _("ended")
        return selectors.record_verdict(record).state.value

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

    @admin.action(description=_("Force sign-out of selected sessions"))
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
        context = {
            **self.admin_site.each_context(request),
            "title": _("Users whose sessions end unusually"),
            "opts": self.model._meta,
            "rows": reports.unusual_session_patterns(),
        }
        return TemplateResponse(request, "admin/sessions_core/unusual.html", context)


class RotateForm(forms.Form):
    grace = forms.IntegerField(
        label=_("Grace (seconds)"),
        min_value=0,
        max_value=86400,
        initial=0,
        help_text=_("How long older sessions keep working. 0 ends them now."),
    )


@admin.register(KeyVersion)
class KeyVersionAdmin(ReadOnlyAdmin):
    list_display = [
        "version",
        "created_at",
        "created_by",
        "retired_at",
        "purge_progress",
    ]

    @admin.display(description=_("purge"))
    def purge_progress(self, version):
        if not version.purge_total:
            return "–"
        left = selectors.live_count_before(version.version)
        return _("purged %(done)s of %(total)s") % {
            "done": f"{max(version.purge_total - left, 0):,}",
            "total": f"{version.purge_total:,}",
        }

    def get_urls(self):
        return [
            path(
                "rotate/",
                self.admin_site.admin_view(self.rotate_view),
                name="sessions_core_keyversion_rotate",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"rotate_url": reverse("admin:sessions_core_keyversion_rotate")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def rotate_view(self, request):
        if not request.user.is_superuser:
            raise PermissionDenied
        form = RotateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            version = rotation.rotate_keys(
                grace=form.cleaned_data["grace"], by=request.user
            )
            self.message_user(
                request,
                _("Key version v%(v)s is current; older sessions are being purged.")
                % {"v": version.version},
                messages.SUCCESS,
            )
            return redirect("admin:sessions_core_keyversion_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rotate session keys"),
            "opts": self.model._meta,
            "form": form,
            "live": SessionRecord.objects.live().count(),
        }
        return TemplateResponse(request, "admin/sessions_core/rotate.html", context)


@admin.register(SessionEvent)
class SessionEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "username", "reason", "by", "ip", "detail"]
    list_filter = ["kind", "reason"]
    search_fields = ["username", "by__username"]
    list_select_related = ["by"]
    date_hierarchy = "at"
    exclude = ["record"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


User = get_user_model()


class SessionAwareUserAdmin(UserAdmin):
    actions = ["force_sign_out_all"]

    @admin.action(description=_("Force sign-out of all sessions"))
    def force_sign_out_all(self, request, queryset):
        return _force_sign_out(
            self,
            request,
            queryset,
            action="force_sign_out_all",
            title=_("Force sign-out of all sessions"),
            question=_(
                "Sign out every session of these users now? Their open tabs leave "
                "at once."
            ),
            end=lambda by: services.force_logout(
                user_ids=queryset.values_list("pk", flat=True), by=by
            ),
        )


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, SessionAwareUserAdmin)
