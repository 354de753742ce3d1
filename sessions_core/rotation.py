"""Server-side key rotation: make a new key version current, purge the old ones.

Sessions carry the key version they were signed in under; retiring a version ends
them everywhere (the middleware and the consumer ask the policy with the retirement
time). Open tabs hear it from one broadcast; Celery purges the store in batches.
"""

from __future__ import annotations

import contextlib
import logging
import time

from django.contrib import auth
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from . import keyring, notify, policy, selectors, store
from .models import KeyVersion, SessionEvent, SessionRecord
from .reasons import EndReason
from .services import end_current, log_event, to_datetime
from .sessiondata import CARRIED_SIGN_IN_ATTR, RECORD_KEY, read_stamps
from .signals import sessions_ended

logger = logging.getLogger(__name__)


def rotate_keys(*, grace: float = 0, by=None) -> KeyVersion:
    """Make a new key version current; older versions stop working after ``grace``.

    Every process sees the change within SESSIONS_CORE_KEY_VERSION_TTL; open tabs
    are told and the store is purged by Celery tasks queued after commit.
    """
    now = time.time()
    retire = to_datetime(policy.retire_at(now=now, grace=grace))
    with transaction.atomic():
        versions = KeyVersion.objects.select_for_update().order_by("-version")
        latest = versions.first()
        old_version = latest.version if latest else 1
        if latest is None:
            KeyVersion.objects.create(version=1)
        KeyVersion.objects.filter(retired_at__isnull=True).update(retired_at=retire)
        KeyVersion.objects.filter(retired_at__gt=retire).update(retired_at=retire)
        new = KeyVersion.objects.create(
            version=old_version + 1,
            created_by=by,
            purge_total=selectors.live_count_before(old_version + 1),
        )
        log_event(
            kind=SessionEvent.Kind.ROTATE,
            user=by,
            by=by,
            reason=EndReason.KEY_ROTATED.value,
            detail=f"v{old_version} -> v{new.version}, grace {int(grace)} s",
        )
        transaction.on_commit(
            lambda: _after_rotation(
                current=new.version, retire=retire.timestamp(), grace=grace
            )
        )
    keyring.invalidate()
    return new


def renew_session(*, request: HttpRequest) -> bool:
    """After a rotation, give the request's user a new session of the new version.

    For the administrator who rotated, so that the page after it can say what
    happened instead of a sign-in page. Their old session ends like every other
    one (``key_rotated``, recorded and told to its tabs): re-stamping it with the
    new version instead would carry its key, a bearer token that existed before
    the rotation, over the rotation, and rotating is how a stolen key is made
    worthless. The new session is a sign-in under a new key, made in this
    request from one that was judged live at its start, before the response.
    Call it after ``rotate_keys``, which made the new version current here.
    False if the session ended otherwise meanwhile (that end stands, and the
    request carries it in ``sessions_core_end``), or the password changed.
    """
    # A plain object, not the request's lazy one, which logout() replaces.
    user = auth.get_user_model().objects.get(pk=request.user.pk)
    backend = request.session.get(auth.BACKEND_SESSION_KEY)
    session_hash = request.session.get(auth.HASH_SESSION_KEY) or ""
    stamps = read_stamps(request.session)
    record_id = request.session.get(RECORD_KEY)
    if record_id is not None:
        # Idempotent: the purge or another tab may have ended it already.
        end_current(
            request=request, record_id=int(record_id), reason=EndReason.KEY_ROTATED
        )
    else:
        auth.logout(request)
    end = getattr(request, "sessions_core_end", None)
    if end is not None and end.reason != EndReason.KEY_ROTATED.value:
        return False  # ended meanwhile by another door (a force sign-out)
    if not user.is_active or not constant_time_compare(
        session_hash, user.get_session_auth_hash()
    ):
        return False  # the password changed meanwhile: no session without it
    # The new session keeps the old one's sign-in time, so the absolute limit
    # still counts from the real sign-in: a rotation must not extend it.
    if stamps is not None:
        setattr(request, CARRIED_SIGN_IN_ATTR, stamps.signed_in)
    auth.login(request, user, backend=backend)
    return True


