"""Server-side key rotation: old sessions stop at once (or after the grace) and are
purged in batches; a changed SECRET_KEY is told as key_rotated too."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from sessions_core import rotation, store, tasks
from sessions_core.models import KeyVersion, SessionRecord
from tests.conftest import switch_broker
from tests.integration.test_lifetime import assert_ended, reason_on

pytestmark = pytest.mark.django_db


def test_rotation_ends_older_sessions_at_once(engine, sign_in_as):
    alice, bob = sign_in_as("alice"), sign_in_as("bob")
    call_command("rotate_session_keys")
    assert_ended(alice, "key_rotated")
    assert_ended(bob, "key_rotated")
    fresh = sign_in_as("alice")
    assert fresh.get("/").status_code == 200
    assert SessionRecord.objects.live().get().key_version == 2


def test_grace_lets_older_sessions_work_until_it_ends(engine, clock, sign_in_as):
    alice = sign_in_as("alice")
    call_command("rotate_session_keys", grace=120)
    clock.advance(119)
    assert alice.get("/").status_code == 200
    clock.advance(1)
    assert_ended(alice, "key_rotated")


def test_negative_grace_is_refused_with_a_clear_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--grace must be 0 or more"):
        call_command("rotate_session_keys", grace=-1)


def test_purge_empties_the_store_in_batches_and_shows_progress(
    engine, sign_in_as, demo
):
    clients = [sign_in_as(name) for name in ("alice", "bob", "admin")]
    keys = [client.cookies[settings.SESSION_COOKIE_NAME].value for client in clients]
    # Eager Celery in these tests: rotation queues the purge, which runs now.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks.purge_retired_sessions, "apply_async", lambda **kw: None)
        version = rotation.rotate_keys(grace=0, by=demo["admin"])
    assert version.purge_total == 3
    # Batch after batch in one task, re-queued past its time budget (none here).
    assert tasks.purge_retired_sessions(batch_size=2) == 3
    assert all(store.load(key) == {} for key in keys)
    assert not SessionRecord.objects.live().exists()
    assert set(SessionRecord.objects.values_list("end_reason", flat=True)) == {
        "key_rotated"
    }
    listing = Client()
    listing.force_login(demo["admin"])
    page = listing.get("/admin/sessions_core/keyversion/").content.decode()
    assert "purged 3 of 3" in page
    assert tasks.purge_retired_sessions() == 0  # a second run changes nothing


@pytest.fixture
def three_retired(engine, sign_in_as, monkeypatch) -> list[dict]:
    """Three sessions of a retired key version, none purged yet; the list fills
    with the purge tasks' re-queues instead of sending them to a broker."""
    sign_in_as("alice"), sign_in_as("bob"), sign_in_as("admin")
    queued: list[dict] = []
    monkeypatch.setattr(
        tasks.purge_retired_sessions, "apply_async", lambda **kw: queued.append(kw)
    )
    rotation.rotate_keys(grace=0)
    queued.clear()
    return queued


def test_a_purge_task_queues_the_rest_once_past_its_time_budget(
    three_retired, monkeypatch
):
    queued = three_retired
    monkeypatch.setattr(tasks, "PURGE_TASK_SECONDS", 0)
    # The first pass (keys out of the store) stops after one batch of it...
    assert tasks.purge_retired_sessions.run(batch_size=2) == 0
    first_two = list(SessionRecord.objects.live().order_by("pk")[:2])
    assert queued == [{"kwargs": {"batch_size": 2, "after_id": first_two[-1].pk}}]
    # ...the next task finishes it and ends a batch of records...
    assert tasks.purge_retired_sessions.run(**queued[-1]["kwargs"]) == 2
    assert queued[-1] == {"kwargs": {"batch_size": 2, "after_id": None}}
    # ...and the last one ends the rest, skipping the first pass.
    assert tasks.purge_retired_sessions.run(**queued[-1]["kwargs"]) == 1
    assert len(queued) == 2, "the last batch was short: nothing more to queue"
    assert not SessionRecord.objects.live().exists()


