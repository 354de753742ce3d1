#!/usr/bin/env python
"""Django's command-line utility for the host project."""

import os
import sys
from pathlib import Path


def main() -> None:
    # The project is the package tests.hostproject: its root goes on the path.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.hostproject.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
