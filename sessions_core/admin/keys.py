"""Key versions, and rotating them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sessions_core import end_notice, rotation, selectors
from sessions_core.models import KeyVersion, SessionRecord

from .common import ROTATE_KEYS, ReadOnlyAdmin, may, view_permission


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

    def has_view_permission(self, request, obj=None):
        # Those who may rotate may see what rotating did.
        if self.has_rotate_keys_permission(request):
            return True
        return may(request, view_permission(self.opts))

    def has_rotate_keys_permission(self, request) -> bool:
        return may(request, ROTATE_KEYS)

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
        extra = {
            "rotate_url": reverse("admin:sessions_core_keyversion_rotate"),
            "may_rotate": self.has_rotate_keys_permission(request),
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def rotate_view(self, request):
        # admin_view checks is_staff only: a view of our own checks the rest.
        if not self.has_rotate_keys_permission(request):
            raise PermissionDenied
        form = RotateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            grace = form.cleaned_data["grace"]
            version = rotation.rotate_keys(grace=grace, by=request.user)
            # Decision (issue 11): the rotating administrator is signed in again
            # under the new version rather than sent to a sign-in page that says
            # only "server keys rotated"; see rotation.renew_session for why a new
            # session, not the old one re-stamped.
            if not rotation.renew_session(request=request):
                # Ended meanwhile by someone else: the sign-in page says why.
                return end_notice.ended_response(request)
            self.message_user(request, self._rotated(version, grace), messages.SUCCESS)
            return redirect("admin:sessions_core_keyversion_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rotate session keys"),
            "opts": self.model._meta,
            "form": form,
            "live": SessionRecord.objects.live().count(),
        }
        return TemplateResponse(request, "admin/sessions_core/rotate.html", context)

    def _rotated(self, version: KeyVersion, grace: int) -> str:
        count, words = version.purge_total, {"v": version.version, "grace": grace}
        if grace:
            text = ngettext(
                "Rotated session keys to v%(v)s: %(count)s session ends in "
                "%(grace)s seconds.",
                "Rotated session keys to v%(v)s: %(count)s sessions end in "
                "%(grace)s seconds.",
                count,
            )
        else:
            text = ngettext(
                "Rotated session keys to v%(v)s: %(count)s session ended.",
                "Rotated session keys to v%(v)s: %(count)s sessions ended.",
                count,
            )
        renewed = _(
            "Yours was one of them: you are signed in again, with a new session "
            "under the new key."
        )
        return f"{text % {**words, 'count': count}} {renewed}"
