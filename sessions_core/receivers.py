"""Connect sessions_core to Django's auth events."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver

from . import services, store
from .models import SessionRecord
from .reasons import EndReason
from .sessiondata import RECORD_KEY


@dataclass
class CurrentSession:
    """The session serving this request, named by the middleware for its duration:
    a password change made in it keeps that session, whichever object the view
    saved (the admin's password form saves its own copy of the user)."""

    user_id: int | None = None
    record_id: int | None = None


current_session: ContextVar[CurrentSession | None] = ContextVar(
    "sessions_core_current_session", default=None
)


def _kept_record(user) -> int | None:
    current = current_session.get()
    if current is None or current.user_id != user.pk:
        return None
    return current.record_id


@receiver(user_logged_in, dispatch_uid="sessions_core.start")
def _start(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        services.start_session(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="sessions_core.logout")
def _logout(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    record = (
        SessionRecord.objects.live()
        .select_related("user")
        .filter(pk=request.session.get(RECORD_KEY))
        .first()
    )
    if record is not None:
        services.end_sessions(records=[record], reason=EndReason.LOGOUT)
        # The sign-in page that follows says "you signed out".
        request.sessions_core_end = store.Tombstone(EndReason.LOGOUT.value, record.pk)


User = get_user_model()


@receiver(pre_save, sender=User, dispatch_uid="sessions_core.user_pre_save")
def _end_on_credentials_change(
    sender, instance, update_fields=None, raw=False, **kwargs
):
    """End the user's sessions before a new password or a deactivation is saved.

    Before, not after: once the new password is in the database, a page load of
    an old session would find its auth hash stale and end it for the wrong reason
    before these ends were written. And if the store is down, the save fails with
    it, so a password never changes while the old sessions live on.
    """
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    old = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    if old["is_active"] and not instance.is_active:
        services.end_other_sessions(
            user=instance, keep_record_id=None, reason=EndReason.ADMIN
        )
    elif old["password"] != instance.password:
        services.end_other_sessions(
            user=instance,
            keep_record_id=_kept_record(instance),
            reason=EndReason.PASSWORD_CHANGED,
        )


@receiver(pre_delete, sender=User, dispatch_uid="sessions_core.user_pre_delete")
def _end_on_delete(sender, instance, **kwargs):
    services.end_other_sessions(
        user=instance, keep_record_id=None, reason=EndReason.ADMIN
    )
