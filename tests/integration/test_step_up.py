"""Step-up, "confirm it's you": large transfers, other devices, the password."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.test import Client

from bankdemo.banking.models import Account, Transfer
from sessions_core.models import SessionEvent, SessionRecord
from tests.integration.conftest import confirm_it_is_me
from tests.integration.test_lifetime import assert_ended

pytestmark = pytest.mark.django_db
PASSWORD = "demo-alice-2026"


@pytest.fixture
def accounts(alice):
    """Alice's current and savings accounts, with room for a large transfer."""
    current = alice.accounts.get(kind="current")
    savings = alice.accounts.get(kind="savings")
    Account.objects.filter(pk=current.pk).update(balance=Decimal("5000.00"))
    Account.objects.filter(pk=savings.pk).update(balance=Decimal("100.00"))
    return current, savings


def balances(accounts) -> list[Decimal]:
    return [Account.objects.get(pk=account.pk).balance for account in accounts]


def large(accounts, amount="1500.00", **overrides):
    current, savings = accounts
    data = {
        "source": current.pk,
        "target": savings.pk,
        "amount": amount,
        "reference": "Rent",
        "transfer_id": str(uuid.uuid4()),
    }
    return {**data, **overrides}


def held_id_of(response) -> str:
    assert response.status_code == 302, response.content[:300]
    query = parse_qs(urlsplit(response["Location"]).query)
    assert urlsplit(response["Location"]).path == "/confirm/"
    return query["pending"][0]


def confirm(
    client: Client, *, held_id: str = "", next_url: str = "/", password=PASSWORD
):
    data = {"password": password, "next": next_url}
    if held_id:
        data["pending"] = held_id
    return client.post("/confirm/", data)


def test_a_large_transfer_posted_directly_moves_nothing(sign_in_as, accounts):
    client = sign_in_as("alice")
    before = balances(accounts)
    response = client.post("/transfer/", large(accounts))
    held_id = held_id_of(response)
    assert f"pending%3D{held_id}" in response["Location"]  # back here, afterwards
    # A forged "confirmed" flag, or a made-up pending id, moves nothing either.
    forged = client.post("/transfer/", large(accounts, confirmed="1", pending="x"))
    assert forged.status_code == 200
    assert "nothing was done" in forged.content.decode()
    assert client.get("/transfer/?pending=" + held_id).status_code == 302  # confirm
    assert balances(accounts) == before
    assert not Transfer.objects.exists()


def test_a_confirmed_transfer_moves_exactly_once(engine, sign_in_as, accounts, alice):
    client = sign_in_as("alice")
    before = balances(accounts)
    response = client.post("/transfer/", large(accounts))
    held_id = held_id_of(response)
    page = client.get(response["Location"]).content.decode()
    assert (
        "Confirm a transfer of £1,500.00 from Everyday Current to Rainy Day Saver"
        in page
    )
    next_url = f"/transfer/?pending={held_id}"
    confirmed = confirm(client, held_id=held_id, next_url=next_url)
    assert confirmed.status_code == 302 and confirmed["Location"] == next_url
    done = client.get(next_url)
    assert done.status_code == 302 and done["Location"] == "/"
    assert "Moved £1,500.00" in client.get("/").content.decode()
    assert balances(accounts) == [before[0] - 1500, before[1] + 1500]

    # Replayed: the same return link, the same confirmation posted again.
    again = client.get(next_url)
    assert again.status_code == 400
    assert "already used" in again.content.decode()
    assert confirm(client, held_id=held_id, next_url=next_url).status_code == 400
    assert client.get(next_url).status_code == 400
    assert balances(accounts) == [before[0] - 1500, before[1] + 1500]
    assert Transfer.objects.count() == 1

    event = SessionEvent.objects.get(kind=SessionEvent.Kind.CONFIRM)
    assert event.user == alice and event.ip == "127.0.0.1"
    assert event.record == SessionRecord.objects.live().get(user=alice)
    assert "£1,500.00" in event.detail


def test_the_same_form_sent_twice_moves_money_once(sign_in_as, accounts):
    client = sign_in_as("alice")
    before = balances(accounts)
    form = large(accounts)
    for _ in range(2):  # a double POST: each is held, each confirmed
        held_id = held_id_of(client.post("/transfer/", form))
        next_url = f"/transfer/?pending={held_id}"
        confirm(client, held_id=held_id, next_url=next_url)
        assert client.get(next_url).status_code == 302
    assert balances(accounts) == [before[0] - 1500, before[1] + 1500]
    assert Transfer.objects.count() == 1


