"""Describe where a request comes from: client IP and the browser in words."""

from __future__ import annotations

import ipaddress
import math
import re

from django.http import HttpRequest
from django.utils.translation import get_language_from_request
from django.utils.translation import gettext as _

_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
)


def describe_browser(user_agent: str) -> str:
    """Return e.g. "Chrome on Linux"; "Unknown browser" when nothing matches; in
    the active language (the record stores it in English: see start_session)."""
    browser = next((name for name, rx in _BROWSERS if rx.search(user_agent)), None)
    system = next((name for name, rx in _SYSTEMS if rx.search(user_agent)), None)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser:
        return browser
    if system:
        return _("Browser on %(system)s") % {"system": system}
    return _("Unknown browser")


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest, trusted_proxies: int = 0) -> str | None:
    """Return the client's IP, trusting X-Forwarded-For only behind known proxies.

    With ``trusted_proxies`` = N, the Nth address from the right of
    X-Forwarded-For is the client (each proxy appends the peer it saw); anything
    further left was written by the client and could be forged.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    if trusted_proxies <= 0:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
    ]
    if len(forwarded) < trusted_proxies:
        return remote
    return _valid_ip(forwarded[-trusted_proxies]) or remote


def scope_language(scope) -> str:
    """The language of a websocket's page, chosen as LocaleMiddleware chooses it
    (language cookie, then Accept-Language, then LANGUAGE_CODE)."""
    request = HttpRequest()
    request.COOKIES = dict(scope.get("cookies") or {})
    for name, value in scope.get("headers") or ():
        if name == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    return get_language_from_request(request)


def relative_seconds(value) -> float:
    """Seconds a client sent (a tab's "ago"), or 0 for anything not a finite number."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 0.0
    return seconds if math.isfinite(seconds) else 0.0
