"""Idle and absolute timeouts enforced by the middleware, on db and Redis engines."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from sessions_core import store
from sessions_core.middleware import SessionLifetimeMiddleware
from sessions_core.models import SessionRecord
from sessions_core.sessiondata import LAST_ACTIVE_KEY

pytestmark = pytest.mark.django_db(transaction=False)

IDLE, ABSOLUTE = 600, 14400


def reason_on(response) -> str | None:
    match = re.search(rb'data-session-end-reason="([a-z_]+)"', response.content)
    return match.group(1).decode() if match else None


def assert_ended(client, reason, path="/"):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert reason_on(page) == reason
    # Reloading the sign-in page still says why (from the signed cookie).
    assert reason_on(client.get("/login/")) == reason
    return page


def test_idle_one_second_before_the_limit_still_works(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    clock.advance(IDLE - 1)
    assert client.get("/").status_code == 200


def test_idle_at_the_limit_ends_with_reason_idle(engine, clock, sign_in_as, alice):
    client = sign_in_as("alice")
    clock.advance(IDLE)
    assert_ended(client, "idle")
    record = SessionRecord.objects.get(user=alice)
    assert record.end_reason == "idle"
    assert (store.read(record.key_digest).data or {}) == {}


def test_next_keeps_the_page_the_user_was_on(engine, clock, sign_in_as, alice):
    client = sign_in_as("alice")
    account = alice.accounts.first()
    clock.advance(IDLE + 1)
    response = client.get(f"/accounts/{account.pk}/?page=2")
    assert response["Location"] == f"/login/?next=/accounts/{account.pk}/%3Fpage%3D2"
    response = client.post(
        response["Location"],
        {
            "username": "alice",
            "password": "demo-alice-2026",
            "next": f"/accounts/{account.pk}/?page=2",
        },
    )
    assert response["Location"] == f"/accounts/{account.pk}/?page=2"


def test_absolute_limit_holds_under_steady_activity(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    for _ in range(ABSOLUTE // (IDLE // 2) - 1):
        clock.advance(IDLE // 2)
        assert client.get("/").status_code == 200
    clock.advance(IDLE // 2)
    assert_ended(client, "absolute")


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/session/status/", {}), ("/", {"HTTP_X_SESSION_BACKGROUND": "1"})],
)
def test_background_requests_never_move_the_idle_deadline(
    engine, clock, sign_in_as, path, headers
):
    client = sign_in_as("alice")
    for _ in range(5):
        clock.advance(IDLE // 6)
        assert client.get(path, **headers).status_code == 200
    status = client.get("/session/status/").json()
    assert status["idle_expires_in"] == pytest.approx(IDLE - 5 * (IDLE // 6), abs=1)
    clock.advance(IDLE - 5 * (IDLE // 6))
    assert_ended(client, "idle")


@override_settings(ROOT_URLCONF="tests.integration.background_urls")
def test_views_marked_background_never_count_as_activity(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    clock.advance(IDLE - 10)
    assert client.get("/poll/").status_code == 200
    clock.advance(10)
    assert_ended(client, "idle", path="/transfer/")


def test_user_activity_moves_the_idle_deadline(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    clock.advance(IDLE - 10)
    assert client.get("/transfer/").status_code == 200
    clock.advance(IDLE - 10)
    assert client.get("/").status_code == 200


def test_activity_writes_are_throttled(engine, clock, sign_in_as, alice):
    client = sign_in_as("alice")
    record = SessionRecord.objects.get(user=alice)
    first = (store.read(record.key_digest).data or {})[LAST_ACTIVE_KEY]
    clock.advance(10)  # inside the 30 s window for a 600 s idle limit
    client.get("/")
    assert (store.read(record.key_digest).data or {})[LAST_ACTIVE_KEY] == first
    clock.advance(25)
    client.get("/")
    assert (store.read(record.key_digest).data or {})[LAST_ACTIVE_KEY] == pytest.approx(
        first + 35, abs=0.01
    )


def test_status_never_promises_more_than_the_server_enforces(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    clock.advance(20)
    client.get("/")  # inside the window: not written
    promised = client.get("/session/status/").json()["idle_expires_in"]
    clock.advance(promised)
    assert_ended(client, "idle")


def test_staff_get_the_stricter_idle_limit(engine, clock, sign_in_as):
    client = sign_in_as("admin")
    assert client.get("/session/status/").json()["idle_expires_in"] == 300
    clock.advance(300)
    assert_ended(client, "idle")


def test_latest_activity_wins_over_a_slow_request(engine, clock, sign_in_as, alice):
    """A request that loaded the session before a newer one must not move it back."""
    client = sign_in_as("alice")
    record = SessionRecord.objects.get(user=alice)
    clock.advance(100)
    started = clock.now()

    def slow_view(request):
        # While this request is "running", a newer request from another tab lands.
        clock.advance(50)
        assert client.get("/").status_code == 200
        request.session["draft"] = "changed by the slow view"
        return HttpResponse("ok")

    lifetime = SessionLifetimeMiddleware(slow_view)
    handler = SessionMiddleware(
        AuthenticationMiddleware(
            lambda request: _with_view(lifetime, slow_view, request)
        )
    )
    request = RequestFactory().get("/")
    request.COOKIES.update({k: v.value for k, v in client.cookies.items()})
    handler(request)
    stored = store.read(record.key_digest).data or {}
    assert stored["draft"] == "changed by the slow view"
    assert stored[LAST_ACTIVE_KEY] == pytest.approx(started + 50, abs=0.01)


def _with_view(middleware, view, request):
    # Resolve like Django's handler would, so process_view runs before the view.
    from django.urls import resolve

    request.resolver_match = resolve(request.path_info)
    response = middleware.process_view(request, view, (), {})
    if response is not None:
        return response
    response = view(request)
    middleware._finish(request, response, request.session.session_key)
    return response


def test_expired_json_request_gets_401_with_the_reason(engine, clock, sign_in_as):
    client = sign_in_as("alice")
    clock.advance(IDLE)
    response = client.get("/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json()["reason"] == "idle"
    assert response.json()["authenticated"] is False


def test_private_pages_are_never_stored(engine, sign_in_as):
    response = sign_in_as("alice").get("/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_view_that_allows_caching_is_overruled_for_a_signed_in_page(
    engine, sign_in_as
):
    """A view's own Cache-Control is merged with, not kept over, no-store."""
    client = sign_in_as("alice")
    middleware = SessionLifetimeMiddleware(lambda request: HttpResponse())

    def cacheable_view(request):
        response = HttpResponse("ok")
        response["Cache-Control"] = "public, max-age=600"
        return response

    handler = SessionMiddleware(
        AuthenticationMiddleware(
            lambda request: _with_view(middleware, cacheable_view, request)
        )
    )
    request = RequestFactory().get("/")
    request.COOKIES.update({k: v.value for k, v in client.cookies.items()})
    parts = {part.strip() for part in handler(request)["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= parts
    assert "public" not in parts
    assert "max-age=600" in parts  # merged: the view's own directive is kept


def test_footer_says_the_limits_in_words(engine, clock, sign_in_as):
    response = sign_in_as("alice").get("/")
    text = response.content.decode()
    assert "signed out after 10 minutes without activity" in text
    # In UTC from the server, shown again in the browser's own zone by the page.
    assert (
        '<time datetime="2026-11-24T13:00:00+00:00" data-local-time="time">'
        "13:00 UTC</time> at the latest"
    ) in text


def test_the_record_keeps_the_latest_activity(engine, clock, sign_in_as, alice):
    """A slow writer's older moment never moves the record's last activity back."""
    from sessions_core.services.activity import store_activity

    sign_in_as("alice")
    record = SessionRecord.objects.get(user=alice)
    latest = record.last_active_at
    store_activity(record_id=record.pk, now=latest.timestamp() - 30)
    record.refresh_from_db()
    assert record.last_active_at == latest
    store_activity(record_id=record.pk, now=latest.timestamp() + 30)
    record.refresh_from_db()
    assert record.last_active_at.timestamp() == latest.timestamp() + 30


def test_a_host_that_sets_the_user_itself_is_judged_the_same(
    engine, clock, sign_in_as, alice
):
    """The middleware reads the user behind Django's lazy ``request.user``; a host
    whose own middleware puts the user object itself there is judged alike."""
    client = sign_in_as("alice")

    def view(request):
        return HttpResponse("ok")

    def plain_user_then_view(request):
        request.user = type(alice).objects.get(pk=alice.pk)  # no lazy wrapper
        return lifetime.process_view(request, view, (), {}) or view(request)

    lifetime = SessionLifetimeMiddleware(plain_user_then_view)
    handler = SessionMiddleware(lifetime)

    def get():
        request = RequestFactory().get("/")
        request.COOKIES.update({k: v.value for k, v in client.cookies.items()})
        return request, handler(request)

    request, response = get()
    assert response.status_code == 200
    assert request.sessions_core_verdict.limits.idle == IDLE
    assert "no-store" in response["Cache-Control"]
    clock.advance(IDLE)
    request, response = get()
    assert response.status_code == 302
    assert request.sessions_core_end.reason == "idle"
    assert SessionRecord.objects.get(user=alice).end_reason == "idle"
