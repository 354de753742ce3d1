"""The app's shape, checked: what may import what, and how big a module may grow.

Layers, from the outside in: doors (middleware, views, consumers, admin, tasks,
commands) -> services -> selectors -> policy. Nothing inside imports the project.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[3] / "sessions_core"
MAX_LINES = 250
# What each inner layer may import from the app; anything else (a door: the
# middleware, a view, the consumer and its socket modules, the admin, a task...)
# is refused, including modules added later.
BELOW = {"conf", "keyring", "models", "reasons", "sessiondata"}
INNER = {
    "policy.py": {"reasons", "verdicts"},
    "verdicts.py": {"reasons"},
    "selectors.py": {"policy", *BELOW},
    "services": {
        "policy",
        "selectors",
        "services",
        "store",
        "notify",
        "signals",
        "request_info",
        *BELOW,
    },
}
# URL names the app's templates may use: its own, the admin's, and Django's
# optional password_change (linked only if the host has it: {% url ... as %}).
TEMPLATE_URLS = re.compile(r"^(sessions_core|admin):|^password_change$")


def modules() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if "migrations" not in p.parts)


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, as dotted names relative to the app if local."""
    names = set()
    package = path.relative_to(APP).with_suffix("").parts[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join(["sessions_core", *parent, *filter(None, [base])])
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def local_parts(path: Path) -> set[str]:
    """The app's top-level modules ``path`` imports (sessions_core.X -> X)."""
    return {
        name.split(".")[1]
        for name in imported(path)
        if name.startswith("sessions_core.") and len(name.split(".")) > 1
    }


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(APP)))
def test_the_app_never_imports_or_names_the_project(path):
    assert not any(n.split(".")[0] in {"bankdemo", "tests"} for n in imported(path))
    assert not re.search(r"bankdemo|banking", path.read_text(), re.IGNORECASE)


def test_only_the_redis_store_imports_redis():
    importers = [
        str(p.relative_to(APP))
        for p in modules()
        if any(n == "redis" or n.startswith("redis.") for n in imported(p))
    ]
    assert importers == ["backends/redis.py"]


def test_no_module_is_longer_than_250_lines():
    files = [*modules(), *APP.rglob("static/**/*.js")]
    long = {
        str(p.relative_to(APP)): n
        for p in files
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize("module", ["policy.py", "verdicts.py"])
def test_policy_is_pure(module):
    assert local_parts(APP / module) <= {"reasons", "verdicts"}
    assert not {n for n in imported(APP / module) if n.startswith("django.")} - {
        "django.utils.translation"  # through reasons' words only
    }


@pytest.mark.parametrize("inner", sorted(INNER))
def test_inner_layers_import_only_what_is_below_them(inner):
    folder = APP / inner
    for path in sorted(folder.glob("*.py")) if folder.is_dir() else [folder]:
        assert local_parts(path) <= INNER[inner], path


def test_templates_and_scripts_name_nothing_of_the_host():
    texts = [*APP.rglob("templates/**/*.html"), *APP.rglob("static/**/*.js")]
    for path in texts:
        text = path.read_text()
        assert not re.search(r"bankdemo|banking", text, re.IGNORECASE), path
        for name in re.findall(r"{% url ['\"]([^'\"]+)['\"]", text):
            assert TEMPLATE_URLS.match(name), (path, name)


def test_selectors_never_import_services():
    assert "services" not in local_parts(APP / "selectors.py")
