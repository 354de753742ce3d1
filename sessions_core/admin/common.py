"""What the session admin pages share: read-only pages, a state filter, and the
confirmation page of a force sign-out."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


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
