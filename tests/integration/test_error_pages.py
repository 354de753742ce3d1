"""Bad input never gives a 500 or a bare Django page (issue "an end is final", 8)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.template import loader
from django.test import Client
from django.urls import path
from django.utils.html import escape

import bankdemo.urls
from bankdemo.banking import services
from bankdemo.banking.models import Transaction, Transfer
from tests.integration.test_banking import form

pytestmark = pytest.mark.django_db


def balances(user) -> list[Decimal]:
    return list(user.accounts.order_by("pk").values_list("balance", flat=True))


def hidden_transfer_id(page: str) -> str:
    match = re.search(r'name="transfer_id" value="([^"]+)"', page)
    assert match, "the form has no transfer_id"
    return match.group(1)


# --- Transfers ---------------------------------------------------------------------


@pytest.fixture
def bobs_transfer(bob):
    accounts = list(bob.accounts.order_by("pk"))
    return services.transfer(
        user=bob,
        source_id=accounts[0].pk,
        target_id=accounts[1].pk,
        amount=Decimal("7.77"),
        transfer_id=uuid.uuid4(),
        reference="Bobs secret rent",
    )


def test_another_customers_transfer_id_is_a_form_error_that_keeps_the_input(
    sign_in_as, alice, bob, bobs_transfer
):
    client = sign_in_as("alice")
    before_alice, before_bob = balances(alice), balances(bob)
    data = form(alice, transfer_id=str(bobs_transfer.pk))

    response = client.post("/transfer/", data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "already been used" in " ".join(response.context["form"].non_field_errors())
    assert re.search(r'role="alert"><p>This form had already been used', page)
    # Nothing the user typed is lost.
    assert 'value="25.50"' in page
    assert 'value="Holiday"' in page
    assert f'<option value="{data["source"]}" selected>' in page
    assert f'<option value="{data["target"]}" selected>' in page
    # Nothing of bob's transfer shows, and no money moved anywhere.
    assert "7.77" not in page
    assert "Bobs secret rent" not in page
    assert balances(alice) == before_alice
    assert balances(bob) == before_bob
    assert Transfer.objects.count() == 1
    assert Transfer.objects.get().owner == bob
    # A fresh id: sending the form again moves the money, once.
    fresh = hidden_transfer_id(page)
    assert fresh != str(bobs_transfer.pk)
    again = dict(data, transfer_id=fresh)
    assert client.post("/transfer/", again).status_code == 302
    assert client.post("/transfer/", again).status_code == 302
    assert Transfer.objects.filter(owner=alice).count() == 1
    assert balances(alice)[0] == before_alice[0] - Decimal("25.50")


def test_the_service_refuses_another_customers_transfer_id(alice, bobs_transfer):
    current, savings = alice.accounts.order_by("pk")
    with pytest.raises(services.TransferIdUsed):
        services.transfer(
            user=alice,
            source_id=current.pk,
            target_id=savings.pk,
            amount=Decimal("1"),
            transfer_id=bobs_transfer.pk,
        )
    assert Transaction.objects.filter(transfer__isnull=False).count() == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"transfer_id": "not-a-uuid"},
        {"transfer_id": "0" * 5000},
        {"transfer_id": ""},
        {"amount": "1" * 5000},
        {"amount": "1e999999"},
        {"amount": "-1e999999"},
        {"amount": "NaN"},
        {"amount": "Infinity"},
        {"amount": "-25"},
        {"amount": "0.001"},
        {"amount": "25\x00"},
        {"reference": "x" * 5000},
        {"reference": "null\x00byte"},
        {"source": "BOB"},
        {"target": "BOB"},
        {"source": "BOB", "target": "BOB2"},
        {"source": "abc"},
        {"target": "9" * 40},
        {"source": "-1"},
        {"source": ""},
    ],
    ids=lambda overrides: repr(overrides)[:40],
)
def test_nothing_posted_to_transfer_gives_a_500(sign_in_as, alice, bob, overrides):
    bobs = list(bob.accounts.order_by("pk").values_list("pk", flat=True))
    swap = {"BOB": bobs[0], "BOB2": bobs[1]}
    overrides = {key: swap.get(value, value) for key, value in overrides.items()}
    before_alice, before_bob = balances(alice), balances(bob)

    response = sign_in_as("alice").post("/transfer/", form(alice, **overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors
    page = response.content.decode()
    for message in (m for messages in errors.values() for m in messages):
        assert str(escape(message)) in page
    assert Transfer.objects.count() == 0
    assert (balances(alice), balances(bob)) == (before_alice, before_bob)


def test_an_empty_post_to_transfer_shows_the_form(sign_in_as):
    response = sign_in_as("alice").post("/transfer/", {})
    assert response.status_code == 200
    assert Transfer.objects.count() == 0


# --- Error pages -------------------------------------------------------------------


def boom(request):
    raise RuntimeError("secret internals: do not show")


def forbidden(request):
    raise PermissionDenied("secret reason: do not show")


# This module is also the URLconf of the tests marked with it: the bank's own URLs,
# plus two that fail on purpose.
urlpatterns = [
    path("test-boom/", boom),
    path("test-forbidden/", forbidden),
    *bankdemo.urls.urlpatterns,
]
with_failing_urls = pytest.mark.urls(__name__)


def assert_styled(response, kind: str) -> str:
    page = response.content.decode()
    assert f'data-error-page="{kind}"' in page
    assert 'href="/static/banking/site.css"' in page
    assert 'class="site-header"' in page
    assert "Traceback" not in page
    assert "do not show" not in page
    return page


def test_an_unknown_address_is_the_styled_404(demo):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    page = assert_styled(response, "404")
    assert "Page not found" in page
    assert 'href="/login/" data-error-home' in page


def test_someone_elses_account_is_the_styled_404_with_a_way_home(sign_in_as, alice):
    account = alice.accounts.first()
    response = sign_in_as("bob").get(f"/accounts/{account.pk}/")
    assert response.status_code == 404
    page = assert_styled(response, "404")
    assert 'href="/" data-error-home' in page
    assert account.name not in page


@with_failing_urls
def test_a_crash_is_the_styled_500_without_a_stack_trace(sign_in_as):
    client = sign_in_as("alice", raise_request_exception=False)
    response = client.get("/test-boom/")
    assert response.status_code == 500
    page = assert_styled(response, "500")
    assert "Something went wrong on our side" in page
    assert "RuntimeError" not in page


def test_the_500_page_needs_no_context_at_all():
    # Django renders it with no request and no context: it must stand on its own.
    page = loader.get_template("500.html").render()
    assert 'data-error-page="500"' in page
    assert "{%" not in page
    assert "Standalone on purpose" not in page


@with_failing_urls
def test_permission_denied_is_the_styled_403(sign_in_as):
    response = sign_in_as("alice").get("/test-forbidden/")
    assert response.status_code == 403
    page = assert_styled(response, "403")
    assert "You can't open this page" in page
    assert 'href="/" data-error-home' in page


def test_a_bad_host_is_the_styled_400(demo):
    response = Client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    page = assert_styled(response, "400")
    assert "We couldn't read that request" in page


# --- Stale CSRF tokens: the two-tab sign-in ----------------------------------------


def csrf_token(page) -> str:
    match = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()
    )
    assert match, "the page has no CSRF token"
    return match.group(1)


ALICE = {"username": "alice", "password": "demo-alice-2026"}


def two_sign_in_tabs(next_url: str = "") -> tuple[Client, str, str]:
    """One browser, two tabs showing the sign-in page: the tokens of both forms."""
    browser = Client(enforce_csrf_checks=True)
    query = f"?next={next_url}" if next_url else ""
    first = csrf_token(browser.get("/login/" + query))
    second = csrf_token(browser.get("/login/" + query))
    return browser, first, second


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("", "/"),
        ("/transfer/", "/transfer/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/login/?next=/login/", "/"),
    ],
)
def test_second_tabs_sign_in_after_the_first_goes_on_where_it_was_heading(
    demo, next_url, lands_on
):
    browser, first, second = two_sign_in_tabs(next_url)
    form = dict(ALICE, next=next_url)
    signed_in = browser.post("/login/", dict(form, csrfmiddlewaretoken=first))
    assert signed_in.status_code == 302

    response = browser.post("/login/", dict(form, csrfmiddlewaretoken=second))

    assert response.status_code == 302
    assert response["Location"] == lands_on
    page = browser.get(lands_on)
    assert page.status_code == 200
    assert "You are already signed in as Alice." in page.content.decode()


def test_second_tabs_sign_in_after_the_first_signed_in_and_out_is_the_styled_403(
    demo,
):
    browser, first, second = two_sign_in_tabs()
    browser.post("/login/", dict(ALICE, csrfmiddlewaretoken=first))
    overview = browser.get("/")
    browser.post("/logout/", {"csrfmiddlewaretoken": csrf_token(overview)})

    response = browser.post(
        "/login/",
        dict(ALICE, csrfmiddlewaretoken=second),
        HTTP_REFERER="http://testserver/login/",
    )

    assert response.status_code == 403
    page = assert_styled(response, "403-csrf")
    assert "This form has expired" in page
    assert 'href="/login/" data-back-link' in page
    assert "CSRF" not in page
    assert "_auth_user_id" not in browser.session


def test_a_stale_transfer_form_is_the_styled_403_and_moves_nothing(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.post(
        "/login/", dict(ALICE, csrfmiddlewaretoken=csrf_token(browser.get("/login/")))
    )
    stale = csrf_token(browser.get("/transfer/"))
    # Another tab signs out and in again: each rotates the token.
    browser.post("/logout/", {"csrfmiddlewaretoken": stale})
    browser.post(
        "/login/", dict(ALICE, csrfmiddlewaretoken=csrf_token(browser.get("/login/")))
    )
    before = balances(alice)

    response = browser.post(
        "/transfer/",
        dict(form(alice), csrfmiddlewaretoken=stale),
        HTTP_REFERER="http://testserver/transfer/",
    )

    assert response.status_code == 403
    assert 'href="/transfer/" data-back-link' in assert_styled(response, "403-csrf")
    assert balances(alice) == before
    assert Transfer.objects.count() == 0


@pytest.mark.parametrize(
    "referer", ["", "https://evil.example/transfer/", "not a url", "http://testserver"]
)
def test_the_expired_form_page_links_home_unless_the_referer_is_this_site(
    demo, referer
):
    browser = Client(enforce_csrf_checks=True)
    browser.get("/login/")
    response = browser.post(
        "/login/", dict(ALICE, csrfmiddlewaretoken="x" * 64), HTTP_REFERER=referer
    )
    assert response.status_code == 403
    assert 'href="/" data-back-link' in assert_styled(response, "403-csrf")
