"""Collect the host project's tests only under its own settings (pytest.ini here).

Another suite's run that walks into this directory leaves it alone.
"""

import os

if os.environ.get("DJANGO_SETTINGS_MODULE") != "tests.hostproject.settings":
    collect_ignore_glob = ["*"]