def test_the_purge_empties_the_store_before_it_ends_any_record(
    engine, sign_in_as, monkeypatch
):
    # The keys are what a thief could still present: they go first, and a browser
    # that comes back between the passes is told the true reason all the same.
    clients = [sign_in_as(name) for name in ("alice", "bob", "admin")]
    keys = [client.cookies[settings.SESSION_COOKIE_NAME].value for client in clients]
    monkeypatch.setattr(tasks.purge_retired_sessions, "apply_async", lambda **kw: None)
    rotation.rotate_keys(grace=0)
    records_pass = []
    monkeypatch.setattr(
        rotation, "purge_retired", lambda **kw: records_pass.append(kw) or (0, 0)
    )
    from sessions_core import signals

    batches = []

    def batch_done(sender, task, ended, selected, **kwargs):
        batches.append((task, ended, selected))

    signals.batch_done.connect(batch_done)
    try:
        assert tasks.purge_retired_sessions.run(batch_size=2) == 0
    finally:
        signals.batch_done.disconnect(batch_done)
    assert records_pass, "the records' pass ran after the store's"
    # Told as batches for metrics: keys deleted count as selected, none ended.
    assert batches[:2] == [("purge_keys", 0, 2), ("purge_keys", 0, 1)]
    assert [store.read(store.digest_key(key)).data for key in keys] == [None] * 3
    assert SessionRecord.objects.live().count() == 3, "records not ended yet"
    assert_ended(clients[0], "key_rotated")
    monkeypatch.undo()
    assert tasks.purge_retired_sessions.run(batch_size=2) == 2
    assert not SessionRecord.objects.live().exists()
    assert set(SessionRecord.objects.values_list("end_reason", flat=True)) == {
        "key_rotated"
    }


def test_between_the_passes_a_process_with_an_old_copy_of_the_versions_says_rotated(
    engine, sign_in_as, monkeypatch
):
    # Another process trusts its copy of the key versions for KEY_VERSION_TTL; a
    # browser that reaches it after the first pass took its key, and before the
    # copy is re-read, must not be told "the store lost it" for good.
    from sessions_core import keyring

    alice = sign_in_as("alice")
    monkeypatch.setattr(tasks.purge_retired_sessions, "apply_async", lambda **kw: None)
    before = keyring.snapshot()
    rotation.rotate_keys(grace=0)
    versions = tasks._retired_versions()
    assert rotation.delete_retired_keys(versions=versions, after_id=0, limit=10) == (
        1,
        None,
    )
    with override_settings(SESSIONS_CORE_KEY_VERSION_TTL=30):
        monkeypatch.setattr(keyring, "_snapshot", before)  # as read before the rotation
        assert keyring.retired_at(1) is None, "the copy does not know of it"
        assert_ended(alice, "key_rotated")
    assert SessionRecord.objects.get(end_reason__isnull=False).end_reason == (
        "key_rotated"
    )


def test_a_copy_from_before_a_rotation_that_cut_the_grace_short_says_rotated(
    engine, sign_in_as, monkeypatch
):
    # A long grace, then an emergency rotation with none: a copy read in between
    # still has the retirement an hour away.
    from sessions_core import keyring

    alice = sign_in_as("alice")
    monkeypatch.setattr(tasks.purge_retired_sessions, "apply_async", lambda **kw: None)
    rotation.rotate_keys(grace=3600)
    in_between = keyring.snapshot()
    rotation.rotate_keys(grace=0)
    rotation.delete_retired_keys(
        versions=tasks._retired_versions(), after_id=0, limit=10
    )
    with override_settings(SESSIONS_CORE_KEY_VERSION_TTL=30):
        monkeypatch.setattr(keyring, "_snapshot", in_between)
        assert keyring.retired_at(1) > time.time() + 3000, "the copy says an hour"
        assert_ended(alice, "key_rotated")


def test_the_purge_leaves_sessions_of_the_current_version_alone(engine, sign_in_as):
    old = sign_in_as("alice")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks.purge_retired_sessions, "apply_async", lambda **kw: None)
        rotation.rotate_keys(grace=0)
    new = sign_in_as("bob")
    assert tasks.purge_retired_sessions.run(batch_size=1) == 1
    assert new.get("/").status_code == 200
    assert SessionRecord.objects.live().get().user.username == "bob"
    assert_ended(old, "key_rotated")


