"""Accounts, their transactions, and transfers between a customer's own accounts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    class Kind(models.TextChoices):
        CURRENT = "current", _("Current account")
        SAVINGS = "savings", _("Savings account")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accounts"
    )
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    number = models.CharField(max_length=8, unique=True)
    balance = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["owner_id", "kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="account_balance_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_number})"

    @property
    def masked_number(self) -> str:
        return f"•••• {self.number[-4:]}"


class Transaction(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="transactions"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)  # signed
    description = models.CharField(max_length=120)
    counterparty = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(db_index=True)
    balance_after = models.DecimalField(max_digits=12, decimal_places=2)
    transfer = models.ForeignKey(
        "Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "-created_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.description} {self.amount}"


class Transfer(models.Model):
    """One move between two accounts. Its id comes from the form, so a form sent
    twice names the same transfer and moves money once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reference = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.amount} {self.source_id} -> {self.target_id}"
