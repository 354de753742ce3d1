"""Live warnings in Chromium: dialog, tabs in step, leaving with the reason, drafts."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

# The dialog opens 2 s after the last activity; the session ends 6 s after it.
WARN_SOON = {
    "SESSIONS_CORE_IDLE_TIMEOUT": 6,
    "SESSIONS_CORE_STAFF_IDLE_TIMEOUT": 6,
    "SESSIONS_CORE_WARNING_LEAD": 4,
    "SESSIONS_CORE_ABSOLUTE_TIMEOUT": 300,
}


def dialog(page):
    return page.get_by_role("alertdialog")


def one_tab(context, server):
    """A new tab, signed in on ``server``."""
    page = context.new_page()
    sign_in(page, server)
    return page


def two_tabs(context, server, path="/"):
    one = one_tab(context, server)
    two = context.new_page()
    two.goto(server.url + path)
    for page in (one, two):
        page.wait_for_selector("body[data-session-connection=open]", state="attached")
    return one, two


def test_warning_then_stay_signed_in_closes_the_dialog_in_every_tab(
    serve, context, demo
):
    server = serve(**WARN_SOON)
    one, two = two_tabs(context, server)
    for page in (one, two):
        expect(dialog(page)).to_be_visible(timeout=5000)
        expect(page.locator("[data-session-countdown]")).to_have_text(
            "0:04", timeout=1500
        )
    # Focus was moved into the dialog; Tab stays inside it.
    assert one.evaluate("document.activeElement.textContent") == "Stay signed in"
    one.keyboard.press("Tab")
    assert one.evaluate("document.activeElement.textContent") == "Sign out"
    one.keyboard.press("Tab")
    assert one.evaluate("document.activeElement.textContent") == "Stay signed in"
    dialog(one).get_by_role("button", name="Stay signed in").click()
    expect(dialog(one)).to_be_hidden(timeout=1000)
    expect(dialog(two)).to_be_hidden(timeout=1000)
    assert "/login/" not in two.url


def test_escape_means_stay_signed_in(serve, context, demo):
    server = serve(**WARN_SOON)
    page = one_tab(context, server)
    expect(dialog(page)).to_be_visible(timeout=5000)
    page.keyboard.press("Escape")
    expect(dialog(page)).to_be_hidden(timeout=1000)
    expect(page.get_by_role("heading", name="Your accounts")).to_be_visible()


def test_no_input_sends_every_tab_to_sign_in_with_reason_idle(serve, context, demo):
    server = serve(**WARN_SOON)
    one, two = two_tabs(context, server, path="/transfer/")
    for page in (one, two):
        page.wait_for_url("**/login/?next=*", timeout=10_000)
        expect(page.locator('[data-session-end-reason="idle"]')).to_be_visible()
    assert "next=%2Ftransfer%2F" in two.url


def test_sign_out_in_one_tab_makes_the_other_leave_with_reason_logout(
    serve, context, demo
):
    server = serve()
    one, two = two_tabs(context, server)
    one.get_by_role("button", name="Sign out").click()
    two.wait_for_url("**/login/?next=*", timeout=2000)
    expect(two.locator('[data-session-end-reason="logout"]')).to_be_visible()


def test_offline_shows_a_notice_then_resyncs_on_reconnect(serve, context, demo):
    server = serve(**WARN_SOON)
    page = one_tab(context, server)
    page.wait_for_selector("body[data-session-connection=open]", state="attached")
    context.set_offline(True)
    expect(page.locator("#session-connection")).to_be_visible(timeout=3000)
    expect(page.locator("#session-connection")).to_have_text("Reconnecting…")
    expect(dialog(page)).to_be_visible(timeout=5000)
    # While the tab is offline, the session is extended elsewhere (Playwright's own
    # HTTP client is not affected by the tab's offline mode).
    csrf = next(
        c["value"] for c in context.cookies() if c["name"] == settings.CSRF_COOKIE_NAME
    )
    response = context.request.post(
        server.url + "/session/extend/",
        headers={"X-CSRFToken": csrf, "Referer": server.url + "/"},
    )
    assert response.ok
    context.set_offline(False)
    expect(page.locator("#session-connection")).to_be_hidden(timeout=5000)
    # Resynced from the server: the deadline moved, so the warning goes away.
    expect(dialog(page)).to_be_hidden(timeout=2000)
    assert "/login/" not in page.url


def test_sign_in_again_returns_to_the_page_with_the_draft(serve, context, demo):
    server = serve(**WARN_SOON)
    page = one_tab(context, server)
    page.goto(server.url + "/transfer/")
    page.get_by_label("Amount (£)").fill("42.50")
    page.get_by_label("Reference (optional)").fill("Birthday present")
    page.wait_for_url("**/login/?next=*", timeout=12_000)
    expect(page.locator('[data-session-end-reason="idle"]')).to_be_visible()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("demo-alice-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/transfer/")
    expect(page.get_by_label("Amount (£)")).to_have_value("42.50")
    expect(page.get_by_label("Reference (optional)")).to_have_value("Birthday present")
    # Sent: the draft is cleared.
    page.get_by_role("button", name="Move money").click()
    page.goto(server.url + "/transfer/")
    expect(page.get_by_label("Amount (£)")).to_have_value("")
