"""The bank's JSON API (/api/): accounts, history, transfers with step-up.

Thin doors onto the same services, selectors and form as the web pages; the
tokens, their checks and the session doors are sessions_core's (``sessions_core.drf``,
``sessions_core.api_views``).
"""

from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_core import stepup
from sessions_core.api_views import (
    PasswordIn,
    Refusal,
    confirm_password,
    save_session,
    step_up_required,
)

from . import services
from .forms import TransferForm
from .models import Account
from .selectors import accounts_of, transactions_of
from .views import HISTORY_PAGE_SIZE, TRANSFER


class AccountOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    balance = serializers.CharField()


TransferIn = inline_serializer(
    "TransferIn",
    {
        "source": serializers.IntegerField(),
        "target": serializers.IntegerField(),
        "amount": serializers.CharField(),
        "reference": serializers.CharField(required=False),
        "transfer_id": serializers.UUIDField(required=False),
    },
)


class TransactionOut(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    description = serializers.CharField()
    counterparty = serializers.CharField()
    created_at = serializers.DateTimeField()
    balance_after = serializers.DecimalField(max_digits=12, decimal_places=2)


class HistoryPages(PageNumberPagination):
    page_size = HISTORY_PAGE_SIZE


def invalid(errors) -> Response:
    detail = _("Some of what was sent is not valid.")
    body = {"reason": "invalid", "detail": detail, "errors": errors}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class AccountsView(APIView):
    @extend_schema(responses={200: AccountOut(many=True)})
    def get(self, request):
        accounts = accounts_of(request.user)
        return Response(
            [
                {"id": a.pk, "name": a.name, "balance": f"{a.balance:.2f}"}
                for a in accounts
            ]
        )


class TransactionsView(APIView):
    @extend_schema(responses={200: TransactionOut(many=True), 404: Refusal})
    def get(self, request, account_id: int):
        # Someone else's account is simply not found, as on the web.
        account = get_object_or_404(Account, pk=account_id, owner=request.user)
        pages = HistoryPages()
        page = pages.paginate_queryset(transactions_of(account), request, view=self)
        return pages.get_paginated_response(TransactionOut(page, many=True).data)


def _transfer_out(move) -> dict:
    return {
        "id": str(move.pk),
        "source": move.source_id,
        "target": move.target_id,
        "amount": f"{move.amount:.2f}",
        "reference": move.reference,
    }


def _move(request, form: TransferForm, binding) -> Response:
    try:
        move = services.transfer_bound(user=request.user, binding=binding)
    except services.TransferError as exc:
        return invalid({"__all__": [str(exc)]})
    return Response(_transfer_out(move), status=status.HTTP_201_CREATED)


class TransfersView(APIView):
    """Move money between two of your accounts, as the web form; above the
    step-up amount, only once that one transfer is confirmed."""

    @extend_schema(
        request=TransferIn, responses={201: None, 400: Refusal, 403: Refusal}
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        # No transfer_id: a new one. With one, a retried call moves money once.
        data = {**data, "transfer_id": data.get("transfer_id") or str(uuid.uuid4())}
        form = TransferForm(data, user=request.user)
        if not form.is_valid():
            return invalid(form.errors)
        binding = form.binding()
        if not services.needs_step_up(amount=form.cleaned_data["amount"]):
            return _move(request, form, binding)
        summary = form.summary()
        held_id = stepup.hold(
            request, purpose=TRANSFER, binding=binding, summary=summary
        )
        save_session(request)
        url = reverse("api:transfer_confirm", args=[held_id])
        return step_up_required(
            request,
            url,
            _("Confirm %(summary)s with your password.") % {"summary": summary},
        )


class TransferConfirmView(APIView):
    """``{"password"}``: confirms the one held transfer and makes it, once."""

    @extend_schema(
        request=PasswordIn, responses={201: None, 403: Refusal, 404: Refusal}
    )
    def post(self, request, held_id: str):
        entry = stepup.held(request, held_id)
        if entry is None or entry.purpose != TRANSFER:
            detail = _("This transfer has expired or was already made. Nothing moved.")
            return Response({"reason": "not_found", "detail": detail}, status=404)
        refusal = confirm_password(request)
        if refusal is not None:
            return refusal  # the transfer stays held: the right password may follow
        stepup.record_confirmation(request, held_id=held_id)
        binding = stepup.consume(request, held_id=held_id, purpose=TRANSFER)
        save_session(request)  # used up before any money moves
        form = TransferForm(binding, user=request.user)
        if not form.is_valid():  # say, the balance fell since: nothing moved
            return invalid(form.errors)
        return _move(request, form, binding)
