"""Who may see and end what in the admin: Django's model permissions, enforced on
every page and action however the request is forged.

Each refusal is checked by what matters: the customer's session still works.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client

from sessions_core.models import KeyVersion, SessionEvent, SessionRecord
from tests.integration.test_lifetime import assert_ended

pytestmark = pytest.mark.django_db

SESSIONS = "/admin/sessions_core/sessionrecord/"
EVENTS = "/admin/sessions_core/sessionevent/"
KEYS = "/admin/sessions_core/keyversion/"
USERS = "/admin/auth/user/"


def make_staff(*codenames: str, name: str = "nobody"):
    """A staff member holding exactly these permissions."""
    user = get_user_model().objects.create_user(
        name, password="demo-nobody-2026", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def staff_with(*codenames: str, name: str = "nobody") -> Client:
    """A signed-in staff member holding exactly these permissions."""
    client = Client()
    client.force_login(make_staff(*codenames, name=name))
    return client


@pytest.fixture
def nobody(demo):
    return staff_with()


@pytest.fixture
def alice_signed_in(sign_in_as):
    client = sign_in_as("alice")
    record = SessionRecord.objects.live().get(user__username="alice")
    return client, record


def refused(response) -> bool:
    if response.status_code == 302:
        return "/login/" in response["Location"]
    return response.status_code == 403


def urls_of(record, event, alice) -> list[str]:
    return [
        SESSIONS,
        f"{SESSIONS}{record.pk}/change/",
        f"{SESSIONS}{record.pk}/history/",
        f"{SESSIONS}unusual/",
        KEYS,
        f"{KEYS}1/change/",
        f"{KEYS}rotate/",
        EVENTS,
        f"{EVENTS}{event.pk}/change/",
        f"{EVENTS}export/",
        f"{USERS}{alice.pk}/change/",
        f"{USERS}{alice.pk}/sessions/{record.pk}/sign-out/",
    ]


def test_a_staff_user_without_permissions_sees_no_session_page(
    engine, nobody, alice_signed_in, alice
):
    client, record = alice_signed_in
    event = SessionEvent.objects.first()
    for url in urls_of(record, event, alice):
        assert refused(nobody.get(url)), url
    assert nobody.get("/admin/sessions_core/").status_code == 404  # no such app
    index = nobody.get("/admin/").content.decode()
    assert "Sessions" not in index and "alice" not in index
    assert client.get("/").status_code == 200


def forged_posts(record, alice):
    """Every way of asking for an end or a rotation, as a POST."""
    pick = {"_selected_action": [record.pk]}
    yield SESSIONS, {"action": "force_sign_out", **pick}
    yield SESSIONS, {"action": "force_sign_out", "confirmed": "yes", **pick}
    yield (
        SESSIONS,
        {"action": "force_sign_out", "confirmed": "yes", "index": "0", **pick},
    )
    yield (
        SESSIONS,
        {"action": "force_sign_out", "select_across": "1", "confirmed": "yes", **pick},
    )
    yield SESSIONS, {"action": "force_sign_out_all", "confirmed": "yes", **pick}
    yield SESSIONS, {"action": "delete_selected", "post": "yes", **pick}
    yield (
        SESSIONS,
        {"action": "force_sign_out", "confirmed": "yes", "_selected_action": ["abc"]},
    )
    yield (
        SESSIONS,
        {"action": "force_sign_out", "confirmed": "yes", "_selected_action": [999999]},
    )
    yield f"{SESSIONS}{record.pk}/delete/", {"post": "yes"}
    yield f"{SESSIONS}{record.pk}/change/", {"ended_at": "2026-01-01"}
    yield (
        USERS,
        {
            "action": "force_sign_out_all",
            "confirmed": "yes",
            "_selected_action": [alice.pk],
        },
    )
    yield USERS, {"action": "unlock_sign_in", "_selected_action": [alice.pk]}
    yield f"{USERS}{alice.pk}/sessions/{record.pk}/sign-out/", {}
    yield f"{USERS}{alice.pk}/sessions/999999/sign-out/", {}
    yield f"{KEYS}rotate/", {"grace": "0"}
    yield EVENTS, {"action": "delete_selected", "post": "yes", "_selected_action": [1]}
    yield f"{EVENTS}add/", {"kind": "end", "username": "forged"}


def test_a_staff_user_without_permissions_ends_nothing_however_it_is_asked(
    engine, nobody, alice_signed_in, alice
):
    client, record = alice_signed_in
    events = SessionEvent.objects.count()
    for url, data in forged_posts(record, alice):
        assert refused(nobody.post(url, data)), (url, data)
    assert client.get("/").status_code == 200
    assert SessionRecord.objects.get(pk=record.pk).is_live
    assert KeyVersion.objects.count() == 1
    assert SessionEvent.objects.count() == events


def test_a_viewer_without_end_session_cannot_end_even_by_forging_the_confirmation(
    engine, demo, alice_signed_in, alice
):
    client, record = alice_signed_in
    viewer = staff_with("view_sessionrecord", "view_user", name="viewer")
    assert viewer.get(SESSIONS).status_code == 200
    assert b"force_sign_out" not in viewer.get(SESSIONS).content
    for url, data in forged_posts(record, alice):
        assert viewer.post(url, data).status_code in {403, 404, 405}, (url, data)
    assert client.get("/").status_code == 200


def test_the_confirmation_step_checks_end_session_itself(
    engine, demo, alice_signed_in, rf
):
    """Not only where Django lists the actions: the action asks again."""
    from django.contrib import admin

    client, record = alice_signed_in
    data = {"action": "force_sign_out", "confirmed": "yes"}
    request = rf.post(SESSIONS, {**data, "_selected_action": [record.pk]})
    request.user = make_staff("view_sessionrecord", name="viewer")
    session_admin = admin.site.get_model_admin(SessionRecord)
    with pytest.raises(PermissionDenied):
        session_admin.force_sign_out(request, SessionRecord.objects.all())
    assert client.get("/").status_code == 200


def test_the_users_admin_still_needs_djangos_own_user_permissions(
    engine, demo, alice_signed_in, alice
):
    client, _ = alice_signed_in
    ender = staff_with("end_session", name="ender")
    data = {"action": "force_sign_out_all", "confirmed": "yes"}
    response = ender.post(USERS, {**data, "_selected_action": [alice.pk]})
    assert response.status_code == 403
    assert client.get("/").status_code == 200
    both = staff_with("end_session", "view_user", name="both")
    assert both.post(USERS, {**data, "_selected_action": [alice.pk]}).status_code == 302
    assert_ended(client, "admin")


@pytest.fixture
def operator(sign_in_as):
    return sign_in_as("operator")


def test_the_operator_sees_sessions_and_the_log_but_not_the_keys(
    engine, operator, alice_signed_in
):
    _, record = alice_signed_in
    for url in (
        SESSIONS,
        f"{SESSIONS}{record.pk}/change/",
        f"{SESSIONS}unusual/",
        EVENTS,
        f"{EVENTS}export/",
    ):
        assert operator.get(url).status_code == 200, url
    for url in (KEYS, f"{KEYS}rotate/", USERS):
        assert operator.get(url).status_code == 403, url
    assert operator.post(f"{KEYS}rotate/", {"grace": "0"}).status_code == 403
    assert KeyVersion.objects.count() == 1


def test_the_operator_ends_a_session_after_confirming(
    engine, operator, alice_signed_in, demo
):
    client, record = alice_signed_in
    data = {"action": "force_sign_out", "_selected_action": [record.pk]}
    confirm = operator.post(SESSIONS, data)
    assert b"Yes, sign them out" in confirm.content
    assert client.get("/").status_code == 200
    assert operator.post(SESSIONS, {**data, "confirmed": "yes"}).status_code == 302
    assert_ended(client, "admin")
    event = SessionEvent.objects.get(kind="force")
    assert (event.username, event.by, event.reason) == (
        "alice",
        demo["operator"],
        "admin",
    )


def test_the_operator_group_is_seeded_with_exactly_its_rights(demo):
    from bankdemo.banking.demo_data import seed

    seed()  # again: idempotent
    operator = demo["operator"]
    assert operator.is_staff and not operator.is_superuser
    assert list(operator.groups.values_list("name", flat=True)) == ["Session operators"]
    assert get_user_model().objects.get(pk=operator.pk).get_all_permissions() == {
        "sessions_core.view_sessionrecord",
        "sessions_core.view_sessionevent",
        "sessions_core.end_session",
    }


def test_the_superuser_sees_everything_and_the_log_stays_read_only(
    engine, sign_in_as, alice_signed_in, alice
):
    admin = sign_in_as("admin")
    _, record = alice_signed_in
    event = SessionEvent.objects.first()
    for url in ["/admin/sessions_core/", *urls_of(record, event, alice)]:
        assert admin.get(url).status_code == 200, url
    assert admin.get(f"{EVENTS}add/").status_code == 403
    assert admin.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    page = admin.get(f"{EVENTS}{event.pk}/change/")
    assert b'name="_save"' not in page.content
    change = {"kind": "end", "username": "forged", "detail": "rewritten"}
    assert admin.post(f"{EVENTS}{event.pk}/change/", change).status_code == 403
    assert admin.post(f"{EVENTS}add/", change).status_code == 403
    event.refresh_from_db()
    assert event.username != "forged" and event.detail != "rewritten"
    forged = {
        "action": "delete_selected",
        "post": "yes",
        "_selected_action": [event.pk],
    }
    assert admin.post(EVENTS, forged).status_code == 403
    assert SessionEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "selected", [["abc"], ["1; DROP TABLE x"], [""], ["9" * 30]], ids=repr
)
def test_malformed_ids_are_refused_clearly(
    engine, sign_in_as, alice_signed_in, selected
):
    client, _ = alice_signed_in
    admin = sign_in_as("admin")
    data = {
        "action": "force_sign_out",
        "confirmed": "yes",
        "_selected_action": selected,
    }
    response = admin.post(SESSIONS, data, follow=True)
    assert response.status_code == 200
    assert client.get("/").status_code == 200


def test_a_forged_action_name_is_refused(engine, sign_in_as, alice_signed_in):
    client, record = alice_signed_in
    admin = sign_in_as("admin")
    for name in ("no_such_action", "force_sign_out_all", "delete_selected"):
        data = {"action": name, "confirmed": "yes", "_selected_action": [record.pk]}
        assert admin.post(SESSIONS, data).status_code == 403, name
    assert client.get("/").status_code == 200


def test_an_unknown_session_id_ends_nothing(engine, sign_in_as, alice_signed_in):
    client, _ = alice_signed_in
    admin = sign_in_as("admin")
    data = {
        "action": "force_sign_out",
        "confirmed": "yes",
        "_selected_action": [999999],
    }
    done = admin.post(SESSIONS, data, follow=True)
    assert b"Signed out 0 sessions." in done.content
    assert client.get("/").status_code == 200


def test_key_versions_can_be_seen_with_view_keyversion_but_rotating_needs_rotate_keys(
    demo,
):
    watcher = staff_with("view_keyversion", name="watcher")
    listing = watcher.get(KEYS)
    assert listing.status_code == 200 and b"Rotate session keys" not in listing.content
    assert watcher.get(f"{KEYS}rotate/").status_code == 403
    assert watcher.post(f"{KEYS}rotate/", {"grace": "0"}).status_code == 403
    rotator = staff_with("rotate_keys", name="rotator")
    assert b"Rotate session keys" in rotator.get(KEYS).content
    assert rotator.get(f"{KEYS}rotate/").status_code == 200
    assert KeyVersion.objects.count() == 1
