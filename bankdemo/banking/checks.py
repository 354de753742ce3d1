"""Checks of the demo project itself: its deployment and the bank's settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_demo_secret_key(app_configs=None, **kwargs):
    if getattr(settings, "DEMO_SECRET_KEY", None) == settings.SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the public demo key.",
                hint="Set DJANGO_SECRET_KEY to a long random value before deploying.",
                id="bankdemo.E001",
            )
        ]
    return []


@register()
def check_step_up_amount(app_configs=None, **kwargs):
    amount = getattr(settings, "BANKING_STEP_UP_AMOUNT", None)
    if isinstance(amount, Decimal) and amount.is_finite() and amount >= 0:
        return []
    return [
        Error(
            f"BANKING_STEP_UP_AMOUNT is {amount!r}; it must be a Decimal amount in "
            "pounds, 0 or more.",
            hint="Set SESSION_STEP_UP_AMOUNT in the environment to e.g. 1000, or "
            "BANKING_STEP_UP_AMOUNT = Decimal('1000') in the settings.",
            id="bankdemo.E002",
        )
    ]
