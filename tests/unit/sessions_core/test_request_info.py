from __future__ import annotations

import pytest
from django.test import RequestFactory

from sessions_core.request_info import client_ip, describe_browser

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
FIREFOX_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:132.0) Gecko/20100101 "
    "Firefox/132.0"
)


@pytest.mark.parametrize(
    ("agent", "words"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (FIREFOX_MAC, "Firefox on macOS"),
        ("curl/8.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_describe_browser(agent, words):
    assert describe_browser(agent) == words


def request_from(remote="10.0.0.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_forwarded_header_is_ignored():
    assert client_ip(request_from(forwarded="1.2.3.4"), 0) == "10.0.0.9"


def test_one_trusted_proxy_takes_the_rightmost_address():
    request = request_from(forwarded="6.6.6.6, 203.0.113.7")
    assert client_ip(request, 1) == "203.0.113.7"


def test_two_trusted_proxies_take_the_second_from_the_right():
    request = request_from(forwarded="6.6.6.6, 203.0.113.7, 10.1.1.1")
    assert client_ip(request, 2) == "203.0.113.7"


@pytest.mark.parametrize("forwarded", ["not-an-ip", "", "1.2.3.4; drop table"])
def test_garbage_forwarded_falls_back_to_the_peer(forwarded):
    assert client_ip(request_from(forwarded=forwarded), 1) == "10.0.0.9"
