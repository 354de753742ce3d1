"""A Redis that blips or loses its data: an outage is not an end, a loss is named.

Each test runs its own redis-server (tests/outage_redis.py) on a free port, so it
can pause it (SIGSTOP: connections stay open, nothing answers, every key is kept)
or kill it and start it again empty; the machine's Redis is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import websockets
from asgiref.sync import async_to_sync, sync_to_async
from daphne.testing import DaphneProcess
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from bankdemo.banking.models import Account, Transfer
from sessions_core import rotation
from sessions_core.consumers import CLOSE_TRY_AGAIN_LATER
from sessions_core.models import SessionRecord
from sessions_core.store import StoreUnavailable
from tests import outage_redis
from tests.conftest import require
from tests.integration.test_banking import form

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

PASSWORD = "demo-alice-2026"
# django-redis must give up on a frozen Redis in about a second, not hang.
TIMEOUTS = {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, stopped at the end whatever happened."""
    if not outage_redis.available():
        require("redis-server", "not on PATH (apt-get install redis-server)")
    server = outage_redis.PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def cache_on(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "outage-test",
            "OPTIONS": TIMEOUTS,
        }
    }


def layer_on(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, "socket_timeout": None}],
                "prefix": "outage-test",
            },
        }
    }


def serve_from(settings, url: str) -> None:
    """Cache, sessions and channel layer all on the Redis at ``url``."""
    settings.CACHES = cache_on(url)
    settings.SESSION_ENGINE = "sessions_core.backends.redis"
    settings.CHANNEL_LAYERS = layer_on(url)


@pytest.fixture
def private_sessions(private_redis, settings):
    """Sessions and cache in the private Redis, as in production (README)."""
    settings.CACHES = cache_on(private_redis.url())
    settings.SESSION_ENGINE = "sessions_core.backends.redis"
    yield private_redis
    caches["default"].close()


def sign_in_alice() -> Client:
    # A request that fails is a 500 here, as for a browser (its traceback is kept).
    client = Client(raise_request_exception=False)
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def balances(user) -> list:
    return list(
        Account.objects.filter(owner=user).order_by("pk").values_list("balance")
    )


def assert_outage(response) -> None:
    """A 503 for the outage, not a 500 from an exception on the way."""
    failure = getattr(response, "exc_info", None)
    assert response.status_code == 503, f"{response.status_code}:\n" + "".join(
        traceback.format_exception(*failure) if failure else []
    )


def assert_cookie_kept(response) -> None:
    """The response must not delete (or replace) the browser's session cookie."""
    cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
    assert cookie is None, f"the outage touched the session cookie: {cookie}"


# --- HTTP, in this process ------------------------------------------------------------


@pytest.mark.django_db
def test_a_blip_is_an_outage_page_and_the_session_survives_it(
    private_sessions, demo, alice
):
    client = sign_in_alice()
    record = SessionRecord.objects.live().get(user=alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    before = balances(alice), Transfer.objects.count()

    private_sessions.pause()
    paused = time.monotonic()
    try:
        page = client.get("/")
        assert_outage(page)
        assert page.templates[0].name == "sessions_core/outage.html"
        text = page.content.decode()
        assert "data-store-outage" in text
        assert 'data-error-page="503"' in text
        assert "not been signed out" in text
        assert int(page["Retry-After"]) > 0
        assert_cookie_kept(page)

        status = client.get("/session/status/", HTTP_ACCEPT="application/json")
        assert_outage(status)
        assert status["Content-Type"] == "application/json"
        assert status.json()["error"] == "store_unavailable"
        assert int(status["Retry-After"]) > 0
        assert_cookie_kept(status)

        sent = client.post("/transfer/", form(alice))
        assert_outage(sent)
        assert "data-store-outage" in sent.content.decode()
        assert_cookie_kept(sent)
        assert (balances(alice), Transfer.objects.count()) == before

        # Pages that read the user before any view (a 404, a stale form): they
        # were 500s. A password change must not go through with the old sessions
        # left alive: it does not go through at all.
        assert_outage(client.get("/no-such-page/"))
        stale = Client(enforce_csrf_checks=True, raise_request_exception=False)
        stale.cookies[settings.SESSION_COOKIE_NAME] = cookie
        assert_outage(stale.post("/transfer/", form(alice)))
        new_password = "an-outage-password-2026"
        changed = client.post(
            "/password/",
            {
                "old_password": PASSWORD,
                "new_password1": new_password,
                "new_password2": new_password,
            },
        )
        assert_outage(changed)
        # The same from code (the admin's form, a shell): the save fails whole.
        changing = type(alice).objects.get(pk=alice.pk)
        changing.set_password(new_password)
        with pytest.raises(StoreUnavailable):
            changing.save()
        assert not SessionRecord.objects.ended().exists()
    finally:
        private_sessions.resume()
    print(f"outage lasted {time.monotonic() - paused:.1f} s (six requests)")
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)

    assert client.cookies[settings.SESSION_COOKIE_NAME].value == cookie
    page = client.get("/")
    assert page.status_code == 200
    assert page.wsgi_request.user == alice
    assert SessionRecord.objects.live().get() == record
    assert not SessionRecord.objects.ended().exists()