def test_changing_the_amount_after_confirming_is_refused(sign_in_as, accounts):
    client = sign_in_as("alice")
    before = balances(accounts)
    form = large(accounts)
    held_id = held_id_of(client.post("/transfer/", form))
    confirm(client, held_id=held_id, next_url=f"/transfer/?pending={held_id}")
    for change in ({"amount": "1600.00"}, {"target": accounts[0].pk}):
        changed = client.post(f"/transfer/?pending={held_id}", {**form, **change})
        assert changed.status_code == 200
    changed = client.post("/transfer/", {**form, "amount": "1600", "pending": held_id})
    page = changed.content.decode()
    assert "nothing was done" in page
    # The confirmation was used up by the changed form: it cannot serve again.
    assert client.get(f"/transfer/?pending={held_id}").status_code == 400
    assert balances(accounts) == before and not Transfer.objects.exists()


def test_a_held_transfer_posted_with_its_id_before_confirming_moves_nothing(
    sign_in_as, accounts
):
    client = sign_in_as("alice")
    before = balances(accounts)
    form = large(accounts)
    held_id = held_id_of(client.post("/transfer/", form))
    early = client.post("/transfer/", {**form, "pending": held_id})
    assert early.status_code == 200
    assert "nothing was done yet" in early.content.decode()
    assert balances(accounts) == before and not Transfer.objects.exists()
    # Still waiting: confirming it now, and coming back, makes it once.
    confirm(client, held_id=held_id)
    assert client.get(f"/transfer/?pending={held_id}").status_code == 302
    assert Transfer.objects.count() == 1


def test_a_confirmed_transfer_posted_as_confirmed_goes_ahead(sign_in_as, accounts):
    client = sign_in_as("alice")
    form = large(accounts)
    held_id = held_id_of(client.post("/transfer/", form))
    confirm(client, held_id=held_id)
    response = client.post("/transfer/", {**form, "pending": held_id})
    assert response.status_code == 302 and Transfer.objects.count() == 1


def test_at_the_amount_itself_no_confirmation_is_needed(sign_in_as, accounts):
    client = sign_in_as("alice")
    response = client.post("/transfer/", large(accounts, amount="1000.00"))
    assert response.status_code == 302 and response["Location"] == "/"
    assert Transfer.objects.count() == 1


@pytest.mark.parametrize(
    "held_id",
    ["forged", "x" * 500, "../../admin", "%00", "é", "AAAAAAAAAAAAAAAAAAAAAA"],
)
def test_tampered_pending_ids_are_refused_clearly(sign_in_as, accounts, held_id):
    client = sign_in_as("alice")
    held_id_of(client.post("/transfer/", large(accounts)))  # a real one, elsewhere
    refused = client.get("/transfer/", {"pending": held_id})
    assert refused.status_code == 400
    assert "nothing was done" in refused.content.decode()
    page = client.get("/confirm/", {"pending": held_id})
    assert page.status_code == 400 and b'data-step-up-error="gone"' in page.content
    assert confirm(client, held_id=held_id).status_code == 400
    assert not SessionEvent.objects.filter(kind=SessionEvent.Kind.CONFIRM).exists()
    assert not Transfer.objects.exists()


def test_another_sessions_pending_transfer_is_refused(sign_in_as, accounts, alice):
    mine, other = sign_in_as("alice"), sign_in_as("alice")
    held_id = held_id_of(mine.post("/transfer/", large(accounts)))
    next_url = f"/transfer/?pending={held_id}"
    assert confirm(other, held_id=held_id, next_url=next_url).status_code == 400
    assert other.get(next_url).status_code == 400
    confirm(mine, held_id=held_id, next_url=next_url)
    assert other.get(next_url).status_code == 400  # confirmed, but not there
    assert sign_in_as("bob").get(next_url).status_code == 400
    assert not Transfer.objects.exists()
    assert mine.get(next_url).status_code == 302  # where it was held and confirmed
    assert Transfer.objects.count() == 1


