"""The API's session doors (DRF): sign in, refresh, sign out, my devices, confirm.

Thin doors onto ``services.tokens``; include ``sessions_core.api_urls`` under the
host's API prefix. Every refusal is ``{"reason", "detail"}`` (``sessions_core.drf``).
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, stepup
from .confirm import password_again
from .drf import mark_api, refused
from .reasons import EndReason
from .services import end_sessions
from .services import tokens as token_service
from .services.tokens import INVALID_TOKEN, TokenRefused

try:  # drf-spectacular is optional: it only describes these views in the schema
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
    from drf_spectacular.utils import extend_schema, inline_serializer
except ImportError:  # pragma: no cover
    OpenApiAuthenticationExtension = object

    def extend_schema(**kwargs):
        return lambda view: view

    def inline_serializer(name, fields, **kwargs):
        return type(name, (serializers.Serializer,), dict(fields))


class Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class RefreshIn(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class PasswordIn(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


Pair = inline_serializer(
    "TokenPair",
    {
        "access": serializers.CharField(),
        "refresh": serializers.CharField(),
        "access_expires_in": serializers.FloatField(),
        "refresh_expires_in": serializers.FloatField(),
    },
)
Refusal = inline_serializer(
    "Refusal", {"reason": serializers.CharField(), "detail": serializers.CharField()}
)


class TokenAuthScheme(OpenApiAuthenticationExtension):
    target_class = "sessions_core.drf.TokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


def save_session(request) -> None:
    """Write what a view changed in the session (step-up); if the session ended
    meanwhile, refuse with its reason."""
    if not request.session.save():
        token_service.resolve(access_token=_bearer(request), background=True)
        raise TokenRefused(INVALID_TOKEN)


def _bearer(request) -> str:
    return request.META.get("HTTP_AUTHORIZATION", "").partition(" ")[2].strip()


def wrong_password(request, *, confirming: bool) -> Response:
    """A failed password: locked (403) if that made or found a lock, else
    ``invalid_credentials`` (401 at sign-in; 403 at a confirmation, where the
    token is fine and a 401 would tell the client to drop it)."""
    if getattr(request._request, "axes_locked_out", False):
        return Response({"reason": "locked"}, status=status.HTTP_403_FORBIDDEN)
    detail = _("That username and password do not match.")
    code = status.HTTP_403_FORBIDDEN if confirming else status.HTTP_401_UNAUTHORIZED
    return Response({"reason": "invalid_credentials", "detail": detail}, status=code)


class TokenView(APIView):
    """Sign in: a new session, and its first pair of tokens."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=Credentials, responses={200: Pair, 401: Refusal, 403: Refusal}
    )
    def post(self, request):
        mark_api(request)
        form = Credentials(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(request._request, **form.validated_data)
        if user is None:
            return wrong_password(request, confirming=False)
        pair = token_service.sign_in(request=request._request, user=user)
        return Response(pair.as_dict())


class RefreshView(APIView):
    """A new pair for a refresh token, which is used up; never activity."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=RefreshIn, responses={200: Pair, 401: Refusal})
    def post(self, request):
        form = RefreshIn(data=request.data)
        if not form.is_valid():
            return refused(INVALID_TOKEN)
        pair = token_service.refresh(refresh_token=form.validated_data["refresh"])
        return Response(pair.as_dict())


class LogoutView(APIView):
    """End the session behind the access token (``logout``)."""

    @extend_schema(request=None, responses={204: None, 401: Refusal})
    def post(self, request):
        token_service.sign_out(token_session=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _device(record, current_id: int) -> dict:
    return {
        "id": record.pk,
        "device": record.device,
        "ip": record.ip,
        "signed_in_at": record.signed_in_at.isoformat(),
        "last_active_at": record.last_active_at.isoformat(),
        "current": record.pk == current_id,
    }


class DeviceOut(serializers.Serializer):
    id = serializers.IntegerField()
    device = serializers.CharField()
    ip = serializers.IPAddressField(allow_null=True)
    signed_in_at = serializers.DateTimeField()
    last_active_at = serializers.DateTimeField()
    current = serializers.BooleanField()


class SessionsView(APIView):
    """My signed-in devices, browsers and apps alike."""

    @extend_schema(responses={200: DeviceOut(many=True)})
    def get(self, request):
        current = request.auth.record_id
        rows = [
            _device(record, current)
            for record in selectors.live_records_of(request.user)
            if not selectors.record_verdict(record).expired
        ]
        return Response(rows)


class SessionView(APIView):
    """Sign out one device: this one freely, another after a recent confirmation."""

    @extend_schema(responses={204: None, 403: Refusal, 404: Refusal})
    def delete(self, request, record_id: int):
        record = next(
            (r for r in selectors.live_records_of(request.user) if r.pk == record_id),
            None,
        )
        if record is None:
            return Response(
                {"reason": "not_found", "detail": _("No such session.")}, status=404
            )
        if record.pk == request.auth.record_id:
            token_service.sign_out(token_session=request.auth)
            return Response(status=status.HTTP_204_NO_CONTENT)
        if not stepup.is_fresh(request):
            # Reversed in the namespace these URLs were included under, whatever it is.
            namespace = request.resolver_match.namespace
            return step_up_required(request, reverse(f"{namespace}:confirm"))
        end_sessions(records=[record], reason=EndReason.REMOTE_LOGOUT)
        return Response(status=status.HTTP_204_NO_CONTENT)


def step_up_required(request, url: str, detail: str = "") -> Response:
    body = {
        "reason": "step_up_required",
        "confirm": request.build_absolute_uri(url),
        "detail": detail or _("Confirm it's you: send your password to this URL."),
    }
    return Response(body, status=status.HTTP_403_FORBIDDEN)


def confirm_password(request) -> Response | None:
    """Check ``{"password"}`` against the signed-in user (a wrong one counts
    toward the lockout); None if right, else the answer."""
    form = PasswordIn(data=request.data)
    form.is_valid(raise_exception=True)
    if not password_again(request._request, form.validated_data["password"]):
        return wrong_password(request, confirming=True)
    return None


class ConfirmView(APIView):
    """Confirm it's you: opens the step-up window (signing out other devices)."""

    @extend_schema(request=PasswordIn, responses={204: None, 403: Refusal})
    def post(self, request):
        refusal = confirm_password(request)
        if refusal is not None:
            return refusal
        stepup.record_confirmation(request)
        save_session(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
