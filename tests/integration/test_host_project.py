"""A second host project, tests/hostproject, adopts sessions_core by its README.

Its own tests (ends, reasons, warnings over a websocket, system checks) run in a
subprocess under its own settings and pytest.ini, with ``bankdemo`` made
unimportable: the app must work in a project that knows nothing of the bank.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = ROOT / "tests" / "hostproject"

# pytest, with every `import bankdemo` failing (the project is installed in the
# virtualenv, so it would otherwise import fine).
RUNNER = (
    "import sys; sys.modules['bankdemo'] = None; import pytest; "
    "sys.exit(pytest.main(sys.argv[1:]))"
)


def test_host_project_tests_pass():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.hostproject.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUNNER,
            "-c",
            str(HOST / "pytest.ini"),
            str(HOST / "tests"),
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 9, output
    assert "skipped" not in output and "failed" not in output, output


def test_host_project_never_names_the_bank():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(HOST.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
        for number, line in enumerate(
            path.read_text(errors="replace").splitlines(), start=1
        )
        if re.search(r"bankdemo|banking", line, re.IGNORECASE)
    ]
    assert not offenders, offenders
