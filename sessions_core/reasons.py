"""Why a session ended: the codes of the contract and their words for users."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class EndReason(StrEnum):
    IDLE = "idle"
    ABSOLUTE = "absolute"
    KEY_ROTATED = "key_rotated"
    ADMIN = "admin"
    CONCURRENT = "concurrent"
    PASSWORD_CHANGED = "password_changed"
    LOGOUT = "logout"
    REMOTE_LOGOUT = "remote_logout"
    STORE_LOST = "store_lost"

    @property
    def label(self) -> str:
        return str(_LABELS[self])

    @property
    def message(self) -> str:
        """One sentence the user reads on the next page."""
        return str(_MESSAGES[self])


_LABELS = {
    EndReason.IDLE: _("Inactivity"),
    EndReason.ABSOLUTE: _("Maximum session length"),
    EndReason.KEY_ROTATED: _("Server keys rotated"),
    EndReason.ADMIN: _("Signed out by an administrator"),
    EndReason.CONCURRENT: _("Signed in on another device"),
    EndReason.PASSWORD_CHANGED: _("Password changed"),
    EndReason.LOGOUT: _("Signed out"),
    EndReason.REMOTE_LOGOUT: _("Signed out from another device"),
    EndReason.STORE_LOST: _("Session lost by the server"),
}

_MESSAGES = {
    EndReason.IDLE: _(
        "You were signed out because there was no activity for a while. "
        "This protects your account if you step away from your device."
    ),
    EndReason.ABSOLUTE: _(
        "You were signed out because you reached the maximum length of a session. "
        "Please sign in again to continue."
    ),
    EndReason.KEY_ROTATED: _(
        "You were signed out because we renewed the security keys that protect "
        "sessions. This is routine; please sign in again."
    ),
    EndReason.ADMIN: _(
        "You were signed out by one of our administrators. If you did not expect "
        "this, please contact us."
    ),
    EndReason.CONCURRENT: _(
        "You were signed out because your account was signed in on another device, "
        "and only a limited number of sessions may be open at once."
    ),
    EndReason.PASSWORD_CHANGED: _(
        "You were signed out because the password of this account was changed. "
        "Sign in with the new password."
    ),
    EndReason.LOGOUT: _("You signed out. See you soon."),
    EndReason.REMOTE_LOGOUT: _(
        "You were signed out from another of your devices, on its list of "
        "signed-in devices. If that wasn't you, change your password."
    ),
    EndReason.STORE_LOST: _(
        "We're sorry: our servers lost this session during a technical problem. "
        "Your account is safe; please sign in again."
    ),
}

CHOICES = [(reason.value, _LABELS[reason]) for reason in EndReason]
