"""The warning's two kinds, their words and buttons, and the keyboard in each state."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from sessions_core.models import SessionRecord
from tests.browser.conftest import sign_in
from tests.browser.test_live_warnings import WARN_SOON, dialog, one_tab

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

# A page load 3 s in moves the idle deadline (13 s) past the absolute one (12 s):
# the absolute warning comes at 7 s.
ABSOLUTE_FIRST = {
    "SESSIONS_CORE_IDLE_TIMEOUT": 10,
    "SESSIONS_CORE_STAFF_IDLE_TIMEOUT": 10,
    "SESSIONS_CORE_WARNING_LEAD": 5,
    "SESSIONS_CORE_ABSOLUTE_TIMEOUT": 12,
}


def sleep_until(moment: float) -> None:
    time.sleep(max(moment - time.time(), 0))


def absolute_warning(page, server, path="/"):
    sign_in(page, server)
    signed_in = SessionRecord.objects.get().signed_in_at.timestamp()
    sleep_until(signed_in + 3)
    page.goto(server.url + path)
    expect(dialog(page)).to_be_visible(timeout=8000)
    return signed_in


def test_the_absolute_warning_says_when_and_offers_no_stay(serve, context, demo):
    server = serve(**ABSOLUTE_FIRST)
    page = context.new_page()
    signed_in = absolute_warning(page, server)
    box = dialog(page)
    expect(box.get_by_role("heading")).to_have_text("This session ends soon")
    expect(box).to_contain_text("For your security, this session ends at")
    expect(box).to_contain_text(" seconds)")
    shown = box.locator("[data-session-ends-at]").inner_text()
    ends = page.evaluate(
        "s => new Date(s * 1000).toLocaleTimeString(document.documentElement.lang, "
        "{hour: '2-digit', minute: '2-digit'})",
        signed_in + 12,
    )
    assert shown == ends
    expect(box.get_by_role("button", name="Stay signed in")).to_be_hidden()
    # Focus on the safe choice: Enter must not sign anyone out.
    expect(box.get_by_role("button", name="OK")).to_be_focused()
    box.get_by_role("button", name="OK").click()
    expect(box).to_be_hidden()
    page.wait_for_timeout(2000)
    expect(box).to_be_hidden()  # dismissed: it does not come back before the end
    page.wait_for_url("**/login/?next=*", timeout=8000)
    expect(page.locator('[data-session-end-reason="absolute"]')).to_be_visible()


def test_sign_in_again_now_comes_back_to_the_page_with_the_draft(serve, context, demo):
    server = serve(**ABSOLUTE_FIRST)
    page = context.new_page()
    absolute_warning(page, server, path="/transfer/")
    page.get_by_label("Reference").fill("rent for May")
    dialog(page).get_by_role("button", name="Sign in again now").click()
    page.wait_for_url("**/login/?next=%2Ftransfer%2F", timeout=5000)
    expect(page.locator('[data-session-end-reason="logout"]')).to_be_visible()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("demo-alice-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/transfer/")
    expect(page.get_by_label("Reference")).to_have_value("rent for May")
    assert SessionRecord.objects.live().count() == 1


def test_escape_and_tab_still_work_after_a_click_on_the_backdrop(serve, context, demo):
    server = serve(**WARN_SOON)
    page = one_tab(context, server)
    page.get_by_role("link", name="Transfer").focus()
    expect(dialog(page)).to_be_visible(timeout=5000)
    expect(dialog(page).get_by_role("button", name="Stay signed in")).to_be_focused()
    page.mouse.click(5, 5)  # the backdrop, outside the dialog's box
    expect(dialog(page)).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") in (
        "Stay signed in",
        "Sign out",
    )
    page.mouse.click(5, 5)
    page.keyboard.press("Escape")  # = Stay signed in
    expect(dialog(page)).to_be_hidden(timeout=1000)
    # Focus is back where it was, and the session goes on.
    expect(page.get_by_role("link", name="Transfer")).to_be_focused()
    page.wait_for_timeout(1500)
    assert "/login/" not in page.url


def test_an_operator_in_the_admin_is_warned_and_leaves_with_the_reason(
    serve, context, demo
):
    """Staff have the shortest idle limit: the admin's pages warn and leave too
    (found by a new user: they stayed put after the end)."""
    server = serve(**WARN_SOON)
    page = context.new_page()
    sign_in(page, server, username="operator", path="/login/?next=/admin/")
    assert "/admin/" in page.url
    expect(dialog(page)).to_be_visible(timeout=5000)
    expect(dialog(page).get_by_role("button", name="Stay signed in")).to_be_focused()
    page.wait_for_url("**/login/?next=*", timeout=8000)
    expect(page.locator('[data-session-end-reason="idle"]')).to_be_visible()
