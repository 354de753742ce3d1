"""Judge every request of a signed-in user against the session-lifetime policy."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control

from . import selectors, services
from .conf import app_settings
from .models import SessionRecord
from .receivers import CURRENT_RECORD_ATTR
from .sessiondata import RECORD_KEY, read_stamps

END_COOKIE_SALT = "sessions_core.end"
END_COOKIE_MAX_AGE = 15 * 60


class SessionLifetimeMiddleware:
    """End expired sessions, record activity, and tell the next page why it ended.

    Goes after AuthenticationMiddleware (checked by sessions_core.E005). Requests
    marked as background (the status endpoint, the X-Session-Background header,
    SESSIONS_CORE_BACKGROUND_URL_NAMES) are judged but never count as activity.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.sessions_core_verdict = None
        request.sessions_core_end = None
        request.sessions_core_private = False
        key_at_start = request.session.session_key
        response = self.get_response(request)
        self._finish(request, response, key_at_start)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.user.is_authenticated:
            return self._judge_signed_in(request)
        record = self._ended_record(request)
        if record is not None:
            request.sessions_core_end = record
            if not self._is_public(request):
                return self._ended_response(request)
        return None

    # --- signed-in requests ---------------------------------------------------------

    def _judge_signed_in(self, request: HttpRequest) -> HttpResponse | None:
        now = time.time()
        request.sessions_core_private = True
        stamps = read_stamps(request.session)
        if stamps is None:
            # Signed in before sessions_core was installed, or stamps damaged.
            services.start_session(request=request, user=request.user)
            stamps = read_stamps(request.session)
        setattr(request.user, CURRENT_RECORD_ATTR, stamps.record_id)
        verdict = selectors.verdict_for(stamps=stamps, user=request.user, now=now)
        if verdict.expired:
            services.end_current(
                request=request, record_id=stamps.record_id, reason=verdict.reason
            )
            return self._ended_response(request)
        if not self._is_background(request) and services.record_activity(
            request=request, stamps=stamps, idle=verdict.limits.idle, now=now
        ):
            stamps = read_stamps(request.session)
            verdict = selectors.verdict_for(stamps=stamps, user=request.user, now=now)
        request.sessions_core_verdict = verdict
        return None

    def _is_background(self, request: HttpRequest) -> bool:
        # META directly: request.headers would parse every header on each request.
        meta_key = "HTTP_" + app_settings.BACKGROUND_HEADER.upper().replace("-", "_")
        if request.META.get(meta_key) == "1":
            return True
        match = request.resolver_match
        return (
            match is not None and match.view_name in app_settings.BACKGROUND_URL_NAMES
        )

    # --- requests whose session has ended -------------------------------------------

    def _ended_record(self, request: HttpRequest) -> SessionRecord | None:
        """Return the record of the session this browser's cookie named, if it ended.

        A live record whose session is gone from the store (or no longer decodes,
        after a secret-key change) is ended here, with the reason that fits.
        """
        cookie_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not cookie_key:
            return None
        record = selectors.record_for_key(cookie_key)
        if record is None:
            return None
        if record.is_live:
            record = services.end_lost_session(record=record)
        return record

    def _is_public(self, request: HttpRequest) -> bool:
        match = request.resolver_match
        return match is not None and match.view_name in {
            "login",
            "sessions_core:help",
            "sessions_core:status",
        }

    def _ended_response(self, request: HttpRequest) -> HttpResponse:
        record = request.sessions_core_end
        reason = record.end_reason if record else ""
        if _wants_json(request):
            return JsonResponse(
                {
                    "authenticated": False,
                    "reason": reason,
                    "login_url": resolve_url(settings.LOGIN_URL),
                },
                status=401,
            )
        next_path = (
            request.get_full_path() if request.method in {"GET", "HEAD"} else "/"
        )
        return redirect_to_login(next_path)

    # --- every response -------------------------------------------------------------

    def _finish(self, request, response: HttpResponse, key_at_start) -> None:
        session = request.session
        record_id = session.get(RECORD_KEY) if request.user.is_authenticated else None
        if record_id is not None:
            if session.session_key and session.session_key != key_at_start:
                services.rekey(record_id=record_id, session_key=session.session_key)
            services.keep_latest_activity(request=request)
        if request.sessions_core_private or request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        end_cookie = app_settings.END_COOKIE
        if request.user.is_authenticated:
            if end_cookie in request.COOKIES:
                response.delete_cookie(end_cookie)
        elif request.sessions_core_end is not None:
            response.set_signed_cookie(
                end_cookie,
                str(request.sessions_core_end.pk),
                salt=END_COOKIE_SALT,
                max_age=END_COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )


def _wants_json(request: HttpRequest) -> bool:
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def ended_record_for(request: HttpRequest) -> SessionRecord | None:
    """Return the record of this browser's session that ended, for the login page.

    Found from this request (the middleware just ended or recognised it), or from
    the signed cookie the middleware set on the redirect: never from the URL.
    """
    record = getattr(request, "sessions_core_end", None)
    if record is not None:
        return record
    try:
        pk = request.get_signed_cookie(
            app_settings.END_COOKIE, salt=END_COOKIE_SALT, max_age=END_COOKIE_MAX_AGE
        )
    except (KeyError, signing.BadSignature, ValueError):
        return None
    if not pk.isdigit():
        return None
    return SessionRecord.objects.ended().filter(pk=int(pk)).first()
