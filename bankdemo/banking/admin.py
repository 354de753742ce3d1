"""The ledger in the admin: to look at, never to edit.

Money moves only through ``services.transfer`` (atomic, once per transfer id); an
admin form that changed a balance or deleted a transaction would break the books
without a trace, so every page here is read-only, for superusers too.
"""

from __future__ import annotations

from django.contrib import admin

from sessions_core.admin.common import ReadOnlyAdmin as LedgerAdmin

from .models import Account, Transaction, Transfer


@admin.register(Account)
class AccountAdmin(LedgerAdmin):
    list_display = ["name", "owner", "kind", "masked_number", "balance"]
    list_filter = ["kind"]
    search_fields = ["owner__username", "name"]


@admin.register(Transaction)
class TransactionAdmin(LedgerAdmin):
    list_display = ["created_at", "account", "description", "amount", "balance_after"]
    list_select_related = ["account"]
    search_fields = ["description", "account__owner__username"]


@admin.register(Transfer)
class TransferAdmin(LedgerAdmin):
    list_display = ["created_at", "owner", "source", "target", "amount"]
    list_select_related = ["owner", "source", "target"]
