"""Why a session ended: the codes of the contract and their words for users.

A new reason is one member of ``EndReason`` and one entry in ``WORDS``: the sign-in
page, the help page, the websocket, the admin's choices and the audit log all take
it from here.
"""

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
    REFRESH_REUSED = "refresh_reused"

    @property
    def label(self) -> str:
        return str(WORDS[self][0])

    @property
    def message(self) -> str:
        """One sentence the user reads on the next page."""
        return str(WORDS[self][1])


# Each reason's name, and the sentence the user reads on the next page.
WORDS = {
    EndReason.IDLE: (
        _("Inactivity"),
        _(
            "You were signed out because there was no activity for a while. "
            "This protects your account if you step away from your device."
        ),
    ),
    EndReason.ABSOLUTE: (
        _("Maximum session length"),
        _(
            "You were signed out because you reached the maximum length of a session. "
            "Please sign in again to continue."
        ),
    ),
    EndReason.KEY_ROTATED: (
        _("Server keys rotated"),
        _(
            "You were signed out because we renewed the security keys that protect "
            "sessions. This is routine; please sign in again."
        ),
    ),
    EndReason.ADMIN: (
        _("Signed out by an administrator"),
        _(
            "You were signed out by one of our administrators. If you did not expect "
            "this, please contact us."
        ),
    ),
    EndReason.CONCURRENT: (
        _("Signed in on another device"),
        _(
            "You were signed out because your account was signed in on another device, "
            "and only a limited number of sessions may be open at once."
        ),
    ),
    EndReason.PASSWORD_CHANGED: (
        _("Password changed"),
        _(
            "You were signed out because the password of this account was changed. "
            "Sign in with the new password."
        ),
    ),
    EndReason.LOGOUT: (
        _("Signed out"),
        _("You signed out. See you soon."),
    ),
    EndReason.REMOTE_LOGOUT: (
        _("Signed out from another device"),
        _(
            "You were signed out from another of your devices, on its list of "
            "signed-in devices. If that wasn't you, change your password."
        ),
    ),
    EndReason.STORE_LOST: (
        _("Session lost by the server"),
        _(
            "We're sorry: our servers lost this session during a technical problem. "
            "Your account is safe; please sign in again."
        ),
    ),
    EndReason.REFRESH_REUSED: (
        _("Refresh token used twice"),
        _(
            "You were signed out because this app's sign-in was used twice, which "
            "can mean someone copied it. Sign in again; if this repeats, change your "
            "password."
        ),
    ),
}


def choices() -> list[tuple[str, str]]:
    """The model fields' choices: a callable, so a new reason needs no migration."""
    return [(reason.value, reason.label) for reason in EndReason]
