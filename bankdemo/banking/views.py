from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from . import services
from .forms import TransferForm
from .models import Account
from .selectors import accounts_of, transactions_of

HISTORY_PAGE_SIZE = 25


@login_required
def overview(request):
    return render(
        request, "banking/overview.html", {"accounts": accounts_of(request.user)}
    )


@login_required
def history(request, account_id: int):
    # Someone else's account is simply not found: a 404, never a hint it exists.
    account = get_object_or_404(Account, pk=account_id, owner=request.user)
    page = Paginator(transactions_of(account), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "banking/history.html", {"account": account, "page": page})


@login_required
def transfer(request):
    form = TransferForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            move = services.transfer(
                user=request.user,
                source_id=data["source"].pk,
                target_id=data["target"].pk,
                amount=data["amount"],
                transfer_id=data["transfer_id"],
                reference=data["reference"],
            )
        except services.TransferIdUsed as exc:
            # Keep what was typed; a new id lets the same form be sent again.
            form.add_error(None, str(exc))
            form.renew_transfer_id()
        except services.TransferError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Moved £{move.amount:,.2f} "
                f"from {move.source.name} to {move.target.name}.",
            )
            return redirect("banking:overview")
    return render(request, "banking/transfer.html", {"form": form})
