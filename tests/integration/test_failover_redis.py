"""Redis restarted with persistence: nothing is lost, and daphne is not restarted.

A redis-server of this test's own (append-only file, fsynced on every write, in
tmp_path) is killed with -9 and started again on the same port and directory,
under a real daphne that keeps running. The signed-in cookie still gets its page,
the open tab still answers, a new tab gets its state, the session's channel group
is there again, and a force sign-out made after the restart reaches the open tab
within a second. (Restarted without persistence the session is lost, and that is
named ``store_lost``: tests/integration/test_outage.py.)
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time

import pytest
import websockets
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core.cache import caches

from sessions_core import notify, services
from sessions_core.models import SessionRecord
from tests import outage_redis
from tests.conftest import require
from tests.integration.test_outage import (
    assert_clean,
    handshake_outcome,
    live_server,
    open_socket,
    receive_type,
    serve_from,
    server_output,
    sign_in_alice,
)

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

PREFIX = "outage-test"  # the channel layer's, as layer_on sets it


@pytest.fixture
def persistent_redis(tmp_path):
    if not outage_redis.available():
        require("redis-server", "not on PATH (apt-get install redis-server)")
    server = outage_redis.PrivateRedis(tmp_path / "redis", persistent=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def get_page(address: str, cookie: str, path: str = "/") -> tuple[int, str, str]:
    """GET ``path`` from the live server with only this cookie: status, Location,
    body. Redirects are not followed."""
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request(
            "GET", path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
        )
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, response.getheader("Location") or "", body
    finally:
        connection.close()


async def signed_in_page(address: str, cookie: str, timeout: float = 5.0) -> dict:
    """Poll / until it is not an outage page (503); its status, and the 503s seen."""
    outages = 0
    deadline = time.monotonic() + timeout
    while True:
        status, location, body = await asyncio.to_thread(get_page, address, cookie)
        if status != 503 or time.monotonic() > deadline:
            return {
                "status": status,
                "location": location,
                "signed_in": "Signed in as" in body,
                "outages": outages,
            }
        outages += 1
        await asyncio.sleep(0.05)


async def pong(socket, seen: list, timeout: float = 5.0) -> float | None:
    """Ping; how long the pong took (the socket reads the store for it), or None."""
    started = time.monotonic()
    try:
        await socket.send(json.dumps({"type": "ping"}))
        await receive_type(socket, "pong", seen, timeout=timeout)
    except (TimeoutError, websockets.ConnectionClosed):
        return None
    return time.monotonic() - started


@pytest.mark.django_db(transaction=True)
def test_a_redis_restarted_with_its_data_keeps_sessions_tabs_and_groups(
    persistent_redis, settings, demo, capfd
):
    serve_from(settings, persistent_redis.url())
    cookie = sign_in_alice().cookies[settings.SESSION_COOKIE_NAME].value
    record = SessionRecord.objects.live().get(user=demo["alice"])
    group = f"{PREFIX}:group:{notify.session_group(record.pk)}".encode()

    async def scenario() -> dict:
        seen: list[dict] = []
        before = await signed_in_page(address, cookie)
        socket = await open_socket(address, cookie)
        await receive_type(socket, "state", seen)
        probe = persistent_redis.client()
        members = probe.zrange(group, 0, -1)
        probe.close()
        assert members, f"the tab's server is not in {group!r}"

        persistent_redis.kill()  # -9: what was fsynced is all there is
        persistent_redis.start()
        restarted = time.monotonic()
        probe = persistent_redis.client()
        kept = probe.dbsize()
        # Read back from the file, before any request or rejoin could write it.
        loaded = set(members) <= set(probe.zrange(group, 0, -1))
        probe.close()

        after = await signed_in_page(address, cookie)
        pinged = await pong(socket, seen)
        new_tab = await handshake_outcome(address, cookie)

        # The same server channel is (still) in the session's group, within 1.5 s.
        probe = persistent_redis.client()
        rejoined = None
        while time.monotonic() - restarted < 1.5:
            if set(members) <= set(probe.zrange(group, 0, -1)):
                rejoined = time.monotonic() - restarted
                break
            await asyncio.sleep(0.01)
        probe.close()
        ended_early = [frame for frame in seen if frame["type"] == "expired"]

        async def hear_the_end():
            frame = await receive_type(socket, "expired", seen, timeout=5)
            return frame, time.monotonic()

        listening = asyncio.ensure_future(hear_the_end())
        forcing = time.monotonic()
        forced = await sync_to_async(services.force_logout_sessions)(
            record_ids=[record.pk], by=demo["admin"]
        )
        try:
            expired, heard_at = await listening
            heard = heard_at - forcing
        except (TimeoutError, websockets.ConnectionClosed):
            expired, heard = None, None
        await socket.close()
        ended = await signed_in_page(address, cookie)
        return {
            "seen": seen,
            "before": before,
            "kept": kept,
            "loaded": loaded,
            "after": after,
            "pinged": pinged,
            "new_tab": new_tab,
            "rejoined": rejoined,
            "ended_early": ended_early,
            "forced": forced,
            "expired": expired,
            "heard": heard,
            "ended": ended,
        }

    with live_server() as address:
        result = async_to_sync(scenario)()
    caches["default"].close()

    output = server_output(capfd)
    with capfd.disabled():
        print(
            f"\nkeys after the restart {result['kept']} (group loaded: "
            f"{result['loaded']}); page after {result['after']}; "
            f"pong after {result['pinged']} s; new tab: {result['new_tab']}; group "
            f"membership checked {result['rejoined']} s after Redis answered (after the"
            f" page, the pong and the new tab); the tab "
            f"heard the force sign-out {result['heard']} s after it began; "
            f"frames {[frame['type'] for frame in result['seen']]}"
        )
    assert result["before"]["status"] == 200 and result["before"]["signed_in"]
    assert result["kept"] > 0, "Redis came back empty: no persistence?"
    assert result["loaded"], "the group membership was not read back from the file"
    # The same cookie, on the same daphne: still signed in, not sent to /login/.
    after = result["after"]
    assert (after["status"], after["signed_in"]) == (200, True), (after, output)
    assert not result["ended_early"], result["seen"]
    assert result["pinged"] is not None, result["seen"]
    assert result["new_tab"] == "state", output
    assert result["rejoined"] is not None, output
    assert result["forced"] == 1
    assert result["expired"] is not None, output
    assert result["expired"]["reason"] == "admin"
    assert result["heard"] < 1.0
    ended = result["ended"]
    assert ended["status"] == 302 and ended["location"].startswith("/login/"), ended
    record.refresh_from_db()
    assert (record.is_live, record.end_reason) == (False, "admin")
    assert_clean(output)
