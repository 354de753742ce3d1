"""Step-up on the API: a large transfer moves nothing without the password, and
exactly once with it; ending another device needs a recent confirmation."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from bankdemo.banking.models import Transfer
from sessions_core.models import SessionEvent, SessionRecord
from tests.integration.api import assert_refused, get, post, refresh, sign_in

pytestmark = pytest.mark.django_db
PASSWORD = "demo-alice-2026"


def accounts(pair):
    return get(pair["client"], "/api/accounts/", pair["access"]).json()


def balances(pair) -> dict:
    return {a["id"]: a["balance"] for a in accounts(pair)}


def large(pair, amount="1500.00") -> dict:
    source, target = (a["id"] for a in accounts(pair))
    return {"source": source, "target": target, "amount": amount}


def test_a_small_transfer_moves_at_once(engine, demo):
    pair = sign_in()
    body = {**large(pair, "10.00"), "reference": "lunch"}
    response = post(pair["client"], "/api/transfers/", body, pair["access"])
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "10.00"


def test_the_same_transfer_id_twice_moves_money_once(engine, demo):
    pair = sign_in()
    body = {
        **large(pair, "10.00"),
        "transfer_id": "0c8a1f52-4c55-4c4e-9a57-1d1c5d9f0c11",
    }
    for _ in range(2):
        response = post(pair["client"], "/api/transfers/", body, pair["access"])
        assert response.status_code == 201
    assert Transfer.objects.count() == 1


def test_a_large_transfer_needs_the_password_and_moves_once(engine, demo):
    pair = sign_in()
    client, token = pair["client"], pair["access"]
    before = balances(pair)
    response = post(client, "/api/transfers/", large(pair), token)
    assert response.status_code == 403
    body = response.json()
    assert body["reason"] == "step_up_required"
    assert body["confirm"].startswith("http://testserver/api/transfers/confirm/")
    assert balances(pair) == before  # nothing moved yet
    confirm = body["confirm"].removeprefix("http://testserver")
    wrong = post(client, confirm, {"password": "not-it"}, token)
    assert (wrong.status_code, wrong.json()["reason"]) == (403, "invalid_credentials")
    assert balances(pair) == before
    done = post(client, confirm, {"password": PASSWORD}, token)
    assert done.status_code == 201, done.content
    assert Transfer.objects.count() == 1
    assert balances(pair) != before
    again = post(client, confirm, {"password": PASSWORD}, token)
    assert again.status_code == 404  # used up: never twice
    assert Transfer.objects.count() == 1
    assert SessionEvent.objects.filter(kind="confirm").count() == 1


def test_a_held_transfer_is_the_sessions_own(engine, demo, sign_in_as):
    pair = sign_in()
    confirm = post(pair["client"], "/api/transfers/", large(pair), pair["access"])
    url = confirm.json()["confirm"].removeprefix("http://testserver")
    other = sign_in()  # another session of the same user
    response = post(other["client"], url, {"password": PASSWORD}, other["access"])
    assert response.status_code == 404
    assert Transfer.objects.count() == 0


def test_a_wrong_password_counts_toward_the_lockout(engine, demo):
    pair = sign_in()
    client, token = pair["client"], pair["access"]
    url = post(client, "/api/transfers/", large(pair), token).json()["confirm"]
    url = url.removeprefix("http://testserver")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = post(client, url, {"password": "wrong"}, token)
        assert response.json()["reason"] == "invalid_credentials"
    response = post(client, url, {"password": "wrong"}, token)
    assert (response.status_code, response.json()["reason"]) == (403, "locked")
    assert AccessAttempt.objects.filter(username="alice").exists()
    # Locked: even the right password does nothing until the lock lifts.
    response = post(client, url, {"password": PASSWORD}, token)
    assert (response.status_code, response.json()["reason"]) == (403, "locked")
    assert Transfer.objects.count() == 0
    assert SessionEvent.objects.filter(kind="confirm_failed").count() >= 10
    # And signing in is locked too, in the API's own words.
    locked = post(client, "/api/token/", {"username": "alice", "password": PASSWORD})
    assert (locked.status_code, locked.json()["reason"]) == (403, "locked")


def test_ending_another_device_needs_a_recent_confirmation(
    engine, clock, demo, sign_in_as
):
    browser = sign_in_as("alice")
    pair = sign_in()
    client, token = pair["client"], pair["access"]
    devices = get(client, "/api/sessions/", token).json()
    assert len(devices) == 2 and sum(d["current"] for d in devices) == 1
    other = next(d for d in devices if not d["current"])
    response = client.delete(
        f"/api/sessions/{other['id']}/", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 403
    assert response.json()["reason"] == "step_up_required"
    assert response.json()["confirm"] == "http://testserver/api/confirm/"
    assert browser.get("/").status_code == 200
    assert (
        post(client, "/api/confirm/", {"password": PASSWORD}, token).status_code == 204
    )
    response = client.delete(
        f"/api/sessions/{other['id']}/", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 204
    assert SessionRecord.objects.get(pk=other["id"]).end_reason == "remote_logout"
    assert browser.get("/").status_code == 302


def test_the_confirmation_window_closes(engine, clock, demo, sign_in_as):
    sign_in_as("alice")
    other = SessionRecord.objects.get()
    pair = sign_in()
    client, token = pair["client"], pair["access"]
    post(client, "/api/confirm/", {"password": PASSWORD}, token)
    clock.advance(250)
    token = refresh(client, pair["refresh"]).json()["access"]
    clock.advance(50)  # 300 s after confirming: the window has closed
    response = client.delete(
        f"/api/sessions/{other.pk}/", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 403
    assert SessionRecord.objects.get(pk=other.pk).is_live


def test_signing_in_is_not_a_confirmation(engine, demo, sign_in_as):
    sign_in_as("alice")
    other = SessionRecord.objects.get()
    pair = sign_in()
    response = pair["client"].delete(
        f"/api/sessions/{other.pk}/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}"
    )
    assert response.status_code == 403


def test_ending_this_device_needs_no_confirmation(engine, demo):
    pair = sign_in()
    client, token = pair["client"], pair["access"]
    me = get(client, "/api/sessions/", token).json()[0]
    response = client.delete(
        f"/api/sessions/{me['id']}/", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 204
    assert_refused(get(client, "/api/accounts/", token), "logout")


def test_another_users_session_is_not_found(engine, demo, sign_in_as):
    sign_in_as("bob")
    bobs = SessionRecord.objects.get(user__username="bob")
    pair = sign_in()
    post(pair["client"], "/api/confirm/", {"password": PASSWORD}, pair["access"])
    response = pair["client"].delete(
        f"/api/sessions/{bobs.pk}/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}"
    )
    assert response.status_code == 404
    assert SessionRecord.objects.get(pk=bobs.pk).is_live
