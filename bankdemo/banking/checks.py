"""Deployment checks of the demo project itself."""

from __future__ import annotations

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
