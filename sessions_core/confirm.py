"""The confirm page ("confirm it's you"): the password again, then on to ``next``.

A wrong password goes through ``django.contrib.auth.authenticate`` with
``purpose="confirm"``, so Django sends ``user_login_failed`` with the username
and that purpose, and a lockout (django-axes) counts it like a failed sign-in: the
failure that reaches the limit locks the username, and the lockout answers this
page as it answers the sign-in page. The session itself goes on (a lock can come
from anyone who knows the username; ending sessions on it would let them sign its
owner out), but no new confirmation can be given while it lasts; one given
before the lock runs out with its window.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from . import stepup

PURPOSE = "confirm"  # in user_login_failed's credentials, for lockouts and audits


class ConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "autofocus": True}
        ),
        error_messages={"required": _("Enter your password.")},
    )

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not password_again(self.request, password):
            raise forms.ValidationError(
                _("That password is not right. Please try again."), code="invalid"
            )
        return password


def password_again(request: HttpRequest, password: str) -> bool:
    """Tell whether ``password`` is the signed-in user's; a wrong one is a failed
    sign-in (``user_login_failed`` with ``purpose="confirm"``) for lockouts."""
    user = authenticate(
        request,
        username=request.user.get_username(),
        password=password,
        purpose=PURPOSE,
    )
    return user is not None and user.pk == request.user.pk


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's, but a wrong current password counts toward the lockout too."""

    request: HttpRequest | None = None  # set by the view

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        if self.request is None:
            return super().clean_old_password()
        if not password_again(self.request, old_password):
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


def _safe_next(request: HttpRequest) -> str:
    """Where to go afterwards: a same-site ``next``, else the home page."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password")
@never_cache
@login_required
def confirm(request: HttpRequest):
    """Ask for the password again; on success go on to ``next``."""
    next_url = _safe_next(request)
    held_id = request.POST.get("pending") or request.GET.get("pending")
    entry = stepup.held(request, held_id) if held_id else None
    home = resolve_url(settings.LOGIN_REDIRECT_URL)
    context = {"next": next_url, "home": home, "held": entry, "held_id": held_id or ""}
    if held_id and entry is None:
        # Tampered, another session's, expired or already done: nothing to confirm.
        return render(request, "sessions_core/confirm.html", context, status=400)
    posted = request.method == "POST"
    form = ConfirmForm(request.POST if posted else None, request=request)
    if posted and form.is_valid():
        stepup.record_confirmation(request, held_id=held_id)
        if entry is None:
            messages.success(
                request, _("Thank you, that's confirmed."), fail_silently=True
            )
        return redirect(next_url)
    context["form"] = form
    return render(request, "sessions_core/confirm.html", context)
