"""Two daphne processes behind one real Redis behave as one server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_live_warnings import WARN_SOON, dialog

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.timeout(90)]


@pytest.fixture
def redis_stack(redis_url):
    return {
        "CACHES": {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": "bankdemo-test",
            }
        },
        "SESSION_ENGINE": "sessions_core.backends.redis",
        "CHANNEL_LAYERS": {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [{"address": redis_url, "socket_timeout": None}],
                    "prefix": "bankdemo-test",
                },
            }
        },
    }


def test_extend_in_a_tab_on_one_process_reaches_a_tab_on_the_other(
    serve, context, demo, redis_stack
):
    server_a = serve(**WARN_SOON, **redis_stack)
    server_b = serve(**WARN_SOON, **redis_stack)
    assert server_a.url != server_b.url
    on_a = context.new_page()
    sign_in(on_a, server_a)
    on_b = context.new_page()
    on_b.goto(server_b.url + "/")  # the same cookie: 127.0.0.1 on another port
    expect(on_b.get_by_role("heading", name="Your accounts")).to_be_visible()
    for page in (on_a, on_b):
        # Each tab holds a live socket to its own process (not status polling).
        page.wait_for_selector("body[data-session-connection=open]", state="attached")
        expect(dialog(page)).to_be_visible(timeout=5000)
    dialog(on_a).get_by_role("button", name="Stay signed in").click()
    expect(dialog(on_b)).to_be_hidden(timeout=1000)


def test_sign_out_on_one_process_sends_the_tab_on_the_other_away(
    serve, context, demo, redis_stack
):
    server_a = serve(**redis_stack)
    server_b = serve(**redis_stack)
    on_a = context.new_page()
    sign_in(on_a, server_a)
    on_b = context.new_page()
    on_b.goto(server_b.url + "/")
    on_b.wait_for_selector("body[data-session-connection=open]", state="attached")
    on_a.get_by_role("button", name="Sign out").click()
    on_b.wait_for_url("**/login/?next=*", timeout=2000)
    expect(on_b.locator('[data-session-end-reason="logout"]')).to_be_visible()
