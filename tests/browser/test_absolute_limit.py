"""The maximum session length, in a browser that drops expired cookies.

Django's test Client sends a cookie after its Expires; Chromium does not. When the
session cookie expired at the absolute deadline, the browser came back without it
and the sign-in page could not say why (this test failed on 4b03df0).
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from sessions_core.models import SessionRecord
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

# Idle 5 s, but a page load 3.5 s in moves the idle deadline past the absolute one.
ABSOLUTE_FIRST = {
    "SESSIONS_CORE_IDLE_TIMEOUT": 5,
    "SESSIONS_CORE_STAFF_IDLE_TIMEOUT": 5,
    "SESSIONS_CORE_WARNING_LEAD": 2,
    "SESSIONS_CORE_ABSOLUTE_TIMEOUT": 7,
    "SESSION_COOKIE_AGE": 7,  # as bankdemo's settings: the absolute limit
}


def sleep_until(moment: float) -> None:
    time.sleep(max(moment - time.time(), 0))


def test_coming_back_after_the_absolute_limit_says_maximum_session_length(
    serve, context, demo
):
    server = serve(**ABSOLUTE_FIRST)
    page = context.new_page()
    sign_in(page, server)
    signed_in = SessionRecord.objects.get().signed_in_at.timestamp()
    sleep_until(signed_in + 3.5)
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", name="Your accounts")).to_be_visible()
    page.close()  # no tab left open to hear of the end: the browser just comes back
    sleep_until(signed_in + 7.5)  # past the absolute limit, not the idle one
    back = context.new_page()
    back.goto(server.url + "/accounts/1/")
    assert "/login/?next=" in back.url
    notice = back.locator("[data-session-end-reason]")
    expect(notice).to_have_attribute("data-session-end-reason", "absolute")
    expect(notice).to_contain_text("Maximum session length")
