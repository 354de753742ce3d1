"""Users: their live sessions inline with a sign-out each, "Force sign-out of all
sessions", and lifting a lockout after failed sign-ins."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sessions_core import lockout, services
from sessions_core.models import SessionRecord

from .common import (
    END_SESSION,
    EndSessionPermissionMixin,
    SafeSelectionMixin,
    SessionColumns,
    _force_sign_out,
    may,
    view_permission,
)

User = get_user_model()


def _url_name(opts, what: str) -> str:
    return f"{opts.app_label}_{opts.model_name}_{what}"


class UserSessionsInline(SessionColumns, admin.TabularInline):
    """A user's live sessions, read-only, each with a "Sign out" link.

    The link opens a confirmation whose form POSTs (with its CSRF token): a
    button in the user's own form could not have a form of its own, and as that
    form's first submit button, pressing Enter in any field would press it.
    """

    model = SessionRecord
    fk_name = "user"
    extra = 0
    can_delete = False
    verbose_name_plural = _("live sessions")
    fields = readonly_fields = [
        "short_digest",
        "browser",
        "ip",
        "signed_in_at",
        "last_active_at",
        "key_version",
        "state",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).live().select_related("user")

    def get_fields(self, request, obj=None):
        fields = [*self.fields]
        if may(request, END_SESSION):
            fields.append("sign_out")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_view_permission(self, request, obj=None):
        return may(request, view_permission(self.opts))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("sign out"))
    def sign_out(self, record):
        name = _url_name(self.parent_model._meta, "sign_out_session")
        url = reverse(
            f"{self.admin_site.name}:{name}", args=[record.user_id, record.pk]
        )
        return format_html(
            '<a class="button" href="{}" data-sign-out-session="{}">{}</a>',
            url,
            record.short_digest,
            _("Sign out…"),
        )


class ForceSignOutAllMixin(EndSessionPermissionMixin, SafeSelectionMixin):
    """The session tools for a user admin: the live sessions inline, "Force
    sign-out of all sessions" and "Unlock sign-in". A host with its own UserAdmin
    mixes it in: ``class MyUserAdmin(ForceSignOutAllMixin, UserAdmin)``."""

    actions = ["force_sign_out_all", "unlock_sign_in"]

    def get_inlines(self, request, obj):
        inlines = [*super().get_inlines(request, obj)]
        return [*inlines, UserSessionsInline] if obj is not None else inlines

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not apps.is_installed("axes"):
            actions.pop("unlock_sign_in", None)
        return actions

    def get_urls(self):
        return [
            path(
                "<path:object_id>/sessions/<int:record_id>/sign-out/",
                self.admin_site.admin_view(self.sign_out_session_view),
                name=_url_name(self.opts, "sign_out_session"),
            ),
            *super().get_urls(),
        ]

    @admin.action(
        description=_("Force sign-out of all sessions"), permissions=["end_session"]
    )
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

    # Changing who may sign in is a change to the user: Django's change_user.
    @admin.action(
        description=_("Unlock sign-in after failed attempts"), permissions=["change"]
    )
    def unlock_sign_in(self, request, queryset):
        unlocked = [
            user for user in queryset if lockout.unlock(user=user, by=request.user)
        ]
        count = len(unlocked)
        self.message_user(
            request,
            ngettext("Unlocked %(count)d user.", "Unlocked %(count)d users.", count)
            % {"count": count}
            if count
            else _("None of them was locked."),
            messages.SUCCESS if count else messages.WARNING,
        )

    def sign_out_session_view(self, request, object_id, record_id):
        """Ask (GET), then end (POST) one session of this user, as ``admin``."""
        # admin_view checks is_staff only: a view of our own checks the rest.
        user = self.get_object(request, unquote(object_id))
        if not (
            self.has_end_session_permission(request)
            and self.has_view_or_change_permission(request, user)
        ):
            raise PermissionDenied
        record = SessionRecord.objects.filter(
            pk=record_id, user_id=getattr(user, "pk", None)
        ).first()
        if user is None or record is None:
            raise Http404(_("This user has no session with that id."))
        back = reverse(
            f"{self.admin_site.name}:{_url_name(self.opts, 'change')}", args=[user.pk]
        )
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Sign out this session?"),
                "opts": self.opts,
                "record": record,
                "back": back,
            }
            return TemplateResponse(
                request, "admin/sessions_core/sign_out_session.html", context
            )
        if services.force_logout_sessions(record_ids=[record.pk], by=request.user):
            self.message_user(
                request,
                _("Signed out session %(key)s.") % {"key": record.short_digest},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, _("That session had already ended."), messages.WARNING
            )
        return redirect(back)


class SessionAwareUserAdmin(ForceSignOutAllMixin, UserAdmin):
    pass


def _stock_user_admin() -> bool:
    try:
        return type(admin.site.get_model_admin(User)) is UserAdmin
    except NotRegistered:
        return False


# Only in place of Django's stock user admin: a host's own stays as it is.
if _stock_user_admin():
    admin.site.unregister(User)
    admin.site.register(User, SessionAwareUserAdmin)
