"""One channel per process hands group messages to the open tabs it serves."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.contrib.auth import get_user_model

from sessions_core import fanout, notify, services, socket_sweep
from sessions_core.models import SessionRecord
from sessions_core.reasons import EndReason
from tests.integration.test_consumer import (
    open_tab,
    receive_type,
    run,
    signed_in_client,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(60),
]


def members(group: str) -> set[str]:
    return set(get_channel_layer().groups.get(group, {}))


async def until(condition, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def test_tabs_of_a_session_share_the_process_channel_until_the_last_closes(alice):
    client = signed_in_client(alice)
    group = notify.session_group(SessionRecord.objects.get(user=alice).pk)

    async def scenario():
        one, two = await open_tab(client), await open_tab(client)
        channel = await fanout.hub().channel
        assert members(group) == {channel}
        assert channel in members(notify.BROADCAST_GROUP)

        await one.disconnect()
        assert members(group) == {channel}
        await notify.send_to_groups([group], notify.ended_message("admin"))
        assert (await receive_type(two, "expired", timeout=2))["reason"] == "admin"

        await two.disconnect()
        await until(lambda: group not in get_channel_layer().groups)
        assert channel in members(notify.BROADCAST_GROUP)

    run(scenario)


class SlowToLeave(InMemoryChannelLayer):
    async def group_discard(self, group, channel):
        await asyncio.sleep(0.05)
        await super().group_discard(group, channel)


def test_a_tab_opened_while_the_last_one_leaves_keeps_the_group():
    """A page load: the old page's socket closes as the new page's opens."""

    async def scenario():
        layer = SlowToLeave()
        hub = fanout.Hub(layer, asyncio.get_running_loop())
        old_page, new_page = object(), object()
        await hub.subscribe(old_page, "g")
        hub.unsubscribe(old_page, "g")
        await asyncio.sleep(0.01)  # the leave is on its way
        await hub.subscribe(new_page, "g")
        await asyncio.sleep(0.1)
        return set(layer.groups.get("g", {})), await hub.channel

    members_of_g, channel = run(scenario)
    assert members_of_g == {channel}


def test_an_end_of_many_sessions_at_once_reaches_every_tab(demo):
    """120 sessions' groups, all served by the one channel of this process."""
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"many{n}") for n in range(120)
    )
    clients = [signed_in_client(user) for user in users]

    async def scenario():
        tabs = [await open_tab(client) for client in clients]
        records = await sync_to_async(list)(
            SessionRecord.objects.filter(user__in=users).select_related("user")
        )
        await sync_to_async(services.end_sessions)(
            records=records, reason=EndReason.ADMIN
        )
        ends = [await receive_type(tab, "expired", timeout=5) for tab in tabs]
        return {end["reason"] for end in ends}

    assert run(scenario) == {"admin"}


def test_a_channel_that_fails_then_answers_has_every_tab_read_again(alice, monkeypatch):
    """Redis came back before the first rejoin, so no join failed: messages sent
    while the channel was away are lost all the same, and the process's tabs
    re-read their sessions at once, not at the backstop."""
    client = signed_in_client(alice)
    layer = get_channel_layer()
    real_receive, real_soon = layer.receive, socket_sweep.Sweep.soon
    receives, swept = [], []

    async def fails_once(channel):
        receives.append(channel)
        if len(receives) == 1:
            raise ConnectionError("the layer's connection dropped")
        return await real_receive(channel)

    def soon(sweep):
        swept.append(sweep)
        real_soon(sweep)

    async def scenario():
        monkeypatch.setattr(layer, "receive", fails_once)
        monkeypatch.setattr(socket_sweep.Sweep, "soon", soon)
        tab = await open_tab(client)
        await until(lambda: swept)
        await until(lambda: len(receives) >= 2)  # and it listens again
        await tab.disconnect()

    run(scenario)
