"""The check an API call goes through keeps nothing that could let an end through.

A process keeps where a token leads and, for ``SESSIONS_CORE_TOKEN_USER_TTL``, the
user's row; every call still reads the session's own store entry. So an end
written right after a successful call refuses the very next call, with its reason,
however long the row is kept: here 60 s, so the next call certainly uses the kept
row. On both engines.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions_core import rotation, services
from sessions_core.models import SessionRecord, StoredSession
from tests.integration.api import assert_refused, get, refresh, sign_in

pytestmark = pytest.mark.django_db
ACCOUNTS = "/api/accounts/"
BACKGROUND = {"HTTP_X_SESSION_BACKGROUND": "1"}  # never writes: reads only
User = get_user_model()


@pytest.fixture
def kept_row(settings):
    """The user's row kept a minute: only the store can refuse the next call."""
    settings.SESSIONS_CORE_TOKEN_USER_TTL = 60


def alice(demo):
    return User.objects.get(pk=demo["alice"].pk)


def force_sign_out(demo) -> None:
    services.force_logout(user_ids=[demo["alice"].pk], by=demo["admin"])


def change_password(demo) -> None:
    user = alice(demo)
    user.set_password("another-password-2027")
    user.save()


def deactivate(demo) -> None:
    user = alice(demo)
    user.is_active = False
    user.save()


def rotate_keys(demo) -> None:
    rotation.rotate_keys(grace=0)


ENDS = {
    "force sign-out": (force_sign_out, "admin"),
    "password change": (change_password, "password_changed"),
    "deactivation": (deactivate, "admin"),
    "key rotation": (rotate_keys, "key_rotated"),
}


def api_record() -> SessionRecord:
    return SessionRecord.objects.get(token_family__isnull=False)


@pytest.mark.parametrize("end", ENDS)
def test_the_call_right_after_an_end_is_refused_with_its_reason(
    engine, demo, kept_row, end
):
    pair = sign_in()
    client, access = pair["client"], pair["access"]
    assert get(client, ACCOUNTS, access).status_code == 200  # the row is kept now
    assert get(client, ACCOUNTS, access).status_code == 200  # and used
    do, reason = ENDS[end]
    do(demo)
    assert_refused(get(client, ACCOUNTS, access), reason)
    assert_refused(get(client, ACCOUNTS, access, **BACKGROUND), reason)
    assert_refused(refresh(client, pair["refresh"]), reason)
    assert api_record().end_reason == reason


def test_an_access_token_replaced_by_a_refresh_is_refused_on_the_next_call(
    engine, demo, kept_row
):
    pair = sign_in()
    client = pair["client"]
    assert get(client, ACCOUNTS, pair["access"]).status_code == 200
    new = refresh(client, pair["refresh"]).json()
    assert_refused(get(client, ACCOUNTS, pair["access"]), "invalid_token")
    assert get(client, ACCOUNTS, new["access"]).status_code == 200


@pytest.mark.parametrize("ttl", [0, 0.2])
def test_a_user_deactivated_without_a_save_is_refused_once_the_row_is_read_again(
    engine, demo, settings, ttl
):
    """update() skips the receivers, so nothing wrote an end: the check itself
    sees the inactive user, at once without a kept row, else within its TTL."""
    settings.SESSIONS_CORE_TOKEN_USER_TTL = ttl
    pair = sign_in()
    client = pair["client"]
    assert get(client, ACCOUNTS, pair["access"]).status_code == 200
    User.objects.filter(pk=demo["alice"].pk).update(is_active=False)
    time.sleep(ttl * 1.5)
    assert_refused(get(client, ACCOUNTS, pair["access"]), "admin")
    assert api_record().end_reason == "admin"  # recorded like the receiver's end
    assert_refused(refresh(client, pair["refresh"]), "admin")


def tables_read(client, access) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert get(client, ACCOUNTS, access, **BACKGROUND).status_code == 200
    return [query["sql"] for query in queries]


def test_every_call_reads_the_store_and_a_kept_row_spares_only_the_user(demo, settings):
    """On the database engine the reads can be counted: the session's entry on
    every call, the user's row once per TTL (0: on every call too)."""
    settings.SESSIONS_CORE_TOKEN_USER_TTL = 60
    pair = sign_in()
    client, access = pair["client"], pair["access"]
    stored, users = StoredSession._meta.db_table, User._meta.db_table
    tables_read(client, access)
    for _ in range(3):
        sql = tables_read(client, access)
        assert sum(stored in s for s in sql) == 1, sql
        assert not [s for s in sql if f'"{users}"' in s], sql
    settings.SESSIONS_CORE_TOKEN_USER_TTL = 0
    for _ in range(2):
        sql = tables_read(client, access)
        assert sum(stored in s for s in sql) == 1, sql
        assert len([s for s in sql if f'FROM "{users}"' in s]) == 1, sql
