"""API tokens: sign-in, calls, refresh with rotation, grace and reuse detection."""

from __future__ import annotations

import pytest

from sessions_core.models import RefreshToken, SessionEvent, SessionRecord, TokenFamily
from tests.integration.api import assert_refused, get, post, refresh, sign_in

pytestmark = pytest.mark.django_db


def test_sign_in_returns_a_pair_and_starts_a_recorded_session(demo, engine):
    pair = sign_in("alice", HTTP_USER_AGENT="bankdemo-client/1 (test)")
    assert set(pair) == {
        "access",
        "refresh",
        "access_expires_in",
        "refresh_expires_in",
        "client",
    }
    assert pair["access_expires_in"] == 300
    assert pair["refresh_expires_in"] == 14400
    record = SessionRecord.objects.get(user=demo["alice"])
    assert record.is_live and record.device == "API client (bankdemo-client/1)"
    assert SessionEvent.objects.filter(kind="start", record=record).exists()
    # No cookie: the session key is never handed out.
    assert not pair["client"].cookies
    # Only digests are stored.
    family = TokenFamily.objects.get(record=record)
    assert pair["access"] not in family.access_digest
    assert not RefreshToken.objects.filter(digest=pair["refresh"]).exists()


def test_accounts_with_the_token(demo, engine):
    pair = sign_in()
    response = get(pair["client"], "/api/accounts/", pair["access"])
    assert response.status_code == 200
    names = {account["name"] for account in response.json()}
    assert names == {a.name for a in demo["alice"].accounts.all()}


def test_refresh_rotates_and_the_old_access_token_stops(demo, engine):
    pair = sign_in()
    client = pair["client"]
    # Used first: this process now knows where the token leads, and must still
    # learn from the store that a refresh replaced it.
    assert get(client, "/api/accounts/", pair["access"]).status_code == 200
    response = refresh(client, pair["refresh"])
    assert response.status_code == 200
    new = response.json()
    assert new["access"] != pair["access"] and new["refresh"] != pair["refresh"]
    assert get(client, "/api/accounts/", new["access"]).status_code == 200
    assert_refused(get(client, "/api/accounts/", pair["access"]), "invalid_token")


def test_logout(demo, engine):
    pair = sign_in()
    client = pair["client"]
    assert post(client, "/api/logout/", token=pair["access"]).status_code == 204
    assert_refused(get(client, "/api/accounts/", pair["access"]), "logout")
    assert_refused(refresh(client, pair["refresh"]), "logout")
