"""A form whose CSRF token went stale gets a plain page, never Django's own."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Answer a form Django's CSRF check refused (``settings.CSRF_FAILURE_VIEW``).

    Signing in or out rotates the CSRF token, so a form left open in another tab
    goes stale. Someone already signed in who sends a stale sign-in form goes on
    to where that form was heading; anything else gets a page saying the form
    expired, with a way back to it. ``reason`` is Django's technical text: it is
    logged by the CSRF middleware and never shown.
    """
    login_path = resolve_url(settings.LOGIN_URL)
    user = getattr(request, "user", None)
    if (
        user is not None
        and user.is_authenticated
        and request.method == "POST"
        and request.path == login_path
    ):
        messages.info(
            request,
            _("You are already signed in as %(name)s.")
            % {"name": user.get_short_name() or user.get_username()},
            fail_silently=True,
        )
        target = _same_site(request, _posted(request, REDIRECT_FIELD_NAME))
        # Back to the sign-in page would only bounce; with a ?next= of itself it
        # is Django's "redirection loop" error.
        if not target or urlsplit(target).path == login_path:
            target = resolve_url(settings.LOGIN_REDIRECT_URL)
        return redirect(target)
    back = _same_site(request, request.headers.get("referer", ""))
    context = {"back_url": back or resolve_url(settings.LOGIN_REDIRECT_URL)}
    return render(request, "403_csrf.html", context, status=403)


def _posted(request: HttpRequest, name: str) -> str:
    try:
        return request.POST.get(name, "")
    except OSError:  # the body could not be read; the CSRF check saw none either
        return ""


def _same_site(request: HttpRequest, url: str) -> str:
    """Return ``url`` as a path on this site, or "" if it points anywhere else."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.startswith("/"):  # relative to wherever the form was posted
        return ""
    return path + (f"?{parts.query}" if parts.query else "")
