from __future__ import annotations

from django.contrib import admin

from .models import Account, Transaction, Transfer


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "kind", "masked_number", "balance"]
    list_filter = ["kind"]
    search_fields = ["owner__username", "name"]


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "description", "amount", "balance_after"]
    list_select_related = ["account"]
    search_fields = ["description", "account__owner__username"]


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ["created_at", "owner", "source", "target", "amount"]
    list_select_related = ["owner", "source", "target"]