@pytest.mark.django_db
def test_a_redis_restarted_empty_ends_the_session_as_lost_by_the_store(
    private_sessions, demo, alice
):
    client = sign_in_alice()
    record = SessionRecord.objects.live().get(user=alice)

    private_sessions.restart_empty()

    page = client.get("/")
    assert page.status_code == 302, page.content[:300]
    assert page["Location"].startswith("/login/")
    login = client.get(page["Location"])
    assert login.status_code == 200
    text = login.content.decode()
    assert 'data-session-end-reason="store_lost"' in text
    assert "key_rotated" not in text
    record.refresh_from_db()
    assert (record.is_live, record.end_reason) == (False, "store_lost")


# --- a real ASGI server ---------------------------------------------------------------

# What the server process must never write, whatever Redis did.
FORBIDDEN_OUTPUT = ("Traceback", "Attempt to send on a closed protocol")


def _server_setup() -> None:
    from channels.testing.live import set_database_connection
    from django.db import connections

    set_database_connection()
    connections.close_all()
    # The child inherits pytest's in-memory log handlers, which nobody reads: send
    # its warnings and errors (with any traceback) to the stderr capfd captures.
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(
        logging.Formatter("server %(levelname)s %(name)s: %(message)s")
    )
    logging.getLogger().addHandler(handler)


def _server_application():
    # Rebuilt in the child, from the settings it inherited (tests/browser/conftest.py).
    import importlib

    import bankdemo.asgi

    return importlib.reload(bankdemo.asgi).application


@contextmanager
def live_server() -> Iterator[str]:
    """Daphne in a child process with this process's current settings; its port."""
    process = DaphneProcess("127.0.0.1", _server_application, setup=_server_setup)
    process.start()
    try:
        if not process.ready.wait(timeout=20):
            raise RuntimeError("daphne did not start")
        yield f"127.0.0.1:{process.port.value}"
    finally:
        process.terminate()
        process.join(5)


def server_output(capfd) -> str:
    """What this process and the server it forked wrote since the test began."""
    out, err = capfd.readouterr()
    return out + err


def assert_clean(output: str) -> None:
    for forbidden in FORBIDDEN_OUTPUT:
        assert forbidden not in output, output


async def open_socket(address: str, cookie: str):
    return await websockets.connect(
        f"ws://{address}/ws/session/",
        origin=websockets.Origin(f"http://{address}"),
        additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"},
        open_timeout=5,
    )


