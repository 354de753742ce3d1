"""End the records of sessions that expired, vanished or no longer verify.

Celery beat runs the same sweep every five minutes in the full stack. Without beat
(the embedded demo, or a host without Celery), run it beside the server:
``manage.py sweep_sessions --every 60``. It needs no Celery.
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandError

from sessions_core import services
from sessions_core.conf import app_settings

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "End sessions whose limits passed, or that vanished from the store."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Sweep again every SECONDS until stopped (default: sweep once).",
        )

    def handle(self, *args, every: float, **options):
        if every < 0:
            raise CommandError("--every must be 0 (once) or a number of seconds.")
        if not every:
            ended = services.sweep_all(batch_size=app_settings.PURGE_BATCH)
            self.stdout.write(f"Ended {ended} session(s).")
            return
        while True:
            try:
                ended = services.sweep_all(batch_size=app_settings.PURGE_BATCH)
            except Exception as exc:  # an outage: the next round tries again
                logger.warning("the session sweep failed (%s); retrying", exc)
            else:
                if ended:
                    self.stdout.write(f"Ended {ended} session(s).")
            time.sleep(every)