def test_a_purge_killed_between_its_passes_completes_on_the_next_run(
    engine, sign_in_as, monkeypatch
):
    clients = [sign_in_as("alice"), sign_in_as("bob")]
    monkeypatch.setattr(tasks.purge_retired_sessions, "apply_async", lambda **kw: None)
    rotation.rotate_keys(grace=0)

    def dying(**kwargs):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(rotation, "purge_retired", dying)
        with pytest.raises(SystemExit):
            tasks.purge_retired_sessions.run()
    keys = [client.cookies[settings.SESSION_COOKIE_NAME].value for client in clients]
    assert [store.read(store.digest_key(key)).data for key in keys] == [None, None]
    assert SessionRecord.objects.live().count() == 2
    assert tasks.purge_retired_sessions.run() == 2
    for client in clients:
        assert_ended(client, "key_rotated")


def test_a_purge_task_stops_when_a_duplicate_run_ended_its_batch_first(
    three_retired,
):
    # acks_late redelivery, or beat beside the rotation's task: two runs select the
    # same batch; the one whose UPDATE finds it ended already stops instead of
    # racing the other run batch after batch.
    queued = three_retired
    first_two = list(SessionRecord.objects.live().order_by("pk")[:2])
    raced = []

    def other_run_commits_first(execute, sql, params, many, context):
        if not raced and sql.startswith('UPDATE "sessions_core_sessionrecord"'):
            raced.append(sql)
            SessionRecord.objects.filter(pk__in=[r.pk for r in first_two]).update(
                ended_at=timezone.now(), end_reason="key_rotated"
            )
        return execute(sql, params, many, context)

    with connection.execute_wrapper(other_run_commits_first):
        assert tasks.purge_retired_sessions.run(batch_size=2) == 0
    assert raced, "the purge's UPDATE ran"
    assert queued == [], "the other run carries on: nothing queued"
    assert SessionRecord.objects.live().count() == 1, "left to the other run"
    assert tasks.purge_retired_sessions.run(batch_size=2) == 1


