"""bankdemo: a small online bank that ends sessions for a reason and says it."""

from .celery import app as celery_app

__all__ = ("celery_app",)
