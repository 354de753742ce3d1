"""Money moves here, and only here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Account, Transaction, Transfer


class TransferError(Exception):
    """A transfer that must not happen; the message is for the user."""


class TransferIdUsed(TransferError):
    """The form's transfer id names someone else's transfer: nothing moved.

    Only a tampered or replayed form gets here; the message says nothing about
    the other transfer, and the form should be sent again under a new id.
    """

    def __init__(self) -> None:
        super().__init__(
            _(
                "This form had already been used, so nothing was moved. "
                "Please check the details and send it again."
            )
        )


def needs_step_up(*, amount: Decimal) -> bool:
    """Tell whether a transfer of ``amount`` needs a confirmation of its own."""
    return amount > settings.BANKING_STEP_UP_AMOUNT


def transfer_bound(*, user, binding: Mapping[str, str]) -> Transfer:
    """Make the transfer a binding describes: a form's, or a confirmed one's
    (strings, as a confirmation keeps them in the session)."""
    return transfer(
        user=user,
        source_id=int(binding["source"]),
        target_id=int(binding["target"]),
        amount=Decimal(binding["amount"]),
        transfer_id=uuid.UUID(binding["transfer_id"]),
        reference=binding["reference"],
    )


def transfer(
    *,
    user,
    source_id: int,
    target_id: int,
    amount: Decimal,
    transfer_id: uuid.UUID,
    reference: str = "",
) -> Transfer:
    """Move ``amount`` between two of ``user``'s accounts, atomically and once.

    Both rows are locked in id order, so two transfers in opposite directions
    cannot deadlock. Sending the same ``transfer_id`` again returns the first
    transfer and moves nothing; a ``transfer_id`` of another customer's transfer
    raises ``TransferIdUsed`` and moves nothing.
    """
    if source_id == target_id:
        raise TransferError(_("Choose two different accounts."))
    if amount <= 0:
        raise TransferError(_("Enter an amount greater than zero."))
    existing = _existing(transfer_id=transfer_id, user=user)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            locked = {
                account.pk: account
                for account in Account.objects.select_for_update()
                .filter(owner=user, pk__in=[source_id, target_id])
                .order_by("pk")
            }
            if len(locked) != 2:
                raise TransferError(_("Choose two of your own accounts."))
            source, target = locked[source_id], locked[target_id]
            if source.balance < amount:
                raise TransferError(
                    _("Not enough money in %(account)s: the balance is £%(balance)s.")
                    % {"account": source.name, "balance": f"{source.balance:,.2f}"}
                )
            move = Transfer.objects.create(
                id=transfer_id,
                owner=user,
                source=source,
                target=target,
                amount=amount,
                reference=reference,
            )
            now = timezone.now()
            source.balance -= amount
            target.balance += amount
            source.save(update_fields=["balance"])
            target.save(update_fields=["balance"])
            label = reference or "Transfer"
            Transaction.objects.bulk_create(
                [
                    Transaction(
                        account=source,
                        amount=-amount,
                        description=f"{label} to {target.name}",
                        counterparty=target.masked_number,
                        created_at=now,
                        balance_after=source.balance,
                        transfer=move,
                    ),
                    Transaction(
                        account=target,
                        amount=amount,
                        description=f"{label} from {source.name}",
                        counterparty=source.masked_number,
                        created_at=now,
                        balance_after=target.balance,
                        transfer=move,
                    ),
                ]
            )
            return move
    except IntegrityError:
        # The same form, sent twice at once: the other request won the insert.
        existing = _existing(transfer_id=transfer_id, user=user)
        if existing is None:
            raise
        return existing


def _existing(*, transfer_id: uuid.UUID, user) -> Transfer | None:
    """Return ``user``'s transfer with this id, None if there is none yet.

    Raise ``TransferIdUsed`` if the id belongs to another customer's transfer.
    """
    existing = Transfer.objects.filter(pk=transfer_id).first()
    if existing is not None and existing.owner_id != user.pk:
        raise TransferIdUsed
    return existing
