"""A large transfer in a real browser: asked to confirm, confirmed, done as typed."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from bankdemo.banking.models import Account, Transfer
from tests.browser.conftest import PASSWORDS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


def test_a_large_transfer_is_confirmed_then_done_as_typed(serve, context, demo):
    alice = demo["alice"]
    current = alice.accounts.get(kind="current")
    savings = alice.accounts.get(kind="savings")
    Account.objects.filter(pk=current.pk).update(balance=Decimal("5000.00"))
    saved_before = Account.objects.get(pk=savings.pk).balance
    server = serve()
    page = context.new_page()
    sign_in(page, server)

    page.get_by_role("link", name="Transfer").click()
    page.get_by_label("From").select_option(label=str(current))
    page.get_by_label("To").select_option(label=str(savings))
    page.get_by_label("Amount (£)").fill("1500")
    page.get_by_label("Reference (optional)").fill("Deposit for the flat")
    page.get_by_role("button", name="Move money").click()

    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    expect(page.locator("[data-step-up-summary]")).to_have_text(
        "Confirm a transfer of £1,500.00 from Everyday Current to Rainy Day Saver."
    )
    assert not Transfer.objects.exists()  # nothing moves before confirmation
    back = parse_qs(urlsplit(page.url).query)["next"][0]
    assert back.startswith("/transfer/?pending=")
    expect(page.get_by_label("Password")).to_be_focused()
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator('[data-step-up-error="invalid"]')).to_be_visible()
    assert not Transfer.objects.exists()
    page.get_by_label("Password").fill(PASSWORDS["alice"])
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Moved £1,500.00 from Everyday Current to Rainy Day Saver."
    )
    move = Transfer.objects.get()
    assert (move.amount, move.source_id, move.target_id, move.reference) == (
        Decimal("1500.00"),
        current.pk,
        savings.pk,
        "Deposit for the flat",
    )
    assert Account.objects.get(pk=savings.pk).balance == saved_before + 1500
    assert Account.objects.get(pk=current.pk).balance == Decimal("3500.00")
    # The way back from the confirm page, opened again, moves nothing again.
    page.goto(server.url + back)
    expect(page.locator("[data-step-up-refused]")).to_contain_text("already used")
    assert Transfer.objects.count() == 1
