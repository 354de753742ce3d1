"""Believable demo customers: a few months of salary, rent, groceries and cards."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from .models import Account, Transaction


@dataclass(frozen=True)
class DemoCustomer:
    username: str
    password: str
    first_name: str
    salary: Decimal
    rent: Decimal
    employer: str
    landlord: str
    current_number: str
    savings_number: str


CUSTOMERS = (
    DemoCustomer(
        "alice",
        "demo-alice-2026",
        "Alice",
        Decimal("2850.00"),
        Decimal("1150.00"),
        "Northwind Ltd",
        "Greenway Lettings",
        "40112233",
        "40119876",
    ),
    DemoCustomer(
        "bob",
        "demo-bob-2026",
        "Bob",
        Decimal("2380.00"),
        Decimal("895.00"),
        "Contoso Logistics",
        "Harbour Homes",
        "40224455",
        "40227788",
    ),
)
ADMIN = ("admin", "demo-admin-2026")
# Staff who may see sessions and the audit log and force sign-outs, but not rotate
# keys (README "Demo users"): the second role to try in /admin/.
OPERATOR = ("operator", "demo-operator-2026")
OPERATORS_GROUP = "Session operators"
OPERATOR_PERMISSIONS = ("view_sessionrecord", "view_sessionevent", "end_session")
MONTHS = 4
SHOPS = ("Fresh Market", "Corner Grocer", "Saver Foods")
CARD_SPENDS = (
    ("Coffee House", 3, 8),
    ("City Transport", 2, 12),
    ("Bookshop", 8, 25),
    ("Pharmacy", 4, 20),
    ("Streaming Plus", 10, 11),
    ("Petrol Station", 35, 60),
)


def _ensure_user(username: str, password: str, **fields):
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username, defaults=fields)
    # Only set the password when it differs: setting it ends the user's sessions.
    if not user.check_password(password):
        user.set_password(password)
        user.save()
    return user


def _statement(customer: DemoCustomer, start: datetime, rng: random.Random):
    """Yield (when, current-account amount, description, counterparty), in order."""
    events = []
    for month in range(MONTHS):
        first = start + timedelta(days=30 * month)
        events.append(
            (
                first + timedelta(days=0, hours=9),
                customer.salary,
                "Salary",
                customer.employer,
            )
        )
        events.append(
            (
                first + timedelta(days=1, hours=8),
                -customer.rent,
                "Rent",
                customer.landlord,
            )
        )
        events.append(
            (
                first + timedelta(days=2, hours=10),
                Decimal("-200.00"),
                "Transfer to savings",
                customer.savings_number[-4:],
            )
        )
        for week in range(4):
            when = first + timedelta(days=3 + 7 * week, hours=rng.randint(8, 19))
            amount = Decimal(rng.randint(3500, 9500)) / 100
            events.append((when, -amount, "Groceries", rng.choice(SHOPS)))
        for _ in range(6):
            shop, low, high = rng.choice(CARD_SPENDS)
            when = first + timedelta(days=rng.randint(2, 29), hours=rng.randint(7, 22))
            amount = Decimal(rng.randint(low * 100, high * 100)) / 100
            events.append((when, -amount, f"Card payment: {shop}", shop))
    return sorted(events, key=lambda event: event[0])


def _fill(account: Account, opening: Decimal, rows) -> None:
    balance = opening
    transactions = [
        Transaction(
            account=account,
            amount=opening,
            description="Opening balance",
            counterparty="",
            created_at=rows[0][0] - timedelta(days=1),
            balance_after=opening,
        )
    ]
    for when, amount, description, counterparty in rows:
        if balance + amount < 0:
            continue  # a declined payment never shows as a transaction
        balance += amount
        transactions.append(
            Transaction(
                account=account,
                amount=amount,
                description=description,
                counterparty=counterparty,
                created_at=when,
                balance_after=balance,
            )
        )
    Transaction.objects.bulk_create(transactions)
    account.balance = balance
    account.save(update_fields=["balance"])


def _ensure_operator() -> None:
    group, _ = Group.objects.get_or_create(name=OPERATORS_GROUP)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="sessions_core",
            codename__in=OPERATOR_PERMISSIONS,
        )
    )
    operator = _ensure_user(OPERATOR[0], OPERATOR[1], is_staff=True)
    if not operator.is_staff or operator.is_superuser:
        operator.is_staff, operator.is_superuser = True, False
        operator.save()
    operator.groups.add(group)


@transaction.atomic
def seed() -> list[str]:
    """Create the demo users and accounts that are missing; return what was made."""
    made = []
    admin_user = _ensure_user(ADMIN[0], ADMIN[1], is_staff=True, is_superuser=True)
    if not admin_user.is_superuser:
        admin_user.is_staff = admin_user.is_superuser = True
        admin_user.save()
    _ensure_operator()
    start = (timezone.now() - timedelta(days=30 * MONTHS)).replace(
        minute=0, second=0, microsecond=0
    )
    for customer in CUSTOMERS:
        user = _ensure_user(
            customer.username, customer.password, first_name=customer.first_name
        )
        if Account.objects.filter(owner=user).exists():
            continue
        rng = random.Random(customer.username)
        current = Account.objects.create(
            owner=user,
            name="Everyday Current",
            kind=Account.Kind.CURRENT,
            number=customer.current_number,
        )
        savings = Account.objects.create(
            owner=user,
            name="Rainy Day Saver",
            kind=Account.Kind.SAVINGS,
            number=customer.savings_number,
        )
        rows = _statement(customer, start, rng)
        _fill(current, Decimal("1200.00"), rows)
        savings_rows = [
            (
                when + timedelta(minutes=1),
                -amount,
                "Transfer from current",
                customer.current_number[-4:],
            )
            for when, amount, description, _ in rows
            if description == "Transfer to savings"
        ]
        _fill(savings, Decimal("3000.00"), savings_rows)
        made.append(customer.username)
    return made
