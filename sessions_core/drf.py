"""Django REST framework glue for API tokens (optional: only hosts with DRF).

``TokenAuthentication`` judges every call's ``Authorization: Bearer`` token through
``sessions_core.services.tokens``; ``exception_handler`` gives every refusal its
reason, ``{"reason": CODE, "detail": text}``:

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["sessions_core.drf.TokenAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "EXCEPTION_HANDLER": "sessions_core.drf.exception_handler",
    }
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.response import Response

from . import decorators
from .reasons import EndReason
from .services.tokens import INVALID_TOKEN, TokenRefused, resolve
from .store import StoreUnavailable

CHALLENGE = 'Bearer error="invalid_token"'
# Seconds a client should wait before trying again after an outage.
RETRY_AFTER = 2


def mark_api(request) -> None:
    """Mark the Django request as an API call: a lockout answers it in JSON."""
    getattr(request, "_request", request).sessions_core_api = True


def refusal_detail(reason: str, *, expired: bool = False) -> str:
    """The words for a refused token, in the request's language."""
    if expired:
        return _("The access token has expired. Get a new one with the refresh token.")
    try:
        return EndReason(reason).message
    except ValueError:
        return _("This token is not valid. Sign in again.")


def refused(reason: str, *, expired: bool = False, status: int = 401) -> Response:
    response = Response(
        {"reason": reason, "detail": refusal_detail(reason, expired=expired)},
        status=status,
    )
    response["WWW-Authenticate"] = CHALLENGE
    return response


class TokenAuthentication(BaseAuthentication):
    """Bearer access tokens of sessions_core; the session's data is put on
    ``request.session`` (a ``DigestSession``), so ``stepup`` works on the API."""

    def authenticate(self, request):
        mark_api(request)
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # DRF answers NotAuthenticated: a 401 below
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRefused(INVALID_TOKEN)
        view = getattr(request, "parser_context", {}).get("view")
        background = decorators.says_background(request) or getattr(
            view, decorators.BACKGROUND_ATTR, False
        )
        token_session = resolve(access_token=token.strip(), background=background)
        request.session = token_session.session
        return token_session.user, token_session

    def authenticate_header(self, request) -> str:
        return CHALLENGE


def exception_handler(exc, context):
    """Every error as ``{"reason", "detail"}``: a refused token is a 401 with its
    reason, an outage a 503, anything DRF knows its status with its code."""
    if isinstance(exc, TokenRefused):
        return refused(exc.reason, expired=exc.expired)
    if isinstance(exc, StoreUnavailable):
        detail = _("We'll be back in a moment. Nobody was signed out.")
        response = Response({"reason": "unavailable", "detail": detail}, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return refused(INVALID_TOKEN)
    # Imported here: rest_framework.views imports this module through its settings.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Http404):  # DRF answers it as NotFound: name it so
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body = {"reason": getattr(exc, "default_code", "error")}
    if isinstance(exc, exceptions.ValidationError):
        body["detail"] = _("Some of what was sent is not valid.")
        body["errors"] = response.data
    else:
        body["detail"] = str(getattr(exc, "detail", "") or "")
    response.data = body
    return response
