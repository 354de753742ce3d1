from __future__ import annotations

from django.db.models import QuerySet

from .models import Account, Transaction


def accounts_of(user) -> QuerySet[Account]:
    return Account.objects.filter(owner=user)


def transactions_of(account: Account) -> QuerySet[Transaction]:
    return account.transactions.all()
