"""Every user-facing string has its German, and the compiled catalogs are current.

`makemessages` is run on a copy of the code, as a translator would run it: any
string added without its German shows up as untranslated (or as a fuzzy guess of
msgmerge's) and fails here. The .mo files are committed, since a fresh machine has
no gettext to compile them; they must be what their .po files compile to.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = [
    "locale/de/LC_MESSAGES/django.po",
    "sessions_core/locale/de/LC_MESSAGES/django.po",
    "sessions_core/locale/de/LC_MESSAGES/djangojs.po",
]
IGNORE = ["--ignore=.venv", "--ignore=tests", "--ignore=bench", "--ignore=docs"]


def gettext_tools() -> None:
    for tool in ("xgettext", "msgmerge", "msgfmt"):
        if shutil.which(tool) is None:
            require("gettext", f"{tool} not found (apt-get install gettext)")


def statistics(po: Path) -> str:
    done = subprocess.run(
        ["msgfmt", "--statistics", "--check", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_makemessages_leaves_nothing_untranslated(tmp_path):
    gettext_tools()
    copy = tmp_path / "code"
    for part in ("bankdemo", "sessions_core", "templates", "locale"):
        shutil.copytree(
            ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bankdemo.settings"}
    for domain in ("django", "djangojs"):
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "de", "-d", domain]
            + ["--no-obsolete", *IGNORE],
            cwd=copy,
            env=env,
            check=True,
            capture_output=True,
        )
    found = sorted(
        str(path.relative_to(copy)) for path in copy.rglob("locale/de/*/*.po")
    )
    assert found == sorted(CATALOGS)
    for catalog in CATALOGS:
        line = statistics(copy / catalog)
        assert re.fullmatch(r"\d+ translated messages\.", line), f"{catalog}: {line}"


@pytest.mark.parametrize("catalog", CATALOGS)
def test_the_committed_mo_is_what_its_po_compiles_to(tmp_path, catalog):
    gettext_tools()
    compiled = tmp_path / "out.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(ROOT / catalog)], check=True)
    committed = (ROOT / catalog).with_suffix(".mo")
    assert committed.read_bytes() == compiled.read_bytes(), (
        f"run `manage.py compilemessages` and commit {committed.name}"
    )
