from __future__ import annotations

from django.apps import AppConfig


class BankingConfig(AppConfig):
    name = "bankdemo.banking"
    label = "banking"
    verbose_name = "Banking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bankdemo import metrics

        from . import checks  # noqa: F401  (registers the deploy check)

        metrics.connect()
