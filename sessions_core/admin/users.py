"""Users: "Force sign-out of all sessions"."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from sessions_core import services

from .common import EndSessionPermissionMixin, SafeSelectionMixin, _force_sign_out

User = get_user_model()


class ForceSignOutAllMixin(EndSessionPermissionMixin, SafeSelectionMixin):
    """ "Force sign-out of all sessions" for a user admin. A host with its own
    UserAdmin mixes it in: ``class MyUserAdmin(ForceSignOutAllMixin, UserAdmin)``."""

    actions = ["force_sign_out_all"]

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
