from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class SessionsCoreConfig(AppConfig):
    name = "sessions_core"
    # With a context: django.contrib.sessions' "Sessions" (German "Sessions")
    # would win over ours when it comes first in INSTALLED_APPS.
    verbose_name = pgettext_lazy("app name", "Sessions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the checks and the receivers.
        from . import checks, checks_host, receivers  # noqa: F401
