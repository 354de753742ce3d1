"""Records of sessions (the user -> sessions index), key versions, and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .backends.base import digest_key
from .reasons import choices as reason_choices
from .request_info import describe_browser

__all__ = [
    "KeyVersion",
    "RefreshToken",
    "SessionEvent",
    "SessionRecord",
    "StoredSession",
    "TokenFamily",
    "digest_key",
]


class SessionRecordQuerySet(models.QuerySet):
    def live(self) -> SessionRecordQuerySet:
        return self.filter(ended_at__isnull=True)

    def ended(self) -> SessionRecordQuerySet:
        return self.filter(ended_at__isnull=False)


class StoredSession(models.Model):
    """A session's data, or the tombstone of its end (``backends.db``).

    Keyed by the SHA-256 digest of the session key: the database never holds the
    bearer token itself.
    """

    key_digest = models.CharField(max_length=64, primary_key=True)
    data = models.TextField()
    expire_date = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("stored session")
        verbose_name_plural = _("stored sessions")

    def __str__(self) -> str:
        return self.key_digest[:10]


class SessionRecord(models.Model):
    """One signed-in session, from sign-in to its end and the end's reason.

    The session is reached in its store by ``key_digest`` alone: no table keeps the
    session key, the bearer token, so a database dump signs nobody in.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="session_records",
        verbose_name=_("user"),
    )
    key_digest = models.CharField(_("key digest"), max_length=64, db_index=True)
    signed_in_at = models.DateTimeField(_("signed in"))
    last_active_at = models.DateTimeField(_("last active"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    device = models.CharField(_("browser"), max_length=100, blank=True)
    key_version = models.PositiveIntegerField(_("key version"), default=1)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, db_index=True)
    end_reason = models.CharField(
        _("end reason"), max_length=20, choices=reason_choices, blank=True
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )

    objects = SessionRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-signed_in_at"]
        # view_sessionrecord comes with the model; ending is a separate right.
        permissions = [("end_session", _("Can force sign-out of sessions"))]
        # The live sessions of a user (the limit, the admin) and of a key version
        # (the purge), in indexes of live rows only: ending a session deletes its
        # entries instead of moving them, and ended rows, most of the table in
        # time, cost these indexes nothing.
        indexes = [
            models.Index(
                fields=["user"],
                condition=models.Q(ended_at__isnull=True),
                name="sessionrecord_live_user",
            ),
            models.Index(
                fields=["key_version", "id"],
                condition=models.Q(ended_at__isnull=True),
                name="sessionrecord_live_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.short_digest}"

    @property
    def short_digest(self) -> str:
        return self.key_digest[:10]

    @property
    def is_live(self) -> bool:
        return self.ended_at is None

    @property
    def device_words(self) -> str:
        """The browser in the active language (``device`` is stored in English)."""
        return describe_browser(self.user_agent) if self.user_agent else self.device


class TokenFamily(models.Model):
    """The API tokens of one session: its current access token, by digest only.

    The session itself (record, store entry, limits, reasons) is a browser's; the
    session key is never handed out, so only these tokens reach it.
    """

    record = models.OneToOneField(
        SessionRecord, on_delete=models.CASCADE, related_name="token_family"
    )
    access_digest = models.CharField(max_length=64, unique=True)
    access_issued_at = models.FloatField()  # seconds since the epoch, for the policy

    def __str__(self) -> str:
        return f"tokens of {self.record}"


class RefreshToken(models.Model):
    """One refresh token of a family, by digest: used once, then kept to spot reuse.

    ``retry`` holds the pair it was exchanged for, sealed with the token itself
    (sessions_core.tokens.seal): only whoever holds this token can read it, for a
    retry within the grace; it is emptied once that retry is served.
    """

    family = models.ForeignKey(
        TokenFamily, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    issued_at = models.FloatField()
    used_at = models.FloatField(null=True, blank=True)
    successor = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retry = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.digest[:10]


class KeyVersion(models.Model):
    """A generation of sessions. Only sessions of unretired versions work."""

    version = models.PositiveIntegerField(_("version"), primary_key=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # When sessions of this version stop working; null while it may still be used.
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    # Live sessions of older versions when this one was made: the purge's target.
    purge_total = models.PositiveIntegerField(_("purge total"), default=0)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("key version")
        verbose_name_plural = _("key versions")
        permissions = [("rotate_keys", _("Can rotate session keys"))]

    def __str__(self) -> str:
        return f"v{self.version}"


class SessionEvent(models.Model):
    """An append-only audit line: who, what, when, why, by whom, from where."""

    class Kind(models.TextChoices):
        START = "start", _("Signed in")
        EXTEND = "extend", _("Stayed signed in")
        END = "end", _("Session ended")
        ROTATE = "rotate", _("Keys rotated")
        FORCE = "force", _("Forced sign-out")
        SIGNIN_FAILED = "signin_failed", _("Failed sign-in")
        LOCKED = "locked", _("Account locked")
        UNLOCK = "unlock", _("Account unlocked")
        CONFIRM = "confirm", _("Confirmed it's them")
        CONFIRM_FAILED = "confirm_failed", _("Failed confirmation")

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, db_index=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    record = models.ForeignKey(
        SessionRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("record"),
    )
    reason = models.CharField(
        _("reason"), max_length=20, choices=reason_choices, blank=True
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    ip = models.GenericIPAddressField(_("ip"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("session event")
        verbose_name_plural = _("session events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.username}"
