from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsCoreConfig(AppConfig):
    name = "sessions_core"
    verbose_name = _("Sessions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the checks and the receivers.
        from . import checks, checks_host, receivers  # noqa: F401
