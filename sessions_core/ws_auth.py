"""Who a websocket belongs to: Channels' AuthMiddlewareStack, for final ends.

Channels' own stack does three things wrong here: its
``get_user`` flushes a session whose auth hash was made with a key still in
``SECRET_KEY_FALLBACKS`` (signing the user out after a graceful key change); it
turns a store that is down into a traceback; and it keeps the whole session in
every scope. This one reads the store once, by digest, and never writes: a
handshake cannot cycle a key (the browser could not get the new cookie) or flush
a session. It puts in the scope only the user, the session key, its record's id
(the socket joins that session's group before its first read), and whether the
store was down.

    application = AllowedHostsOriginValidator(SessionAuthStack(URLRouter(...)))
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie

from . import selectors, store
from .models import digest_key
from .sessiondata import read_stamps

STORE_DOWN = "sessions_core_store_down"
RECORD_ID = "sessions_core_record_id"


def user_for_session(data: dict):
    """The user a stored session signs in, or None: Django's get_user without the
    writes, accepting auth hashes made with a fallback secret key."""
    backend_path = data.get(BACKEND_SESSION_KEY)
    if SESSION_KEY not in data or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(data[SESSION_KEY])
    if user is None or not selectors.session_still_valid(data, user):
        return None
    return user


def _resolve(session_key: str | None) -> tuple[object, int | None, bool]:
    """(user, record id, store down) for the handshake's session key."""
    if not session_key:
        return AnonymousUser(), None, False
    try:
        entry = store.read(digest_key(session_key))
    except store.StoreUnavailable:
        return AnonymousUser(), None, True
    data = entry.data or {}
    stamps = read_stamps(data)
    user = user_for_session(data) or AnonymousUser()
    return user, None if stamps is None else stamps.record_id, False


def scope_cookies(scope) -> dict[str, str]:
    """The handshake's cookies, as Django's request.COOKIES has them."""
    for name, value in scope.get("headers") or ():
        if name == b"cookie":
            return parse_cookie(value.decode("latin1"))
    return {}


async def authenticated(scope) -> dict:
    """A copy of ``scope`` with the cookies, the user, the session key, its
    record's id, and whether the store was down."""
    cookies = scope_cookies(scope)
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    user, record_id, down = await database_sync_to_async(_resolve)(session_key)
    return dict(
        scope,
        cookies=cookies,
        user=user,
        session_key=session_key,
        **{RECORD_ID: record_id, STORE_DOWN: down},
    )


class SessionAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        return await self.inner(await authenticated(scope), receive, send)


def SessionAuthStack(inner):  # named like Channels' AuthMiddlewareStack
    return SessionAuthMiddleware(inner)
