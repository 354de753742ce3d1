"""Judge every request of a signed-in user against the session-lifetime policy.

Two middlewares: ``SessionMiddleware`` replaces Django's, so that a session that
ended while a request was running, or a store that is down, gets its own answer
(the reason, or the outage page) instead of a 400 or a 500; and
``SessionLifetimeMiddleware`` ends expired sessions, records activity and tells
the next page why a session ended.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import (
    SessionMiddleware as DjangoSessionMiddleware,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control
from django.utils.functional import LazyObject, empty

from . import decorators, end_notice, selectors, services
from .conf import app_settings
from .outage import outage_response
from .receivers import CurrentSession, current_session
from .sessiondata import RECORD_KEY, read_stamps
from .store import StoreUnavailable

PRIVATE = "no-store, private"  # what patch_cache_control writes on its own


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, for engines whose ends are final.

    Use it in place of ``django.contrib.sessions.middleware.SessionMiddleware``
    (checked by sessions_core.E009).
    """

    def process_request(self, request):
        super().process_request(request)
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        try:
            # Read now, once: a store that is down is answered here with the outage
            # page, before any view, error page or middleware reads the user.
            request.session.load_once()
        except StoreUnavailable:
            return outage_response(request)
        return None

    def process_response(self, request, response):
        try:
            response = super().process_response(request, response)
        except StoreUnavailable:
            return outage_response(request)
        except SessionInterrupted:
            # The session ended while this request ran, and the end stands: say why.
            request.session.modified = False  # nothing left to save
            request.sessions_core_end = end_notice.end_named_by_cookie(request)
            ended = end_notice.ended_response(request)
            end_notice.set_end_cookie(ended, request.sessions_core_end)
            return ended
        # A background request (a status poll) still on an old cookie must not
        # delete the cookie: the browser may hold a newer one by now (a sign-in
        # again, a key change), and this would sign it out.
        name = settings.SESSION_COOKIE_NAME
        cookie = response.cookies.get(name)
        if (
            cookie is not None
            and not cookie.value
            and decorators.says_background(request)
        ):
            del response.cookies[name]
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, StoreUnavailable):
            return outage_response(request)
        return None


class SessionLifetimeMiddleware:
    """End expired sessions, record activity, and tell the next page why it ended.

    Goes after AuthenticationMiddleware (checked by sessions_core.E005). Requests
    marked as background (views decorated with ``decorators.background``, and the
    X-Session-Background header) are judged but never count as activity.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.sessions_core_verdict = None
        request.sessions_core_end = None
        request.sessions_core_private = False
        # Filled in by process_view. Set here and cleared here: under ASGI Django
        # runs process_view in another context, where a token could not be reset.
        request.sessions_core_current = CurrentSession()
        current_session.set(request.sessions_core_current)
        key_at_start = request.session.session_key
        try:
            response = self.get_response(request)
        finally:
            current_session.set(None)
        self._finish(request, response, key_at_start)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            user = _unwrapped(request.user)
            if user.is_authenticated:
                request.sessions_core_signed_in_as = request.user
                return self._judge_signed_in(request, user, view_func)
            end = end_notice.end_named_by_cookie(request)
        except StoreUnavailable:
            return outage_response(request)
        except UpdateError:  # ended by another door while this request ran
            request.sessions_core_end = end_notice.end_named_by_cookie(request)
            return end_notice.ended_response(request)
        if end is not None:
            request.sessions_core_end = end
            if not self._is_open_after_end(request, view_func):
                return end_notice.ended_response(request)
        return None

    # --- signed-in requests ---------------------------------------------------------

    def _judge_signed_in(self, request: HttpRequest, user, view) -> HttpResponse | None:
        now = time.time()
        request.sessions_core_private = True
        stamps = read_stamps(request.session)
        if stamps is None:
            # Signed in before sessions_core was installed, or stamps damaged.
            services.start_session(request=request, user=user)
            stamps = read_stamps(request.session)
        current = getattr(request, "sessions_core_current", None)
        if current is not None:
            current.user_id, current.record_id = user.pk, stamps.record_id
        verdict = selectors.verdict_for(stamps=stamps, user=user, now=now)
        if verdict.expired:
            services.end_current(
                request=request, record_id=stamps.record_id, reason=verdict.reason
            )
            return end_notice.ended_response(request)
        if not self._is_background(request, view) and services.record_activity(
            request=request, stamps=stamps, limits=verdict.limits, now=now
        ):
            stamps = read_stamps(request.session)
            verdict = selectors.verdict_for(stamps=stamps, user=user, now=now)
        request.sessions_core_verdict = verdict
        return None

    def _is_background(self, request: HttpRequest, view) -> bool:
        return decorators.says_background(request) or getattr(
            view, decorators.BACKGROUND_ATTR, False
        )

    def _is_open_after_end(self, request: HttpRequest, view) -> bool:
        return getattr(view, decorators.OPEN_AFTER_END_ATTR, False) or (
            request.path == resolve_url(settings.LOGIN_URL)
        )

    # --- every response -------------------------------------------------------------

    def _finish(self, request, response: HttpResponse, key_at_start) -> None:
        session = request.session
        try:
            signed_in = still_signed_in(request)
            record_id = session.get(RECORD_KEY) if signed_in else None
            if record_id is not None:
                if session.session_key and session.session_key != key_at_start:
                    services.rekey(record_id=record_id, session_key=session.session_key)
                services.keep_latest_activity(request=request)
        except StoreUnavailable:
            # The outage page (or the session's own save, which fails too and
            # answers with it): nobody is known to be signed in or out.
            _private(response)
            return
        if request.sessions_core_private or signed_in:
            _private(response)
        end_cookie = app_settings.END_COOKIE
        if signed_in:
            if end_cookie in request.COOKIES:
                response.delete_cookie(end_cookie)
        elif request.sessions_core_end is not None:
            end_notice.set_end_cookie(response, request.sessions_core_end)


def still_signed_in(request: HttpRequest) -> bool:
    """Whether the request's user is signed in, asked of the lazy ``request.user``
    once a request: each question to it is two calls and a caught AttributeError.
    A view that signs in or out sets a new ``request.user``, which is asked."""
    user = request.user
    return user is getattr(request, "sessions_core_signed_in_as", None) or (
        user.is_authenticated
    )


def _unwrapped(user):
    """The user behind Django's lazy ``request.user`` (loaded now if it was not):
    each attribute read through the wrapper is two Python calls and a caught
    AttributeError (1.3 µs, against 43 ns on the user itself)."""
    if not isinstance(user, LazyObject):
        return user
    if user._wrapped is empty:
        user._setup()  # what the wrapper does on its first attribute read
    return user._wrapped


def _private(response: HttpResponse) -> None:
    """``Cache-Control: no-store, private``, merged with what the view set. Most
    responses set none, and patch_cache_control's parsing is a fifth of this
    middleware's own work, so that case is written directly."""
    if "Cache-Control" in response:
        patch_cache_control(response, no_store=True, private=True)
    else:
        response["Cache-Control"] = PRIVATE
