"""django-axes' lockout: the page a locked-out sign-in gets (not an expiry), and
lifting a lock from the admin."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .models import SessionEvent
from .services import log_event


def lockout_response(request, original_response=None, credentials=None):
    """Render the sign-in page with the lockout message (HTTP 403).

    The same answer for existing and unknown usernames, so it tells nobody which
    accounts exist. An API call (``sessions_core.drf``) gets
    ``{"reason": "locked"}`` instead.
    """
    if getattr(request, "sessions_core_api", False):
        detail = _(
            "Too many failed attempts: this account is locked for a while. "
            "This is not an expired session."
        )
        return JsonResponse({"reason": "locked", "detail": detail}, status=403)
    return render(
        request,
        "registration/login.html",
        {"form": AuthenticationForm(request), "locked": True},
        status=403,
    )


def unlock(*, user, by) -> int:
    """Forget django-axes' failed sign-ins of ``user``'s username, which lifts a
    lock; log it as done ``by`` that administrator. Returns how many of axes'
    records went (0: there was nothing to lift, and nothing is logged)."""
    # Imported here: only a host that uses django-axes offers this.
    from axes.utils import reset

    cleared = reset(username=user.get_username())
    if cleared:
        log_event(
            kind=SessionEvent.Kind.UNLOCK,
            user=user,
            by=by,
            detail="failed sign-ins forgotten",
        )
    return cleared
