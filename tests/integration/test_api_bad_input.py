"""Bad input on the API: every refusal says why, nothing is ever a 500, and a store
outage is a 503, never a 401."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from bankdemo.banking.models import Account, Transfer
from sessions_core.models import SessionRecord
from tests.integration.api import assert_refused, get, post, sign_in

pytestmark = pytest.mark.django_db
ACCOUNTS = "/api/accounts/"


def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic YWxpY2U6eA==",
        "Bearer not-a-token",
        "Bearer " + "x" * 10_000,
        "Bearer a b c",
        "bearer \u00e9\u00e9",
        "Token abc",
    ],
)
def test_malformed_and_unknown_tokens_are_invalid_token(engine, demo, header):
    response = client().get(ACCOUNTS, HTTP_AUTHORIZATION=header)
    assert_refused(response, "invalid_token")


def test_no_token_is_a_401_that_says_why(engine, demo):
    assert_refused(client().get(ACCOUNTS), "invalid_token")


def test_a_forged_token_one_character_off_is_invalid(engine, demo):
    pair = sign_in()
    forged = pair["access"][:-1] + ("A" if pair["access"][-1] != "A" else "B")
    assert_refused(get(client(), ACCOUNTS, forged), "invalid_token")
    assert get(client(), ACCOUNTS, pair["access"]).status_code == 200


def test_a_refresh_token_is_not_an_access_token(engine, demo):
    pair = sign_in()
    assert_refused(get(client(), ACCOUNTS, pair["refresh"]), "invalid_token")


def test_a_session_cookie_is_no_api_credential(engine, demo, sign_in_as):
    browser = sign_in_as("alice")
    assert_refused(browser.get(ACCOUNTS), "invalid_token")


def test_foreign_ids_are_not_found(engine, demo):
    pair = sign_in()
    bobs = Account.objects.filter(owner__username="bob").first()
    response = get(client(), f"/api/accounts/{bobs.pk}/transactions/", pair["access"])
    assert response.status_code == 404
    assert response.json()["reason"] == "not_found"
    mine = Account.objects.filter(owner__username="alice").first()
    body = {"source": bobs.pk, "target": mine.pk, "amount": "5.00"}
    response = post(client(), "/api/transfers/", body, pair["access"])
    assert response.status_code == 400
    assert Transfer.objects.count() == 0


def test_history_is_paginated_and_bad_pages_are_404(engine, demo):
    pair = sign_in()
    mine = Account.objects.filter(owner__username="alice").first()
    url = f"/api/accounts/{mine.pk}/transactions/"
    body = get(client(), url, pair["access"]).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) == min(25, body["count"])
    for page in ["0", "abc", "99999999999999999999", "-1"]:
        response = get(client(), f"{url}?page={page}", pair["access"])
        assert response.status_code == 404, page


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        "[]",
        '"a string"',
        "null",
        "12",
        '{"source": "x", "target": [], "amount": {}}',
        '{"source": 1, "target": 2, "amount": "1e400"}',
        '{"source": 1, "target": 2, "amount": "NaN"}',
        '{"source": 1, "target": 2, "amount": "-5"}',
        '{"source": 99999999999999999999999, "target": 2, "amount": "5"}',
        '{"source": 1, "target": 2, "amount": "5", "transfer_id": "nope"}',
        '{"source": 1, "target": 2, "amount": "5", "reference": "' + "r" * 500 + '"}',
    ],
)
def test_bad_transfer_bodies_are_400_never_500(engine, demo, raw):
    pair = sign_in()
    response = client().post(
        "/api/transfers/",
        raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pair['access']}",
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["reason"]
    assert Transfer.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    ["{", "[]", "null", '{"username": 1, "password": []}', '{"username": "alice"}'],
)
def test_bad_sign_in_bodies_are_400(engine, demo, raw):
    response = client().post("/api/token/", raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["reason"]


def test_wrong_credentials(engine, demo):
    for body in [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": "wrong"},
    ]:
        response = post(client(), "/api/token/", body)
        assert response.status_code == 401
        assert response.json()["reason"] == "invalid_credentials"
    assert not SessionRecord.objects.exists()


def test_a_form_post_or_other_content_type_is_refused_cleanly(engine, demo):
    response = client().post("/api/token/", {"username": "alice", "password": "x"})
    assert response.status_code == 415
    assert response.json()["reason"] == "unsupported_media_type"


def test_refusals_are_in_the_requests_language(engine, demo):
    """The detail is gettext's, in the language LocaleMiddleware chose (the
    translations themselves are the catalogues' business)."""
    from django.utils import translation

    from sessions_core.drf import refusal_detail

    response = client().get(ACCOUNTS, HTTP_ACCEPT_LANGUAGE="de")
    with translation.override("de"):
        expected = refusal_detail("invalid_token")
    assert response.json() == {"reason": "invalid_token", "detail": expected}
    assert response["Content-Language"] == "de"


def test_the_schema_is_served(engine, db):
    response = client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ["/api/token/", "/api/token/refresh/", "/api/transfers/"]:
        assert path in text


def test_json_in_an_error_is_json(engine, demo):
    response = client().get(ACCOUNTS, HTTP_AUTHORIZATION="Bearer x")
    assert json.loads(response.content)["reason"] == "invalid_token"
