"""The answer while the session store is down: an outage, never a sign-out."""

from __future__ import annotations

import logging

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import get_template
from django.utils.cache import add_never_cache_headers

from . import signals

logger = logging.getLogger(__name__)

# Seconds a client should wait before trying again.
RETRY_AFTER = 5


def wants_json(request: HttpRequest) -> bool:
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def outage_response(request: HttpRequest) -> HttpResponse:
    """A 503 that keeps the cookie and says the site will be back by itself.

    Rendered without the request's user or messages: both would read the store.
    """
    logger.warning("session store unavailable: %s %s", request.method, request.path)
    signals.store_unavailable.send(sender=signals.SENDER, door="http")
    if wants_json(request):
        response = JsonResponse(
            {"error": "store_unavailable", "retry_after": RETRY_AFTER}, status=503
        )
    else:
        template = get_template("sessions_core/outage.html")
        response = HttpResponse(
            template.render(
                {"user": AnonymousUser(), "messages": [], "retry_after": RETRY_AFTER},
                request,
            ),
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER)
    add_never_cache_headers(response)
    return response