def test_a_held_transfer_expires_with_the_window(sign_in_as, accounts, clock):
    client = sign_in_as("alice")
    stale = held_id_of(client.post("/transfer/", large(accounts)))
    clock.advance(300)
    assert client.get("/confirm/", {"pending": stale}).status_code == 400
    held_id = held_id_of(client.post("/transfer/", large(accounts)))
    clock.advance(200)
    confirm(client, held_id=held_id)
    clock.advance(300)  # confirmed, but not used within the window
    assert client.get(f"/transfer/?pending={held_id}").status_code == 400
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
    ],
)
def test_confirm_never_sends_anyone_to_another_site(sign_in_as, next_url):
    client = sign_in_as("alice")
    page = client.get("/confirm/", {"next": next_url})
    assert page.status_code == 200 and b"evil" not in page.content
    response = confirm(client, next_url=next_url)
    assert response.status_code == 302 and response["Location"] == "/"


def test_missing_fields_are_told_not_a_500(sign_in_as, accounts):
    client = sign_in_as("alice")
    response = client.post("/confirm/", {})
    assert response.status_code == 200
    assert "Enter your password." in response.content.decode()
    assert client.post("/transfer/?pending=whatever", {}).status_code == 200
    assert client.get("/confirm/", {"pending": ""}).status_code == 200
    assert Client().get("/confirm/").status_code == 302  # signed out: sign in first


def test_ten_wrong_confirmations_lock_the_account_like_sign_ins(sign_in_as, alice):
    client = sign_in_as("alice")
    sent = []

    def receiver(sender, credentials, request, **kwargs):
        sent.append((credentials, request))

    user_login_failed.connect(receiver)
    try:
        for _ in range(9):
            wrong = confirm(client, password="wrong")
            assert wrong.status_code == 200
            assert b'data-step-up-error="invalid"' in wrong.content
        locked = confirm(client, password="wrong")
    finally:
        user_login_failed.disconnect(receiver)
    assert locked.status_code == 403
    assert b'data-login-error="locked"' in locked.content
    assert len(sent) == 10
    credentials, request = sent[0]
    assert credentials["username"] == "alice" and credentials["purpose"] == "confirm"
    assert "wrong" not in credentials.values() and request is not None
    # Locked as a failed sign-in locks: the right password does not get in either.
    signing_in = Client().post("/login/", {"username": "alice", "password": PASSWORD})
    assert signing_in.status_code == 403
    assert b'data-login-error="locked"' in signing_in.content
    # This session goes on, but confirms nothing while the lock lasts.
    assert confirm(client).status_code == 403
    assert client.get("/").status_code == 200
    assert not SessionEvent.objects.filter(kind=SessionEvent.Kind.CONFIRM).exists()


def test_signing_out_other_devices_needs_a_fresh_confirmation(
    engine, sign_in_as, alice
):
    here, there = sign_in_as("alice"), sign_in_as("alice")
    there_record = SessionRecord.objects.live().order_by("-pk").first()
    # Signing in is not a confirmation: the sign-out is held, and nothing ends.
    held = held_id_of(here.post(f"/sessions/{there_record.pk}/end/"))
    assert there.get("/").status_code == 200
    assert here.get(f"/sessions/?pending={held}")["Location"].startswith("/confirm/")
    assert there.get("/").status_code == 200
    # Confirmed: back on the list, it went ahead, once (found by a new user: it
    # used to need a second click after confirming).
    back = confirm(here, held_id=held, next_url=f"/sessions/?pending={held}")
    assert back["Location"] == f"/sessions/?pending={held}"
    assert here.get(back["Location"])["Location"] == "/sessions/"
    assert_ended(there, "remote_logout")
    replay = here.get(f"/sessions/?pending={held}", follow=True)
    assert "nothing was done" in replay.content.decode()
    # All the others at once, the same way.
    third = sign_in_as("alice")
    held = held_id_of(here.post("/sessions/end-others/"))
    assert third.get("/").status_code == 200
    confirm(here, held_id=held, next_url=f"/sessions/?pending={held}")
    assert here.get(f"/sessions/?pending={held}")["Location"] == "/sessions/"
    assert_ended(third, "remote_logout")
    assert here.get("/").status_code == 200


