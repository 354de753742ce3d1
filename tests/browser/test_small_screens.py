"""Every page from 320 px: nothing scrolls sideways or is cut off; the dialog fits;
times in the person's own zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from bankdemo.banking.models import Account
from sessions_core.models import SessionRecord
from tests.browser.conftest import sign_in
from tests.browser.test_live_warnings import WARN_SOON, dialog

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

# Controls and cells whose box leaves the screen, ignoring visually hidden ones.
CUT_OFF = """() => Array.from(document.querySelectorAll(
    'button, a, input, select, textarea, td, th, caption, h1, p'))
  .filter(e => {
    const r = e.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    if (e.closest('[hidden], .skip-link')) return false;
    const head = e.closest('table.stack thead');  // hidden on phones: cells say it
    if (head && getComputedStyle(head).position === 'absolute') return false;
    return r.right > innerWidth + 0.5 || r.left < -0.5;
  })
  .map(e => e.tagName + ': ' + (e.textContent || e.name || '').trim().slice(0, 30))"""
SMALL_TARGETS = """() => Array.from(
    document.querySelectorAll('button, .nav a, .pager a'))
  .filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.height < 24 || r.width < 24);
  })
  .map(e => e.tagName + ': ' + e.textContent.trim().slice(0, 30))"""


def assert_fits(page, where: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert widths[0] <= widths[1], f"{where}: scrolls sideways {widths}"
    assert page.evaluate(CUT_OFF) == [], where
    assert page.evaluate(SMALL_TARGETS) == [], where


@pytest.mark.parametrize("width", [320, 390, 768])
def test_every_page_fits_the_screen(serve, browser, demo, width):
    server = serve()
    context = browser.new_context(viewport={"width": width, "height": 700})
    other_device = browser.new_context()
    try:
        sign_in(other_device.new_page(), server)  # a second row on /sessions/
        page = context.new_page()
        page.goto(server.url + "/login/")
        assert_fits(page, "/login/")
        page.goto(server.url + "/help/session-expired/")
        assert_fits(page, "/help/session-expired/")
        sign_in(page, server)
        account = Account.objects.filter(owner__username="alice").first()
        for path in (
            "/",
            f"/accounts/{account.pk}/",
            "/transfer/",
            "/sessions/",
            "/password/",
            "/help/session-expired/",
        ):
            page.goto(server.url + path)
            assert_fits(page, path)
    finally:
        context.close()
        other_device.close()


def test_the_dialog_fits_a_320_px_screen(serve, browser, demo):
    server = serve(**WARN_SOON)
    context = browser.new_context(viewport={"width": 320, "height": 560})
    try:
        page = context.new_page()
        sign_in(page, server, path="/login/?next=/transfer/")
        expect(dialog(page)).to_be_visible(timeout=5000)
        for name in ("Stay signed in", "Sign out"):
            button = dialog(page).get_by_role("button", name=name)
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 320, name
            assert box["y"] >= 0 and box["y"] + box["height"] <= 560, name
        assert_fits(page, "the dialog")
    finally:
        context.close()


def test_times_are_shown_in_the_browsers_time_zone(serve, browser, demo):
    server = serve()
    context = browser.new_context(timezone_id="Asia/Kolkata")  # UTC+5:30, no DST
    try:
        page = context.new_page()
        sign_in(page, server, path="/login/?next=/sessions/")
        signed_in = SessionRecord.objects.get().signed_in_at.astimezone(UTC)
        shown = page.locator("time[data-local-time]").first.inner_text()
        local = datetime.fromtimestamp(signed_in.timestamp() + 5.5 * 3600, tz=UTC)
        assert local.strftime("%H:%M:%S") in shown, shown
        assert "UTC" not in shown
        footer = page.locator("[data-session-limits] time").inner_text()
        assert "UTC" not in footer and ":" in footer, footer
    finally:
        context.close()
