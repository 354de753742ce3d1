"""A store outage on the API is a 503 that says so, never a 401 nor an end."""

from __future__ import annotations

import pytest
from django.test import Client

from sessions_core.models import SessionRecord
from tests.integration.api import get, refresh, sign_in
from tests.integration.test_outage import private_redis, private_sessions  # noqa: F401

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60), pytest.mark.django_db]


def test_an_outage_is_a_503_and_the_tokens_survive_it(private_sessions, demo):  # noqa: F811
    pair = sign_in()
    client = Client(raise_request_exception=False)
    private_sessions.pause()
    try:
        for response in (
            get(client, "/api/accounts/", pair["access"]),
            refresh(client, pair["refresh"]),
            client.post(
                "/api/token/",
                {"username": "alice", "password": "demo-alice-2026"},
                "application/json",
            ),
        ):
            assert response.status_code == 503, response.content[:300]
            assert response.json()["reason"] == "unavailable"
            assert int(response["Retry-After"]) > 0
    finally:
        private_sessions.resume()
    assert SessionRecord.objects.get().is_live
    assert get(client, "/api/accounts/", pair["access"]).status_code == 200
    assert refresh(client, pair["refresh"]).status_code == 200
