"""The bank: overview, history, transfers, and the seeded demo data."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from bankdemo.banking import services
from bankdemo.banking.demo_data import seed
from bankdemo.banking.models import Account, Transaction, Transfer

pytestmark = pytest.mark.django_db


def test_overview_shows_both_accounts(sign_in_as, alice):
    page = sign_in_as("alice").get("/").content.decode()
    for account in alice.accounts.all():
        assert account.name in page
        assert f"£{account.balance:,.2f}" in page


def test_history_is_newest_first_and_paginated(sign_in_as, alice):
    client = sign_in_as("alice")
    account = alice.accounts.get(kind="current")
    page = client.get(f"/accounts/{account.pk}/")
    rows = list(page.context["page"])
    assert len(rows) == 25
    assert rows == sorted(rows, key=lambda tx: (tx.created_at, tx.pk), reverse=True)
    assert client.get(f"/accounts/{account.pk}/?page=2").context["page"].number == 2


@pytest.mark.parametrize("page", ["abc", "-1", "99999", "1e9", "%00"])
def test_bad_page_numbers_never_500(sign_in_as, alice, page):
    account = alice.accounts.first()
    assert (
        sign_in_as("alice").get(f"/accounts/{account.pk}/?page={page}").status_code
        == 200
    )


def test_someone_elses_account_is_a_404(sign_in_as, alice):
    account = alice.accounts.first()
    assert sign_in_as("bob").get(f"/accounts/{account.pk}/").status_code == 404
    assert sign_in_as("bob").get("/accounts/999999/").status_code == 404


def test_seed_is_idempotent_and_balances_add_up(demo):
    seed()
    assert Account.objects.count() == 4
    for account in Account.objects.all():
        rows = list(account.transactions.order_by("created_at", "pk"))
        running = Decimal("0")
        for tx in rows:
            running += tx.amount
            assert tx.balance_after == running
        assert running == account.balance
        assert len(rows) > 40 if account.kind == "current" else len(rows) >= 4


def form(alice, **overrides):
    current = alice.accounts.get(kind="current")
    savings = alice.accounts.get(kind="savings")
    data = {
        "source": current.pk,
        "target": savings.pk,
        "amount": "25.50",
        "reference": "Holiday",
        "transfer_id": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_transfer_moves_money_and_shows_the_new_balance(sign_in_as, alice):
    client = sign_in_as("alice")
    current = alice.accounts.get(kind="current")
    savings = alice.accounts.get(kind="savings")
    before = current.balance, savings.balance
    response = client.post("/transfer/", form(alice), follow=True)
    current.refresh_from_db()
    savings.refresh_from_db()
    assert (current.balance, savings.balance) == (
        before[0] - Decimal("25.50"),
        before[1] + Decimal("25.50"),
    )
    assert f"£{savings.balance:,.2f}" in response.content.decode()
    assert current.transactions.first().balance_after == current.balance


def test_double_submitted_form_moves_money_once(sign_in_as, alice):
    client = sign_in_as("alice")
    data = form(alice)
    client.post("/transfer/", data)
    client.post("/transfer/", data)
    assert Transfer.objects.count() == 1
    assert Transaction.objects.filter(transfer__isnull=False).count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "0"}, "amount", "greater than zero"),
        ({"amount": "-5"}, "amount", "greater than zero"),
        ({"amount": "1.234"}, "amount", "two decimal places"),
        ({"amount": "abc"}, "amount", "Enter an amount in pounds"),
        ({"amount": ""}, "amount", "Enter an amount"),
        ({"amount": "99999999"}, "amount", "Not enough money"),
        ({"amount": "1" * 20}, "amount", "too large"),
        ({"target": "SAME"}, "target", "different account"),
        ({"target": "999999"}, "target", "your own accounts"),
        ({"transfer_id": "nope"}, "transfer_id", "out of date"),
    ],
)
def test_bad_transfers_get_plain_field_errors_and_move_nothing(
    sign_in_as, alice, overrides, field, message
):
    if overrides.get("target") == "SAME":
        overrides["target"] = alice.accounts.get(kind="current").pk
    client = sign_in_as("alice")
    response = client.post("/transfer/", form(alice, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Transfer.objects.count() == 0


@pytest.mark.parametrize("typed", ["0.001", "-5.001", "0.0000000000001"])
def test_a_fraction_of_a_penny_is_told_only_about_the_pence(sign_in_as, alice, typed):
    response = sign_in_as("alice").post("/transfer/", form(alice, amount=typed))
    assert response.context["form"].errors["amount"] == [
        "Use at most two decimal places (pence)."
    ]
    assert f'value="{typed}"' in response.content.decode(), "what was typed is kept"


def test_transfer_to_another_customers_account_is_refused(sign_in_as, alice, bob):
    bobs = bob.accounts.first()
    response = sign_in_as("alice").post("/transfer/", form(alice, target=bobs.pk))
    assert "your own accounts" in " ".join(response.context["form"].errors["target"])
    with pytest.raises(services.TransferError):
        services.transfer(
            user=alice,
            source_id=alice.accounts.first().pk,
            target_id=bobs.pk,
            amount=Decimal("1"),
            transfer_id=uuid.uuid4(),
        )


@pytest.mark.parametrize(
    ("typed", "moved"),
    [("25", "25.00"), ("1,000", "1000.00"), ("£12.5", "12.50"), (" 7.05 ", "7.05")],
)
def test_amounts_as_people_type_them(sign_in_as, alice, typed, moved):
    from decimal import Decimal

    client = sign_in_as("alice")
    current = alice.accounts.get(kind="current")
    savings = alice.accounts.get(kind="savings")
    data = {"source": current.pk, "target": savings.pk, "amount": typed}
    page = client.get("/transfer/")
    data["transfer_id"] = page.context["form"]["transfer_id"].value()
    before = current.balance
    assert client.post("/transfer/", data).status_code == 302
    current.refresh_from_db()
    assert before - current.balance == Decimal(moved)


@pytest.mark.parametrize(
    "typed", ["1e3", "2E3", "\u0663", "0.001", "1,00", "-5", "NaN"]
)
def test_amounts_no_person_means_are_refused_and_move_nothing(sign_in_as, alice, typed):
    """Decimal took "1e3" as £1,000 and Arabic-Indic digits (found by a new user)."""
    client = sign_in_as("alice")
    current = alice.accounts.get(kind="current")
    savings = alice.accounts.get(kind="savings")
    page = client.get("/transfer/")
    data = {
        "source": current.pk,
        "target": savings.pk,
        "amount": typed,
        "transfer_id": page.context["form"]["transfer_id"].value(),
    }
    response = client.post("/transfer/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["amount"], "refused, with a reason"
    before = current.balance
    current.refresh_from_db()
    assert current.balance == before


def test_the_form_starts_from_one_account_to_another(sign_in_as, alice):
    form = sign_in_as("alice").get("/transfer/").context["form"]
    assert form["source"].value() != form["target"].value()


def test_not_even_a_superuser_can_edit_the_ledger_in_the_admin(sign_in_as, alice):
    """Money moves only through a transfer (found by a new user: the admin could
    edit balances and delete transactions)."""
    admin = sign_in_as("admin")
    account = alice.accounts.get(kind="current")
    before = account.balance
    change = f"/admin/banking/account/{account.pk}/change/"
    assert admin.post(change, {"balance": "1000000"}).status_code == 403
    transaction = account.transactions.first()
    delete = f"/admin/banking/transaction/{transaction.pk}/delete/"
    assert admin.post(delete, {"post": "yes"}).status_code == 403
    assert admin.get("/admin/banking/transfer/add/").status_code == 403
    account.refresh_from_db()
    assert account.balance == before
    assert Transaction.objects.filter(pk=transaction.pk).exists()
    assert admin.get(change).status_code == 200  # still there to look at
