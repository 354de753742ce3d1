"""How a browser learns why its session ended: from the store, the record, and a
signed cookie over the redirect to the sign-in page (never from the URL)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url

from . import selectors, services, store
from .conf import app_settings
from .models import digest_key
from .outage import wants_json
from .store import Tombstone

END_COOKIE_SALT = "sessions_core.end"
END_COOKIE_MAX_AGE = 15 * 60


def end_named_by_cookie(request: HttpRequest) -> Tombstone | None:
    """How the session this browser's cookie names ended, if it did.

    Usually the store's tombstone, found by the read that loaded the session. A
    session gone from the store (it expired, was purged, or the store lost it) is
    looked up by its record, and a live record is ended here with the reason that
    fits: so is one whose session no longer verifies after a secret-key change.
    """
    cookie_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not cookie_key:
        return None
    session = request.session
    session_end = getattr(session, "end", None)
    if session_end is None and session.session_key == cookie_key:
        # Loaded by now; a session that ended after that read is read again.
        session_end = store.read(digest_key(cookie_key)).end
    if session_end is not None:
        return session_end
    record = selectors.record_for_key(cookie_key)
    if record is None:
        return None
    if record.is_live:
        # Django's get_user() flushed a session that loaded but did not verify.
        unreadable = getattr(session, "loaded_data", False)
        record = services.end_lost_session(record=record, unreadable=unreadable)
    return Tombstone(record.end_reason, record.pk)


def ended_response(request: HttpRequest) -> HttpResponse:
    """Send a browser whose session ended to sign in again (the reason follows)."""
    end = getattr(request, "sessions_core_end", None)
    if wants_json(request):
        return JsonResponse(
            {
                "authenticated": False,
                "reason": end.reason if end else "",
                "login_url": resolve_url(settings.LOGIN_URL),
            },
            status=401,
        )
    next_path = request.get_full_path() if request.method in {"GET", "HEAD"} else "/"
    return redirect_to_login(next_path)


def set_end_cookie(response: HttpResponse, end: Tombstone | None) -> None:
    if end is None or not end.reason:
        return
    response.set_signed_cookie(
        app_settings.END_COOKIE,
        end.reason,  # only the reason: signed, but readable by whoever holds it
        salt=END_COOKIE_SALT,
        max_age=END_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def end_notice_for(request: HttpRequest) -> Tombstone | None:
    """How this browser's last session ended, for the sign-in and help pages.

    Found from this request (the middleware just ended or recognised it), or from
    the signed cookie the middleware set on the redirect: never from the URL.
    """
    end = getattr(request, "sessions_core_end", None)
    if end is not None:
        return end
    try:
        value = request.get_signed_cookie(
            app_settings.END_COOKIE, salt=END_COOKIE_SALT, max_age=END_COOKIE_MAX_AGE
        )
    except (KeyError, signing.BadSignature, ValueError):
        return None
    return Tombstone(value, None)
