"""Connect sessions_core to Django's auth events."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver

from . import services, store
from .conf import app_settings
from .models import SessionEvent, SessionRecord
from .reasons import EndReason
from .request_info import client_ip
from .sessiondata import RECORD_KEY

# What a "confirm it's you" page puts in user_login_failed's credentials, so that a
# wrong password there is told apart from a failed sign-in.
CONFIRM_PURPOSE = "confirm"


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


def _attempt(request, username: str):
    """The user an attempt named (None if no such user), and where it came from."""
    user = (
        User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if username
        else None
    )
    ip = client_ip(request, app_settings.TRUSTED_PROXIES) if request else None
    return user, ip


@receiver(user_login_failed, dispatch_uid="sessions_core.login_failed")
def _log_failed_sign_in(sender, credentials, request=None, **kwargs):
    """Log a wrong password: at sign-in, or at a confirmation (its ``purpose``)."""
    username = str(
        credentials.get(User.USERNAME_FIELD) or credentials.get("username") or ""
    )[:150]
    kind = (
        SessionEvent.Kind.CONFIRM_FAILED
        if credentials.get("purpose") == CONFIRM_PURPOSE
        else SessionEvent.Kind.SIGNIN_FAILED
    )
    user, ip = _attempt(request, username)
    services.log_event(kind=kind, user=user, username=username, ip=ip)


def _log_lockout(sender, request=None, username=None, **kwargs):
    """Log django-axes' lock once: axes sends it when it locks, and again at each
    attempt while locked, which would let anyone grow the log at will."""
    from axes.helpers import get_failure_limit

    username = str(username or "")[:150]
    failures = getattr(request, "axes_failures_since_start", None)
    if failures and failures > get_failure_limit(request, {"username": username}):
        return  # locked before this attempt: that lock is in the log already
    user, ip = _attempt(request, username)
    services.log_event(
        kind=SessionEvent.Kind.LOCKED,
        user=user,
        username=username,
        ip=ip,
        detail=f"{failures} failed attempts" if failures else "",
    )


if apps.is_installed("axes"):
    from axes.signals import user_locked_out

    user_locked_out.connect(_log_lockout, dispatch_uid="sessions_core.locked_out")
