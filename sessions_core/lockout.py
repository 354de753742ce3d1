"""The page a locked-out sign-in gets from django-axes: not an expiry."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    """Render the sign-in page with the lockout message (HTTP 403).

    The same answer for existing and unknown usernames, so it tells nobody which
    accounts exist.
    """
    return render(
        request,
        "registration/login.html",
        {"form": AuthenticationForm(request), "locked": True},
        status=403,
    )
