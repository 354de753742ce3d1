"""A customer's path through the bank in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


def test_alice_signs_in_reads_history_and_moves_money(serve, context, demo):
    server = serve()
    page = context.new_page()
    sign_in(page, server)
    expect(page.get_by_role("heading", name="Your accounts")).to_be_visible()
    accounts = page.locator("li.account")
    expect(accounts).to_have_count(2)
    expect(page.get_by_role("link", name="Everyday Current")).to_be_visible()
    expect(page.get_by_role("link", name="Rainy Day Saver")).to_be_visible()
    saver_before = (
        page.locator("li.account", has_text="Rainy Day Saver")
        .locator("[data-balance]")
        .inner_text()
    )

    page.get_by_role("link", name="Everyday Current").click()
    expect(page.locator("table.history tbody tr")).to_have_count(25)
    expect(page.locator("caption")).to_contain_text("newest first")

    page.get_by_role("link", name="Transfer").click()
    alice = demo["alice"]
    page.get_by_label("From").select_option(
        label=str(alice.accounts.get(kind="current"))
    )
    page.get_by_label("To").select_option(label=str(alice.accounts.get(kind="savings")))
    page.get_by_label("Amount (£)").fill("12.34")
    page.get_by_role("button", name="Move money").click()
    expect(page.get_by_role("status")).to_contain_text("Moved £12.34")
    saver_after = (
        page.locator("li.account", has_text="Rainy Day Saver")
        .locator("[data-balance]")
        .inner_text()
    )

    def pounds(text):
        return float(text.replace("£", "").replace(",", ""))

    assert pounds(saver_after) == pytest.approx(pounds(saver_before) + 12.34)


def test_bob_gets_a_404_on_alices_account(serve, context, demo):
    server = serve()
    page = context.new_page()
    sign_in(page, server, "bob")
    account = demo["alice"].accounts.first()
    response = page.goto(f"{server.url}/accounts/{account.pk}/")
    assert response.status == 404
