"""``manage.py check`` is clean for a host that followed the README."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MANAGE = Path(__file__).resolve().parents[1] / "manage.py"


def test_manage_py_check_is_clean():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.hostproject.settings"}
    result = subprocess.run(
        [sys.executable, str(MANAGE), "check", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
