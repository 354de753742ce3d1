"""Mark views for SessionLifetimeMiddleware, as Django's login_not_required does
for LoginRequiredMiddleware. Apply them to functions or to ``View.as_view()``."""

from __future__ import annotations

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
