"""Step-up, "confirm it's you": risky actions ask for the password again.

Two kinds of asking, both kept in the session under ``STEP_UP_KEY`` and tied to the
session's record, so that nothing confirmed in one session counts in another:

- a window: ``is_fresh(request)`` tells whether the person confirmed in the last
  ``SESSIONS_CORE_STEP_UP_WINDOW`` seconds (``require_recent`` guards a view);
- one action: ``hold(request, purpose=..., binding=..., summary=...)`` keeps an
  action (say a payment: its amount and accounts) under a random id until the
  person confirms that one action; ``consume(...)`` then hands its binding back,
  once, and only if it is still the one confirmed (PSD2's dynamic linking).

Signing in is not a confirmation: only the confirm page (``sessions_core.confirm``)
records one, through ``record_confirmation``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from . import policy, services
from .conf import app_settings
from .models import SessionEvent, SessionRecord
from .request_info import client_ip
from .sessiondata import RECORD_KEY, STEP_UP_KEY

# Actions held at once in one session: enough for a few tabs, never a growing blob.
MAX_HELD = 5
# Ids are token_urlsafe(16) (22 characters); anything much longer is not ours.
MAX_ID_LENGTH = 64


class StepUpRefused(Exception):
    """The held action cannot go ahead; the message says why, for the person."""


@dataclass(frozen=True)
class Held:
    id: str
    purpose: str
    binding: Mapping[str, str]
    summary: str
    confirmed: bool


def _state(request: HttpRequest) -> dict:
    """This session's step-up state; empty if absent, malformed or another's."""
    state = request.session.get(STEP_UP_KEY)
    record = request.session.get(RECORD_KEY)
    if not isinstance(state, dict) or record is None or state.get("record") != record:
        return {"record": record, "confirmed_at": None, "held": {}}
    return state


def _strings(binding: Mapping) -> dict[str, str]:
    return {str(key): str(value) for key, value in binding.items()}


def _save(request: HttpRequest, state: dict) -> None:
    request.session[STEP_UP_KEY] = state  # a new value: the session is saved


def _fresh(stamp, now: float) -> bool:
    if not isinstance(stamp, int | float):
        return False
    return policy.step_up_fresh(
        confirmed_at=float(stamp), now=now, window=app_settings.STEP_UP_WINDOW
    )


def _live(entry, now: float) -> bool:
    """A held action lasts a window from its creation, or from its confirmation."""
    if not isinstance(entry, dict):
        return False
    stamp = entry.get("confirmed_at") or entry.get("created_at")
    return _fresh(stamp, now)


def is_fresh(request: HttpRequest) -> bool:
    """Tell whether this session confirmed it's them within the window."""
    return _fresh(_state(request).get("confirmed_at"), time.time())


def confirm_url(*, next_url: str, held_id: str | None = None) -> str:
    """The confirm page, which sends the person on to ``next_url`` afterwards."""
    query = {"next": next_url, **({"pending": held_id} if held_id else {})}
    return f"{reverse('sessions_core:confirm')}?{urlencode(query)}"


def ask(request: HttpRequest, *, next_url: str | None = None) -> HttpResponse:
    """Send the person to confirm, then on to ``next_url`` (default: this page)."""
    return redirect(confirm_url(next_url=next_url or request.get_full_path()))


def require_recent(view=None, *, back: str | None = None):
    """Guard a view: without a confirmation in the window, ask for one first.

    A GET comes back to itself afterwards; a POST cannot be replayed, so it comes
    back to ``back`` (a URL name or path: the page the form was on) to do it again.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.user.is_authenticated and not is_fresh(request):
                after = None
                if request.method not in ("GET", "HEAD") and back:
                    after = resolve_url(back)
                return ask(request, next_url=after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def hold(
    request: HttpRequest, *, purpose: str, binding: Mapping[str, str], summary: str
) -> str:
    """Keep an action until the person confirms it; return its id.

    ``binding`` is what the confirmation is tied to (strings only: it goes into
    the session); ``summary`` says the action in words on the confirm page and in
    the audit log, e.g. "a payment of £1,500.00 to Savings".
    """
    now = time.time()
    state = _state(request)
    held = {key: e for key, e in state.get("held", {}).items() if _live(e, now)}
    while len(held) >= MAX_HELD:  # the oldest goes
        del held[min(held, key=lambda key: held[key].get("created_at", 0))]
    held_id = secrets.token_urlsafe(16)
    held[held_id] = {
        "purpose": purpose,
        "binding": _strings(binding),
        "summary": str(summary),
        "created_at": now,
        "confirmed_at": None,
    }
    _save(request, {**state, "held": held})
    return held_id


def held(request: HttpRequest, held_id: str | None) -> Held | None:
    """The action held under ``held_id`` in this session, or None (unknown,
    tampered, another session's, or expired)."""
    if not isinstance(held_id, str) or not held_id or len(held_id) > MAX_ID_LENGTH:
        return None
    entry = _state(request).get("held", {}).get(held_id)
    if not _live(entry, time.time()):
        return None
    return Held(
        id=held_id,
        purpose=str(entry.get("purpose", "")),
        binding=dict(entry.get("binding") or {}),
        summary=str(entry.get("summary", "")),
        confirmed=entry.get("confirmed_at") is not None,
    )


def consume(
    request: HttpRequest,
    *,
    held_id: str | None,
    purpose: str,
    binding: Mapping[str, str] | None = None,
) -> Mapping[str, str]:
    """Take a confirmed action out of the session, once, and return its binding.

    With ``binding``, it must be the one confirmed, or the confirmation is used up
    and nothing goes ahead. Raise ``StepUpRefused`` whenever it cannot go ahead.
    """
    entry = held(request, held_id)
    if entry is None or entry.purpose != purpose:
        raise StepUpRefused(
            _(
                "This confirmation has expired or was already used, so nothing was "
                "done. Please check the details and send them again."
            )
        )
    if not entry.confirmed:
        raise StepUpRefused(_("Please confirm it's you first: nothing was done yet."))
    # Used up first, whatever follows: a confirmation never serves twice.
    state = _state(request)
    rest = {key: e for key, e in state.get("held", {}).items() if key != entry.id}
    _save(request, {**state, "held": rest})
    if binding is not None and _strings(binding) != dict(entry.binding):
        raise StepUpRefused(
            _(
                "These details are not the ones you confirmed, so nothing was done. "
                "Please check them and confirm again."
            )
        )
    return entry.binding


def record_confirmation(request: HttpRequest, *, held_id: str | None = None) -> None:
    """The person just confirmed it's them: confirm the held action named, or
    else open the window; write it to the audit log."""
    now = time.time()
    state = _state(request)
    entry = held(request, held_id)
    held_now = dict(state.get("held", {}))
    if entry is not None:
        held_now[entry.id] = {**held_now[entry.id], "confirmed_at": now}
    # A confirmation of one held action confirms that one only: the window for
    # other risky actions opens only for a confirmation asked without one.
    confirmed_at = state.get("confirmed_at") if entry is not None else now
    _save(request, {**state, "confirmed_at": confirmed_at, "held": held_now})
    record_id = request.session.get(RECORD_KEY)
    services.log_event(
        kind=SessionEvent.Kind.CONFIRM,
        user=request.user,
        record=SessionRecord.objects.filter(pk=record_id).first(),
        ip=client_ip(request, app_settings.TRUSTED_PROXIES),
        # Stored for operators, in English like every audit detail (not the
        # person's language of the moment).
        detail=entry.summary if entry else "confirmed it's them",
    )
