"""Refresh done right (RFC 9700 §4.14): rotation, a retry grace that survives a lost
response exactly once, reuse that ends the family, races, and what is activity."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from sessions_core.models import SessionEvent, SessionRecord, TokenFamily
from sessions_core.signals import session_ended
from tests.integration.api import assert_refused, get, refresh, sign_in

ACCOUNTS = "/api/accounts/"


def record_of(pair) -> SessionRecord:
    return TokenFamily.objects.get().record


@pytest.mark.django_db
def test_retry_within_the_grace_gets_the_same_pair_once(engine, clock, demo):
    pair = sign_in()
    client = pair["client"]
    first = refresh(client, pair["refresh"]).json()  # the response is "lost"
    clock.advance(29)
    again = refresh(client, pair["refresh"])
    assert again.status_code == 200
    assert (again.json()["access"], again.json()["refresh"]) == (
        first["access"],
        first["refresh"],
    )
    assert get(client, ACCOUNTS, first["access"]).status_code == 200
    # A second retry of the same used token is not a lost response any more.
    assert_refused(refresh(client, pair["refresh"]), "refresh_reused")
    assert_refused(get(client, ACCOUNTS, first["access"]), "refresh_reused")


@pytest.mark.django_db
def test_a_used_token_after_the_grace_is_reuse_and_ends_the_family(
    engine, clock, demo, sign_in_as
):
    browser = sign_in_as("alice")
    pair = sign_in()
    client = pair["client"]
    ends = []

    def heard(reason, **kwargs):
        ends.append(reason)

    session_ended.connect(heard)
    new = refresh(client, pair["refresh"]).json()
    clock.advance(30)  # the grace ends at 30 s exactly
    assert_refused(refresh(client, pair["refresh"]), "refresh_reused")
    # The whole family: the thief's pair and the rightful one alike.
    assert_refused(get(client, ACCOUNTS, new["access"]), "refresh_reused")
    assert_refused(refresh(client, new["refresh"]), "refresh_reused")
    record = record_of(pair)
    assert record.end_reason == "refresh_reused"
    assert SessionEvent.objects.filter(record=record, reason="refresh_reused").exists()
    assert ends == ["refresh_reused"]
    # The same user's browser session is untouched.
    assert browser.get("/").status_code == 200
    session_ended.disconnect(heard)


@pytest.mark.django_db
def test_reuse_of_an_older_token_once_the_successor_was_used(engine, clock, demo):
    pair = sign_in()
    client = pair["client"]
    second = refresh(client, pair["refresh"]).json()
    refresh(client, second["refresh"])  # the family moved on
    clock.advance(1)  # within the grace, but not the last exchange
    assert_refused(refresh(client, pair["refresh"]), "refresh_reused")


@pytest.mark.django_db
def test_retry_with_the_grace_off_is_reuse(engine, clock, demo, settings):
    settings.SESSIONS_CORE_REFRESH_GRACE = 0
    pair = sign_in()
    refresh(pair["client"], pair["refresh"])
    assert_refused(refresh(pair["client"], pair["refresh"]), "refresh_reused")


@pytest.mark.django_db
def test_unknown_and_forged_refresh_tokens_are_invalid_and_end_nothing(engine, demo):
    pair = sign_in()
    client = pair["client"]
    for token in ["nope", pair["refresh"][:-1] + "x", "x" * 5000, pair["access"]]:
        assert_refused(refresh(client, token), "invalid_token")
    for body in [{}, {"refresh": 12}, {"refresh": None}, {"refresh": ["a"]}]:
        response = client.post("/api/token/refresh/", body, "application/json")
        assert_refused(response, "invalid_token")
    assert record_of(pair).is_live


@pytest.mark.django_db
def test_a_refresh_is_not_activity(engine, clock, demo):
    pair = sign_in()
    client = pair["client"]
    for _ in range(5):
        clock.advance(110)
        pair = {**refresh(client, pair["refresh"]).json(), "client": client}
    clock.advance(50)  # 600 s after sign-in, with five refreshes on the way
    assert_refused(get(client, ACCOUNTS, pair["access"]), "idle")


@pytest.mark.django_db
def test_background_calls_do_not_move_the_idle_deadline(engine, clock, demo):
    pair = sign_in()
    client = pair["client"]
    record = record_of(pair)
    before = record.last_active_at
    clock.advance(200)
    response = get(client, ACCOUNTS, pair["access"], HTTP_X_SESSION_BACKGROUND="1")
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.last_active_at == before
    pair = {**refresh(client, pair["refresh"]).json(), "client": client}
    clock.advance(400)  # 600 s after sign-in
    assert_refused(
        get(client, ACCOUNTS, pair["access"], HTTP_X_SESSION_BACKGROUND="1"), "idle"
    )


@pytest.mark.django_db
def test_other_calls_are_activity(engine, clock, demo, settings):
    settings.SESSIONS_CORE_ACCESS_TOKEN_TTL = 900
    pair = sign_in()
    client = pair["client"]
    clock.advance(200)
    assert get(client, ACCOUNTS, pair["access"]).status_code == 200
    pair = {**refresh(client, pair["refresh"]).json(), "client": client}
    clock.advance(599)  # 799 s after sign-in, 599 s after the last call
    assert get(client, ACCOUNTS, pair["access"]).status_code == 200


@pytest.mark.django_db
def test_an_expired_access_token_of_a_live_session_says_refresh(engine, clock, demo):
    pair = sign_in()
    client = pair["client"]
    clock.advance(299)
    assert get(client, ACCOUNTS, pair["access"]).status_code == 200
    clock.advance(1)  # 300 s: its end, exactly
    response = get(client, ACCOUNTS, pair["access"])
    assert_refused(response, "invalid_token")
    assert "refresh" in response.json()["detail"]
    new = refresh(client, pair["refresh"])
    assert new.status_code == 200
    assert get(client, ACCOUNTS, new.json()["access"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_never_give_two_live_pairs(engine, demo):
    pair = sign_in()
    results: list = []
    barrier = threading.Barrier(2)

    def go():
        barrier.wait()
        try:
            results.append(refresh(Client(), pair["refresh"]))
        finally:
            connection.close()

    for _ in range(5):  # five rounds, each a fresh pair raced twice
        results.clear()
        threads = [threading.Thread(target=go) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ok = [r.json() for r in results if r.status_code == 200]
        pairs = {(body["access"], body["refresh"]) for body in ok}
        assert len(pairs) == 1, [r.content for r in results]
        assert TokenFamily.objects.get().access_digest  # one current access
        access, token = pairs.pop()
        assert get(Client(), ACCOUNTS, access).status_code == 200
        pair = {"refresh": token}
