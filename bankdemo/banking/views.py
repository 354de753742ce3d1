from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from sessions_core import stepup

from . import services
from .forms import TransferForm
from .models import Account
from .selectors import accounts_of, transactions_of

HISTORY_PAGE_SIZE = 25
# What a confirmation of a transfer is for (sessions_core.stepup's purpose).
TRANSFER = "transfer"


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
    """Move money; above the step-up amount, only once that transfer is confirmed.

    A large transfer is held (sessions_core.stepup) and the person is sent to
    confirm it, then back here with ``?pending=<id>``, where the held transfer,
    exactly as confirmed, goes ahead once. A form posted with a ``pending`` id
    goes ahead only if it is the transfer confirmed under that id.
    """
    held_id = request.POST.get("pending") or request.GET.get("pending")
    if request.method != "POST" and held_id:
        return _confirmed_transfer(request, held_id)
    form = TransferForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        binding = form.binding()
        if held_id:
            try:
                stepup.consume(
                    request, held_id=held_id, purpose=TRANSFER, binding=binding
                )
            except stepup.StepUpRefused as exc:
                form.add_error(None, str(exc))
                return render(request, "banking/transfer.html", {"form": form})
        elif services.needs_step_up(amount=form.cleaned_data["amount"]):
            held_id = stepup.hold(
                request, purpose=TRANSFER, binding=binding, summary=form.summary()
            )
            return _to_confirm(held_id)
        response = _move(request, form, binding)
        if response is not None:
            return response
    return render(request, "banking/transfer.html", {"form": form})


def _to_confirm(held_id: str):
    back = f"{reverse('banking:transfer')}?pending={held_id}"
    return redirect(stepup.confirm_url(next_url=back, held_id=held_id))


def _confirmed_transfer(request, held_id: str):
    """Back from the confirm page: the held transfer goes ahead, once."""
    entry = stepup.held(request, held_id)
    if entry is not None and entry.purpose == TRANSFER and not entry.confirmed:
        return _to_confirm(held_id)  # not confirmed yet: ask (again)
    try:
        binding = stepup.consume(request, held_id=held_id, purpose=TRANSFER)
    except stepup.StepUpRefused as exc:
        context = {"form": TransferForm(user=request.user), "refusal": str(exc)}
        return render(request, "banking/transfer.html", context, status=400)
    # The form again, from what was confirmed: errors show on what was typed.
    form = TransferForm(binding, user=request.user)
    if not form.is_valid():  # say, the balance fell since: nothing moved
        return render(request, "banking/transfer.html", {"form": form})
    response = _move(request, form, binding)
    return response or render(request, "banking/transfer.html", {"form": form})


def _move(request, form: TransferForm, binding):
    """Make the transfer; None (with the error on the form) if it cannot be made."""
    try:
        move = services.transfer_bound(user=request.user, binding=binding)
    except services.TransferIdUsed as exc:
        # Keep what was typed; a new id lets the same form be sent again.
        form.add_error(None, str(exc))
        form.renew_transfer_id()
    except services.TransferError as exc:
        form.add_error(None, str(exc))
    else:
        messages.success(
            request,
            _("Moved £%(amount)s from %(source)s to %(target)s.")
            % {
                "amount": f"{move.amount:,.2f}",
                "source": move.source.name,
                "target": move.target.name,
            },
        )
        return redirect("banking:overview")
    return None