def test_a_held_sign_out_names_only_the_persons_own_devices(sign_in_as, bob):
    """Another customer's session id held for sign-out is refused before holding."""
    here = sign_in_as("alice")
    sign_in_as("bob")
    bobs = SessionRecord.objects.live().get(user=bob)
    assert here.post(f"/sessions/{bobs.pk}/end/").status_code == 404


def test_signing_out_this_device_needs_no_confirmation(sign_in_as):
    client = sign_in_as("alice")
    record = SessionRecord.objects.live().get()
    assert client.post(f"/sessions/{record.pk}/end/")["Location"] == "/login/"


def test_changing_the_password_needs_a_fresh_confirmation(sign_in_as, alice):
    client = sign_in_as("alice")
    new = "a-new-long-passphrase-77"
    change = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    assert client.get("/password/")["Location"] == "/confirm/?next=%2Fpassword%2F"
    refused = client.post("/password/", change)
    assert refused["Location"] == "/confirm/?next=%2Fpassword%2F"
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)

    assert confirm(client, next_url="/password/")["Location"] == "/password/"
    assert client.get("/password/").status_code == 200
    assert client.post("/password/", change).status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)


def test_a_confirmation_older_than_the_window_is_refused(engine, sign_in_as, clock):
    client = sign_in_as("alice")
    confirm(client)
    clock.advance(299)
    assert client.get("/password/").status_code == 200
    clock.advance(1)  # 300 s: the window ends at its deadline exactly
    assert client.get("/password/")["Location"].startswith("/confirm/")


def test_a_confirmation_does_not_outlive_its_session(sign_in_as, demo):
    client = sign_in_as("alice")
    confirm(client)
    client.post("/logout/")
    again = Client()
    again.cookies = client.cookies
    again.post("/login/", {"username": "alice", "password": PASSWORD})
    assert again.get("/password/")["Location"].startswith("/confirm/")


def test_the_confirm_page_names_no_whole_session_key(sign_in_as):
    client = sign_in_as("alice")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    page = client.get("/confirm/").content.decode()
    assert key not in page and re.search(r'name="password"', page)


def test_ten_wrong_current_passwords_on_the_password_change_lock_too(sign_in_as):
    client = confirm_it_is_me(sign_in_as("alice"))
    new = "a-new-long-passphrase-77"
    change = {"old_password": "wrong", "new_password1": new, "new_password2": new}
    for _ in range(9):
        assert client.post("/password/", change).status_code == 200
    locked = client.post("/password/", change)
    assert locked.status_code == 403
    assert b'data-login-error="locked"' in locked.content
    signing_in = Client().post("/login/", {"username": "alice", "password": PASSWORD})
    assert b'data-login-error="locked"' in signing_in.content


def test_signing_in_again_in_the_same_browser_voids_the_confirmation(sign_in_as, demo):
    """Django keeps a session's data when the same user signs in again (the admin's
    sign-in page): the confirmation belonged to the session before, not this one."""
    client = sign_in_as("admin")
    confirm_it_is_me(client, "admin")
    assert client.get("/password/").status_code == 200
    again = client.post(
        "/admin/login/", {"username": "admin", "password": "demo-admin-2026"}
    )
    assert again.status_code == 302
    assert client.get("/password/")["Location"].startswith("/confirm/")


def test_a_balance_that_fell_after_confirming_moves_nothing_and_says_so(
    sign_in_as, accounts
):
    client = sign_in_as("alice")
    held_id = held_id_of(client.post("/transfer/", large(accounts)))
    confirm(client, held_id=held_id)
    Account.objects.filter(pk=accounts[0].pk).update(balance=Decimal("1200.00"))
    response = client.get(f"/transfer/?pending={held_id}")
    assert response.status_code == 200
    assert "Not enough money in Everyday Current" in response.content.decode()
    assert 'value="1500.00"' in response.content.decode()  # what was typed, kept
    assert not Transfer.objects.exists()


def test_confirming_one_transfer_opens_no_window_for_other_actions(
    sign_in_as, accounts
):
    """The page says a transfer's confirmation confirms that one action only: the
    password change and signing out other devices still ask (found in review)."""
    client = sign_in_as("alice")
    held_id = held_id_of(client.post("/transfer/", large(accounts)))
    confirm(client, held_id=held_id, next_url="/transfer/?pending=" + held_id)
    asked = client.get("/password/")
    assert asked.status_code == 302
    assert urlsplit(asked["Location"]).path == "/confirm/"