def test_a_purge_killed_halfway_completes_on_the_next_run(
    engine, sign_in_as, monkeypatch
):
    clients = [sign_in_as("alice"), sign_in_as("bob")]
    monkeypatch.setattr(tasks.purge_retired_sessions, "apply_async", lambda **kw: None)
    rotation.rotate_keys(grace=0)
    # The worker dies after deleting from the store, before recording the ends.
    real_atomic = transaction.atomic

    def dying(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(transaction, "atomic", dying)
    with pytest.raises(SystemExit):
        tasks.purge_retired_sessions.run()
    assert SessionRecord.objects.live().count() == 2
    monkeypatch.setattr(transaction, "atomic", real_atomic)
    assert tasks.purge_retired_sessions.run() == 2
    assert not SessionRecord.objects.live().exists()
    for client in clients:
        assert_ended(client, "key_rotated")


def test_rotation_survives_a_broker_that_is_down(
    db, sign_in_as, django_capture_on_commit_callbacks, caplog
):
    alice = sign_in_as("alice")
    switch_broker("redis://127.0.0.1:1/0", eager=False)  # nothing listens on port 1
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            rotation.rotate_keys(grace=0)
        assert len(callbacks) == 1
        assert "could not queue the purge" in caplog.text
    finally:
        switch_broker("memory://", eager=True)
    # Nothing was purged, but the old session is refused at its next request.
    assert_ended(alice, "key_rotated")
    assert tasks.purge_retired_sessions() == 0  # the request already ended it


def test_a_restart_signs_no_one_out(engine, sign_in_as):
    from sessions_core import keyring

    alice = sign_in_as("alice")
    keyring.invalidate()  # a new process starts with nothing in memory
    again = Client()
    again.cookies[settings.SESSION_COOKIE_NAME] = alice.cookies[
        settings.SESSION_COOKIE_NAME
    ].value
    assert again.get("/").status_code == 200


def test_admin_rotation_asks_for_a_grace_and_needs_rotate_keys(
    engine, demo, sign_in_as
):
    alice = sign_in_as("alice")
    staff = demo["bob"]
    staff.is_staff = True
    staff.save()
    staff_client = Client()
    staff_client.force_login(staff)
    url = "/admin/sessions_core/keyversion/rotate/"
    assert staff_client.post(url, {"grace": "0"}).status_code == 403
    admin = sign_in_as("admin")
    old_key = admin.cookies["sessionid"].value
    page = admin.get(url).content.decode()
    assert "Grace (seconds)" in page
    assert "Every signed-in session ends: 3 sessions now, yours included." in page
    assert (
        admin.post(url, {"grace": "-5"}).status_code == 200
    )  # form error, no rotation
    assert KeyVersion.objects.count() == 1
    done = admin.post(url, {"grace": "0"}, follow=True)
    assert KeyVersion.objects.count() == 2
    assert_ended(alice, "key_rotated")
    # The rotating admin lands on the key versions, told what happened, still
    # signed in: with a new session of the new version, not the old one carried.
    assert done.redirect_chain == [("/admin/sessions_core/keyversion/", 302)]
    text = done.content.decode()
    assert "Rotated session keys to v2: 3 sessions ended." in text
    assert "you are signed in again, with a new session" in text
    assert "purged 1 of 3" in text  # the admin's own; alice has not come back yet
    assert admin.cookies["sessionid"].value != old_key
    mine = SessionRecord.objects.live().get(user=demo["admin"])
    assert mine.key_version == 2
    old = SessionRecord.objects.get(key_digest=store.digest_key(old_key))
    assert old.end_reason == "key_rotated"
    listing = admin.get("/admin/sessions_core/keyversion/")
    assert "purged 2 of 3" in listing.content.decode()  # bob has not come back yet
    stale = Client()
    stale.cookies["sessionid"] = old_key
    assert_ended(stale, "key_rotated", path="/admin/sessions_core/keyversion/")


def test_admin_rotation_with_a_grace_says_when_they_end(engine, demo, sign_in_as):
    alice = sign_in_as("alice")
    admin = sign_in_as("admin")
    url = "/admin/sessions_core/keyversion/rotate/"
    done = admin.post(url, {"grace": "120"}, follow=True)
    assert "Rotated session keys to v2: 2 sessions end in 120 seconds." in (
        done.content.decode()
    )
    assert alice.get("/").status_code == 200  # within the grace
    assert admin.get("/admin/").status_code == 200


@pytest.mark.parametrize("first", ["purge", "another_tab"])
def test_the_rotating_admin_stays_signed_in_whoever_ended_their_session_first(
    engine, demo, sign_in_as, monkeypatch, first
):
    """Between the rotation's commit and the renewal, a Celery worker's purge or
    the admin's own other tab may end the old session: the renewal still works."""
    from sessions_core import services
    from sessions_core.reasons import EndReason

    admin = sign_in_as("admin")
    old_key = admin.cookies["sessionid"].value
    real_rotate = rotation.rotate_keys

    def rotate_then_race(**kwargs):
        version = real_rotate(**kwargs)
        if first == "purge":
            tasks.purge_retired_sessions.run()
        else:
            services.end_sessions(
                records=SessionRecord.objects.live(), reason=EndReason.KEY_ROTATED
            )
        return version

    monkeypatch.setattr(rotation, "rotate_keys", rotate_then_race)
    done = admin.post("/admin/sessions_core/keyversion/rotate/", {"grace": "0"})
    assert done.status_code == 302
    assert admin.cookies["sessionid"].value != old_key
    assert admin.get("/admin/sessions_core/keyversion/").status_code == 200
    assert SessionRecord.objects.live().get().key_version == 2
    old = SessionRecord.objects.get(key_digest=store.digest_key(old_key))
    assert old.end_reason == "key_rotated"


@pytest.fixture
def new_secret_key(settings):
    def _change(*, keep_old: bool):
        old = settings.SECRET_KEY
        settings.SECRET_KEY = "a-brand-new-secret-key-" + "z" * 40
        settings.SECRET_KEY_FALLBACKS = [old] if keep_old else []

    return _change


def test_changed_secret_key_with_the_old_one_in_fallbacks_keeps_sessions(
    engine, sign_in_as, new_secret_key
):
    alice = sign_in_as("alice")
    new_secret_key(keep_old=True)
    assert alice.get("/").status_code == 200


def test_changed_secret_key_without_fallback_is_told_as_key_rotated(
    engine, sign_in_as, new_secret_key
):
    alice = sign_in_as("alice")
    new_secret_key(keep_old=False)
    assert_ended(alice, "key_rotated")


def test_sweep_finds_and_purges_sessions_a_new_secret_key_cannot_read(
    engine, clock, sign_in_as, new_secret_key
):
    alice, bob = sign_in_as("alice"), sign_in_as("bob")
    keys = [
        alice.cookies[settings.SESSION_COOKIE_NAME].value,
        bob.cookies[settings.SESSION_COOKIE_NAME].value,
    ]
    new_secret_key(keep_old=False)
    assert tasks.sweep_expired_sessions() == 0  # maybe mid-request: not yet
    clock.advance(61)
    assert tasks.sweep_expired_sessions() == 2
    assert set(SessionRecord.objects.values_list("end_reason", flat=True)) == {
        "key_rotated"
    }
    new_secret_key(keep_old=True)  # even readable again, they are gone
    assert all(store.load(key) == {} for key in keys)


def test_purge_sends_one_bulk_signal_per_batch_naming_its_records(
    engine, sign_in_as, monkeypatch
):
    from sessions_core.signals import session_ended, sessions_ended

    sign_in_as("alice"), sign_in_as("bob"), sign_in_as("operator")
    monkeypatch.setattr(tasks.purge_retired_sessions, "apply_async", lambda **kw: None)
    rotation.rotate_keys(grace=0)
    batches, singles = [], []

    def bulk(sender, reason, count, records, **kwargs):
        batches.append((reason.value, count, sorted(r.user.username for r in records)))

    def single(sender, **kwargs):
        singles.append(kwargs)

    monkeypatch.setattr(tasks, "PURGE_TASK_SECONDS", 0)  # one batch per task
    sessions_ended.connect(bulk)
    session_ended.connect(single)
    try:  # the records' pass alone (after_id None), as its re-queues run it
        assert tasks.purge_retired_sessions.run(batch_size=2, after_id=None) == 2
        assert tasks.purge_retired_sessions.run(batch_size=2, after_id=None) == 1
    finally:
        sessions_ended.disconnect(bulk)
        session_ended.disconnect(single)
    assert [(reason, count) for reason, count, _ in batches] == [
        ("key_rotated", 2),
        ("key_rotated", 1),
    ]
    assert sorted(n for _, _, names in batches for n in names) == [
        "alice",
        "bob",
        "operator",
    ]
    assert singles == []


@pytest.mark.parametrize("door", ["force_sign_out", "password_change"])
def test_the_rotating_admin_is_not_signed_in_again_after_another_end(
    engine, demo, sign_in_as, monkeypatch, door
):
    """An end by another door while the rotation runs (an operator's force
    sign-out, a password change) stands: the renewal must not undo it."""
    from sessions_core import services

    admin = sign_in_as("admin")
    real_rotate = rotation.rotate_keys

    def rotate_then_end(**kwargs):
        version = real_rotate(**kwargs)
        user = demo["admin"]
        if door == "force_sign_out":
            services.force_logout(user_ids=[user.pk], by=demo["bob"])
        else:  # in another request: this one's session is not the one changing it
            from sessions_core.receivers import current_session

            token = current_session.set(None)
            user.set_password("a-new-password-2026")
            user.save()
            current_session.reset(token)
        return version

    monkeypatch.setattr(rotation, "rotate_keys", rotate_then_end)
    done = admin.post("/admin/sessions_core/keyversion/rotate/", {"grace": "0"})
    assert not SessionRecord.objects.live().filter(user=demo["admin"]).exists()
    # Sent to sign in, told the true reason: not the rotation's.
    assert done.status_code == 302
    assert done["Location"].startswith("/login/?next=")
    page = admin.get(done["Location"])
    expected = "admin" if door == "force_sign_out" else "password_changed"
    assert reason_on(page) == expected


def test_the_rotating_admins_new_session_keeps_the_absolute_limit(
    engine, demo, clock, sign_in_as, settings
):
    """A rotation renews the admin's session under a new key, not their time."""
    settings.SESSIONS_CORE_ABSOLUTE_TIMEOUT = 1000
    admin = sign_in_as("admin")
    for _ in range(3):
        clock.advance(250)
        assert admin.get("/admin/").status_code == 200
    admin.post("/admin/sessions_core/keyversion/rotate/", {"grace": "0"})
    status = admin.get("/session/status/").json()
    assert status["authenticated"] is True
    assert status["absolute_expires_in"] == 250.0
    clock.advance(250)
    assert_ended(admin, "absolute", path="/admin/")
