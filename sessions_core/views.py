"""Thin doors onto services: status, extend, help, the user's devices, sign-in.

Signing out another device and changing the password ask for a recent
confirmation first (``sessions_core.stepup``)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import decorators, policy, selectors, services, stepup
from .confirm import PasswordChangeForm
from .end_notice import end_notice_for
from .models import SessionRecord
from .reasons import EndReason
from .request_info import relative_seconds
from .sessiondata import RECORD_KEY


def _verdict_json(verdict, authenticated: bool = True) -> dict:
    return {
        "authenticated": authenticated,
        "idle_expires_in": round(verdict.idle_expires_in, 1),
        "absolute_expires_in": round(verdict.absolute_expires_in, 1),
        "warning_lead": verdict.warning_lead,
        "activity_every": policy.activity_every(verdict.limits),
    }


@decorators.open_after_end
@decorators.background
@never_cache
@require_GET
def status(request: HttpRequest) -> JsonResponse:
    """Seconds left to each limit. Background traffic: never counts as activity."""
    verdict = getattr(request, "sessions_core_verdict", None)
    if not request.user.is_authenticated or verdict is None:
        end = getattr(request, "sessions_core_end", None)
        return JsonResponse(
            {"authenticated": False, "reason": end.reason if end else ""}
        )
    return JsonResponse(_verdict_json(verdict))


@never_cache
@require_POST
def extend(request: HttpRequest) -> JsonResponse:
    """ "Stay signed in": counts as activity, never past the absolute limit.

    With ``activity=1`` it is the page's report of the person's input instead
    (when its websocket is down): written at most once a window, never logged.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False}, status=401)
    verdict = services.extend_by_key(
        session_key=request.session.session_key,
        user=request.user,
        deliberate=request.POST.get("activity") != "1",
        ago=relative_seconds(request.POST.get("ago")),
    )
    if verdict is None or verdict.expired:
        return JsonResponse({"authenticated": False}, status=401)
    # The store now holds newer activity than this request's copy of the session.
    request.session.modified = False
    return JsonResponse(_verdict_json(verdict))


@decorators.open_after_end
def help_session_expired(request: HttpRequest):
    return render(
        request,
        "sessions_core/help.html",
        {"reasons": list(EndReason), "session_end": _end_reason(request)},
    )


# Signing out other devices, held until the person confirms it's them.
END_ONE, END_OTHERS = "end_session", "end_other_sessions"


@login_required
def my_sessions(request: HttpRequest):
    held_id = request.GET.get("pending")
    if held_id:
        return _confirmed_sign_out(request, held_id)
    current = request.session.get(RECORD_KEY)
    records = selectors.live_records_of(request.user)
    now = time.time()
    rows = [
        (record, record.pk == current, verdict)
        for record in records
        # Past its limits but not swept yet: it is over, whatever the record says.
        if not (verdict := selectors.record_verdict(record, now=now)).expired
    ]
    return render(request, "sessions_core/my_sessions.html", {"rows": rows})


def _own_live_record(request: HttpRequest, record_id: int) -> SessionRecord:
    record = (
        SessionRecord.objects.live()
        .select_related("user")
        .filter(pk=record_id, user=request.user)
        .first()
    )
    if record is None:
        raise Http404(_("No such session."))
    return record


def _hold_sign_out(request: HttpRequest, *, purpose: str, summary: str, **binding):
    """Ask to confirm first; the sign-out goes ahead on the way back, once."""
    held_id = stepup.hold(request, purpose=purpose, binding=binding, summary=summary)
    back = f"{resolve_url('sessions_core:mine')}?pending={held_id}"
    return redirect(stepup.confirm_url(next_url=back, held_id=held_id))


def _sign_out_others(request: HttpRequest, record: SessionRecord | None) -> None:
    # The other devices hear they were signed out from here, not that they did it.
    if record is not None:
        services.end_sessions(records=[record], reason=EndReason.REMOTE_LOGOUT)
    else:
        services.end_other_sessions(
            user=request.user,
            keep_record_id=request.session.get(RECORD_KEY),
            reason=EndReason.REMOTE_LOGOUT,
        )
    messages.success(request, _("Signed out."), fail_silently=True)


def _confirmed_sign_out(request: HttpRequest, held_id: str):
    """Back from the confirm page: the held sign-out goes ahead, once."""
    entry = stepup.held(request, held_id)
    if entry is not None and entry.purpose in {END_ONE, END_OTHERS}:
        if not entry.confirmed:
            return redirect(
                stepup.confirm_url(next_url=request.get_full_path(), held_id=held_id)
            )
        stepup.consume(request, held_id=held_id, purpose=entry.purpose)
        record = None
        if entry.purpose == END_ONE:
            record = (
                SessionRecord.objects.live()
                .filter(pk=entry.binding.get("record"), user=request.user)
                .first()
            )
        if entry.purpose == END_OTHERS or record is not None:
            _sign_out_others(request, record)
    else:
        messages.error(request, _("That sign-out had expired: nothing was done."))
    return redirect("sessions_core:mine")


@login_required
@require_POST
def end_session(request: HttpRequest, record_id: int):
    """Sign out one of the user's devices (this one included)."""
    record = _own_live_record(request, record_id)
    if record.pk == request.session.get(RECORD_KEY):
        services.end_current(
            request=request, record_id=record.pk, reason=EndReason.LOGOUT
        )
        return redirect(settings.LOGIN_URL)
    if not stepup.is_fresh(request):
        # Signing out another device asks for the password again; this one does not.
        summary = _("signing out %(device)s") % {"device": record.device_words}
        return _hold_sign_out(
            request, purpose=END_ONE, summary=summary, record=str(record.pk)
        )
    _sign_out_others(request, record)
    return redirect("sessions_core:mine")


@login_required
@require_POST
def end_other_sessions(request: HttpRequest):
    if not stepup.is_fresh(request):
        summary = _("signing out all your other devices")
        return _hold_sign_out(request, purpose=END_OTHERS, summary=summary)
    _sign_out_others(request, None)
    return redirect("sessions_core:mine")


def _end_reason(request: HttpRequest) -> EndReason | None:
    end = end_notice_for(request)
    try:
        return EndReason(end.reason) if end else None
    except ValueError:
        return None


class LoginView(auth_views.LoginView):
    """Django's sign-in, which also says why the last session ended."""

    redirect_authenticated_user = True

    def get_redirect_url(self):
        # A "next" back to this page would loop (Django raises ValueError: a 500).
        url = super().get_redirect_url()
        return "" if url.split("?")[0] == self.request.path else url

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["session_end"] = _end_reason(self.request)
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password: other sessions end, this one goes on under a new key.

    Then on to LOGIN_REDIRECT_URL; the template is Django's
    ``registration/password_change_form.html`` unless the URLconf says otherwise.
    """

    def dispatch(self, request, *args, **kwargs):
        # Asked before the form, not after: nobody types a new password for nothing.
        if request.user.is_authenticated and not stepup.is_fresh(request):
            return stepup.ask(request, next_url=request.path)
        return super().dispatch(request, *args, **kwargs)

    form_class = PasswordChangeForm

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.request = self.request  # a wrong current password counts to the lockout
        return form

    def get_success_url(self) -> str:
        return resolve_url(settings.LOGIN_REDIRECT_URL)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            _("Your password was changed. Your other devices have been signed out."),
            fail_silently=True,  # a host without the messages framework
        )
        return response
