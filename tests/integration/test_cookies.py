"""__Host- cookies with DEBUG off: set as browsers ask, and read by every door."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import Client, override_settings

from tests.integration.conftest import PASSWORDS
from tests.integration.test_consumer import receive_type, socket_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]

# What bankdemo.settings sets with DJANGO_DEBUG=0 (tests/unit/.../test_conf.py).
PRODUCTION = {
    "SESSION_COOKIE_NAME": "__Host-sessionid",
    "CSRF_COOKIE_NAME": "__Host-csrftoken",
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


def assert_host_cookie(cookie) -> None:
    """What a browser asks of a __Host- cookie: Secure, Path=/, no Domain."""
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert cookie["domain"] == ""


@override_settings(**PRODUCTION)
def test_session_and_csrf_cookies_are_host_prefixed_and_used(demo):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/", secure=True)
    csrf = page.cookies["__Host-csrftoken"]
    assert_host_cookie(csrf)
    response = client.post(
        "/login/",
        {
            "username": "alice",
            "password": PASSWORDS["alice"],
            "csrfmiddlewaretoken": page.context["csrf_token"],
        },
        secure=True,
        HTTP_REFERER="https://testserver/login/",
    )
    assert response.status_code == 302, response.content[:300]
    assert "sessionid" not in response.cookies  # only the prefixed name
    assert_host_cookie(response.cookies["__Host-sessionid"])
    assert client.get("/", secure=True).status_code == 200

    # The websocket reads the same setting: it knows the prefixed cookie.
    async def connect():
        socket = socket_for(client)
        connected, _ = await socket.connect()
        assert connected
        assert (await receive_type(socket, "state"))["type"] == "state"
        await socket.disconnect()

    async_to_sync(connect)()


@override_settings(**PRODUCTION)
def test_an_unprefixed_cookie_is_not_a_session_any_more(demo):
    signed_in = Client()
    signed_in.post(
        "/login/", {"username": "alice", "password": PASSWORDS["alice"]}, secure=True
    )
    planted = Client()
    planted.cookies["sessionid"] = signed_in.cookies["__Host-sessionid"].value
    assert planted.get("/", secure=True).status_code == 302  # to sign in
