"""Helpers for the API tests: sign in, call with a bearer token, read a refusal."""

from __future__ import annotations

import json

from django.test import Client

from tests.integration.conftest import PASSWORDS


def post(client: Client, path: str, body=None, token: str | None = None, **extra):
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(
        path, json.dumps(body or {}), content_type="application/json", **extra
    )


def get(client: Client, path: str, token: str | None = None, **extra):
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get(path, **extra)


def sign_in(username: str = "alice", client: Client | None = None, **extra) -> dict:
    """Sign in on the API; return the pair (and the client, under "client")."""
    client = client or Client()
    body = {"username": username, "password": PASSWORDS[username]}
    response = post(client, "/api/token/", body, **extra)
    assert response.status_code == 200, response.content[:500]
    return {**response.json(), "client": client}


def refresh(client: Client, token: str):
    return post(client, "/api/token/refresh/", {"refresh": token})


def assert_refused(response, reason: str) -> None:
    """A 401 that says why, with the Bearer challenge."""
    assert response.status_code == 401, (response.status_code, response.content[:300])
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    body = response.json()
    assert body["reason"] == reason, body
    assert body["detail"]