async def receive_type(socket, kind: str, seen: list, timeout: float = 5.0) -> dict:
    """Receive frames (kept in ``seen``) until one of ``kind`` arrives."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {kind!r} frame in {timeout} s; saw {seen}")
        try:
            frame = json.loads(await asyncio.wait_for(socket.recv(), remaining))
        except TimeoutError:
            continue
        seen.append(frame)
        if frame["type"] == kind:
            return frame


async def handshake_outcome(address: str, cookie: str) -> str:
    """How a new socket fares: "state", "closed <code>" or "refused <status>"."""
    try:
        socket = await open_socket(address, cookie)
    except websockets.InvalidStatus as exc:
        return f"refused {exc.response.status_code}"
    try:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
        return frame["type"]
    except websockets.ConnectionClosed as exc:
        return f"closed {exc.rcvd.code if exc.rcvd else None}"
    finally:
        await socket.close()


@pytest.mark.django_db(transaction=True)
def test_an_open_socket_rides_out_a_blip_and_new_ones_are_told_to_wait(
    private_redis, settings, demo, capfd
):
    serve_from(settings, private_redis.url())
    cookie = sign_in_alice().cookies[settings.SESSION_COOKIE_NAME].value

    async def scenario() -> dict:
        seen: list[dict] = []
        socket = await open_socket(address, cookie)
        await receive_type(socket, "state", seen)
        private_redis.pause()
        paused = time.monotonic()
        try:
            # The ping makes the socket read the store, which does not answer: the
            # socket gives up on that read (~1 s) and stays, it does not hang.
            await socket.send(json.dumps({"type": "ping"}))
            _, during = await asyncio.gather(
                receive_type(socket, "pong", seen, timeout=4),
                handshake_outcome(address, cookie),
            )
            while time.monotonic() - paused < 2.0:
                await asyncio.sleep(0.05)
        finally:
            private_redis.resume()
        blip = time.monotonic() - paused
        await socket.send(json.dumps({"type": "ping"}))
        await receive_type(socket, "pong", seen, timeout=5)
        # Past the socket's own retry (~2 s after the read that failed): no end.
        with contextlib.suppress(TimeoutError):
            await receive_type(socket, "expired", seen, paused + 3.8 - time.monotonic())
        await socket.send(json.dumps({"type": "ping"}))
        await receive_type(socket, "pong", seen, timeout=5)
        after = await handshake_outcome(address, cookie)
        await socket.close()
        return {"seen": seen, "during": during, "after": after, "blip": blip}

    with live_server() as address:
        result = async_to_sync(scenario)()
    caches["default"].close()

    output = server_output(capfd)
    with capfd.disabled():
        print(f"\nblip {result['blip']:.1f} s; frames {result['seen']}")
        print(f"new socket during: {result['during']}, after: {result['after']}")
    assert not [frame for frame in result["seen"] if frame["type"] == "expired"]
    # RFC 6455 "Try Again Later" (or a refused handshake): not 1011, an error.
    assert result["during"] == f"closed {CLOSE_TRY_AGAIN_LATER}" or result[
        "during"
    ].startswith("refused"), output
    assert result["after"] == "state"
    assert SessionRecord.objects.live().count() == 1
    assert_clean(output)


@pytest.mark.django_db(transaction=True)
def test_a_rotation_reaches_an_open_socket_at_once_after_redis_restarts_empty(
    private_redis, settings, demo, capfd
):
    # Sessions stay in the database, so they survive; only the layer loses its data.
    settings.CHANNEL_LAYERS = layer_on(private_redis.url())
    cookie = sign_in_alice().cookies[settings.SESSION_COOKIE_NAME].value
    broadcast_group = b"outage-test:group:sessions_core.all"

    async def scenario() -> dict:
        seen: list[dict] = []
        socket = await open_socket(address, cookie)
        await receive_type(socket, "state", seen)
        probe = private_redis.client()
        assert probe.exists(broadcast_group)
        probe.close()

        private_redis.kill()
        killed = time.monotonic()
        private_redis.start()  # empty, on the same port
        restarted = time.monotonic()
        # The server rejoins its groups once it notices; give it up to 1.5 s.
        probe = private_redis.client()
        rejoined = None
        while time.monotonic() - restarted < 1.5:
            if probe.exists(broadcast_group):
                rejoined = time.monotonic() - restarted
                break
            await asyncio.sleep(0.01)
        probe.close()

        async def hear_the_end():
            frame = await receive_type(socket, "expired", seen, timeout=5)
            return frame, time.monotonic()

        listening = asyncio.ensure_future(hear_the_end())
        rotating = time.monotonic()
        await sync_to_async(rotation.rotate_keys)(grace=0)
        rotated = time.monotonic() - rotating
        try:
            expired, heard_at = await listening
            heard = heard_at - rotating
        except TimeoutError:
            expired, heard = None, None
        await socket.close()
        return {
            "seen": seen,
            "down": restarted - killed,
            "rejoined": rejoined,
            "rotated": rotated,
            "expired": expired,
            "heard": heard,
        }

    with live_server() as address:
        result = async_to_sync(scenario)()

    output = server_output(capfd)
    with capfd.disabled():
        print(
            f"\nRedis down {result['down']:.3f} s; broadcast group rejoined "
            f"{result['rejoined']} s after it answered; rotate_keys took "
            f"{result['rotated']:.3f} s; the socket heard it {result['heard']} s "
            f"after the rotation began; frames {[f['type'] for f in result['seen']]}"
        )
    assert result["expired"] is not None, output
    assert result["expired"]["reason"] == "key_rotated"
    assert result["heard"] < 1.0
    assert result["rejoined"] is not None, output
    assert_clean(output)