def _after_rotation(*, current: int, retire: float, grace: float) -> None:
    from . import tasks

    notify.send_sync(
        [notify.BROADCAST_GROUP],
        notify.rotated_message(at=time.time(), current=current, retire_at=retire),
    )
    try:
        tasks.purge_retired_sessions.apply_async(
            countdown=max(grace, 0), retry_policy={"max_retries": 2}
        )
    except Exception:
        # Retired sessions are refused at their next request whatever happens here;
        # the periodic purge (Celery beat) deletes them once the broker is back.
        logger.warning("could not queue the purge; beat will run it", exc_info=True)


def delete_retired_keys(
    *, versions: list[int], after_id: int, limit: int
) -> tuple[int, int | None]:
    """Delete from the store the sessions of the first ``limit`` live records of
    retired key ``versions`` after id ``after_id``; their records stay live.

    The purge's first pass: every retired key is gone from the store before any
    record is ended, since the keys are what a thief could still present (they are
    refused by their key version meanwhile, and so is a session whose key is gone
    and whose record is live: its reason is found from the record). Reads one page
    of ids and digests, locks nothing. Returns how many it deleted, and the last
    id done or None when this page was the last.
    """
    keyed = list(
        SessionRecord.objects.live()
        .filter(key_version__in=versions, pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", "key_digest")[:limit]
    )
    store.delete_many([digest for _, digest in keyed])
    return len(keyed), (keyed[-1][0] if len(keyed) == limit else None)


def purge_retired(*, versions: list[int], limit: int) -> tuple[int, int]:
    """End the first ``limit`` live sessions of retired key ``versions``, in bulk.

    For the key-rotation purge: one multi-key store delete, one UPDATE over a range
    of ids (no thousand-item IN list to compile) and one audit event for the whole
    batch, no per-session notification (the rotation told every tab with one
    broadcast) and one ``sessions_ended`` signal for the batch instead of a
    ``session_ended`` for each (building 5,000 records to send it was most of a
    batch's time). Idempotent. Returns (how many ended, how many were selected).
    """
    retired = (
        SessionRecord.objects.live().filter(key_version__in=versions).order_by("pk")
    )
    keyed = list(retired.values_list("pk", "key_digest")[:limit])
    if not keyed:
        return 0, 0
    # The first `limit` retired live ids are exactly those in their own range.
    in_batch = {"pk__gte": keyed[0][0], "pk__lte": keyed[-1][0]}
    ended_at = to_datetime(time.time())
    reason = EndReason.KEY_ROTATED
    # The store's delete is confirmed before the records' UPDATE commits: a purge
    # that dies between the two leaves live records whose sessions are gone, and
    # the next run finds and ends them; a store that fails rolls the UPDATE back.
    # Readers in between refuse the session already (its key version is retired)
    # with the same reason. Redis deletes while the UPDATE runs (each is about
    # half of a batch's time); the database store deletes at once. The batch's
    # rows stay locked until Redis answers: about 10 ms, and never longer than
    # the cache's SOCKET_TIMEOUT, after which the batch rolls back.
    finish = store.start_deleting([digest for _, digest in keyed])
    updated = False
    try:
        with transaction.atomic():
            ended = retired.filter(**in_batch).update(
                ended_at=ended_at, end_reason=reason.value
            )
            updated = True
            finish()  # its StoreUnavailable, if any, rolls the UPDATE back
            if ended:
                log_event(
                    kind=SessionEvent.Kind.END,
                    reason=reason.value,
                    detail=f"purged {ended} sessions of retired key versions",
                )
    finally:
        if not updated:  # the UPDATE failed: read the store's answer, raise its error
            with contextlib.suppress(store.StoreUnavailable):
                finish()
    if ended:
        sessions_ended.send(
            sender=SessionRecord,
            reason=reason,
            count=ended,
            records=SessionRecord.objects.filter(
                **in_batch, ended_at=ended_at, end_reason=reason.value
            ),
        )
    return ended, len(keyed)
