"""Mark views for SessionLifetimeMiddleware, as Django's login_not_required does
for LoginRequiredMiddleware. Apply them to functions or to ``View.as_view()``."""

from __future__ import annotations

from functools import lru_cache

from .conf import app_settings

BACKGROUND_ATTR = "sessions_core_background"
OPEN_AFTER_END_ATTR = "sessions_core_open_after_end"


def background(view):
    """Requests to this view never count as the user's activity (polling, status)."""
    setattr(view, BACKGROUND_ATTR, True)
    return view


def open_after_end(view):
    """A browser whose session ended may still open this view (help, status), and is
    told why there, instead of being sent to sign in. The sign-in page always is."""
    setattr(view, OPEN_AFTER_END_ATTR, True)
    return view


def says_background(request) -> bool:
    """Tell whether the request marks itself as background traffic: the
    SESSIONS_CORE_BACKGROUND_HEADER set to ``1`` (request.META, read directly:
    request.headers would parse every header of every request)."""
    return request.META.get(_meta_key(app_settings.BACKGROUND_HEADER)) == "1"


@lru_cache(maxsize=4)
def _meta_key(header: str) -> str:
    """The request.META name of a header (X-Session-Background: HTTP_X_SESSION_...)."""
    return "HTTP_" + header.upper().replace("-", "_")
