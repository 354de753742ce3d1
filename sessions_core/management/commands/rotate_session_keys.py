from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sessions_core import rotation


class Command(BaseCommand):
    help = (
        "Make a new session key version current. Sessions of older versions stop "
        "working at once (or after --grace seconds) and are purged by Celery."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace",
            type=int,
            default=0,
            help="Seconds older sessions keep working (default 0: end them now).",
        )

    def handle(self, *args, grace: int, **options):
        if grace < 0:
            raise CommandError("--grace must be 0 or more seconds.")
        version = rotation.rotate_keys(grace=grace)
        self.stdout.write(
            f"Key version v{version.version} is current; older sessions "
            + (f"stop working in {grace} s." if grace else "stopped working.")
        )
