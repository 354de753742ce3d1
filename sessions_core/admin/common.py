"""What the session admin pages share: permissions, read-only pages, a state
filter, refusing malformed selections, and the confirmation of a force sign-out."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sessions_core import selectors

# The app's own permissions (migration 0006): ending a session and rotating keys
# are rights of their own, apart from Django's view/add/change/delete.
END_SESSION = "sessions_core.end_session"
ROTATE_KEYS = "sessions_core.rotate_keys"


def may(request, permission: str) -> bool:
    """Whether the signed-in user holds ``permission`` (superusers hold them all)."""
    user = request.user
    return user.is_active and user.is_staff and user.has_perm(permission)


# The policy's states (sessions_core.policy.State), in words for the admin.
STATE_WORDS = {"active": _("active"), "warn": _("warned"), "expired": _("expired")}


def state_words(state) -> str:
    return str(STATE_WORDS.get(state.value, state.value))


def view_permission(opts) -> str:
    return f"{opts.app_label}.view_{opts.model_name}"


class SessionColumns:
    """The columns a list of sessions shows wherever it is: the browser in the
    reader's language, the short key (never the whole digest), and the state."""

    @admin.display(description=_("browser"), ordering="device")
    def browser(self, record):
        return record.device_words

    @admin.display(description=_("key"))
    def short_digest(self, record):
        return record.short_digest

    @admin.display(description=_("state"))
    def state(self, record):
        if not record.is_live:
            return _("ended")
        return state_words(selectors.record_verdict(record).state)


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


class EndSessionPermissionMixin:
    """What ``@admin.action(permissions=["end_session"])`` asks."""

    def has_end_session_permission(self, request, obj=None) -> bool:
        return may(request, END_SESSION)


class SafeSelectionMixin:
    """Refuse a forged action: one this user may not run (403), or ids that are
    not ids (a message).

    Django ignores a POST naming an action the user does not have when they have
    none (the list is shown again, silently), says "No action selected" when they
    have others, and its ``response_action`` filters ``pk__in`` with whatever was
    posted, so a forged "abc" is a 500 there.
    """

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":
            allowed = self.get_actions(request)
            named = [name for name in request.POST.getlist("action") if name]
            if any(name not in allowed for name in named):
                raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def response_action(self, request, queryset):
        pk = self.model._meta.pk
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                # The validators too: an id past the column's range is an
                # OverflowError in the query, not an empty result.
                pk.run_validators(pk.to_python(value))
        except ValidationError:
            self.message_user(
                request,
                _("Those are not ids of this list: nothing was done."),
                messages.ERROR,
            )
            return None
        return super().response_action(request, queryset)


class ReadOnlyAdmin(SafeSelectionMixin, admin.ModelAdmin):
    """Nobody adds, changes or deletes here, superusers included; viewing needs
    the model's own view permission (not Django's "change implies view": there is
    nothing to change)."""

    def has_view_permission(self, request, obj=None):
        return may(request, view_permission(self.opts))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _force_sign_out(modeladmin, request, shown, *, action, title, question, end):
    """Ask first, the way Django's delete action does; then call ``end(by=...)``.

    The permission is checked here again, not only where Django lists the
    actions: the confirmation is a second POST, and this must hold however it
    is forged.
    """
    if not modeladmin.has_end_session_permission(request):
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
        ngettext(
            "Signed out %(count)d session.", "Signed out %(count)d sessions.", count
        )
        % {"count": count},
        messages.SUCCESS,
    )
    return None
