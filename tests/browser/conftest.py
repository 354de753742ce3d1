"""Real Chromium (Debian's package, driven by Playwright) against a live daphne."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from daphne.testing import DaphneProcess
from django.test import override_settings

from tests.conftest import require

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make between browser steps are still plain sync calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORDS = {
    "alice": "demo-alice-2026",
    "bob": "demo-bob-2026",
    "admin": "demo-admin-2026",
    "operator": "demo-operator-2026",
}


def _server_setup():
    from channels.testing.live import set_database_connection
    from django.db import connections

    set_database_connection()
    connections.close_all()


def _application():
    # Rebuild the ASGI stack in the child: a copy imported earlier by the parent
    # would carry the parent's settings (Channels' session middleware picks its
    # engine when it is built).
    import importlib

    import bankdemo.asgi

    return importlib.reload(bankdemo.asgi).application


class LiveServer:
    def __init__(self, process: DaphneProcess):
        self.process = process
        self.url = f"http://127.0.0.1:{process.port.value}"


@contextmanager
def running_server(**overrides) -> Iterator[LiveServer]:
    """Start daphne in a child process that inherits these settings overrides."""
    with override_settings(**overrides):
        process = DaphneProcess("127.0.0.1", _application, setup=_server_setup)
        process.start()
    if not process.ready.wait(timeout=20):
        process.terminate()
        raise RuntimeError("daphne did not start")
    try:
        yield LiveServer(process)
    finally:
        process.terminate()
        process.join(5)


@pytest.fixture
def serve(transactional_db):
    """Start live servers with settings of the test's choosing; stop them after."""
    stack = []

    def _serve(**overrides) -> LiveServer:
        manager = running_server(**overrides)
        server = manager.__enter__()
        stack.append(manager)
        return server

    yield _serve
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        require("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    context.set_default_timeout(10_000)
    yield context
    context.close()


def sign_in(page, server: LiveServer, username: str = "alice", path: str = "/login/"):
    page.goto(server.url + path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
