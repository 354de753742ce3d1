"""daphne against uvicorn on the same idle sockets: resident memory per socket.

    .venv/bin/python bench/servers.py                 # 1,000 sockets, 3 rounds
    .venv/bin/python bench/servers.py --sockets 5000 --rounds 1

For each server, three applications: a raw ASGI websocket app (the server's own
floor), a bare Channels consumer (bench/bare_asgi.py) and bankdemo's. Each opens
the same signed-in sockets and reports the growth of the server's RSS per socket;
rounds alternate the order of the servers. uvicorn runs with its websockets
implementation (the sans-I/O one: the legacy one and wsproto took about twice as
much per socket when this was written). Needs `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

from harness import BENCH_REDIS_URL  # noqa: F401  (first: it sets the path up)
from live import LiveStack, make_users, open_sockets, sign_in

APPS = {
    "raw ASGI": "bench.raw_asgi:application",
    "bare Channels": "bench.bare_asgi:application",
    "bankdemo": "bankdemo.asgi:application",
}
SERVERS = ("daphne", "uvicorn")


async def per_socket(stack: LiveStack, keys: list[str], app: str, server: str) -> float:
    stack.start(app, server)
    try:
        await asyncio.sleep(2)
        before = stack.rss_kib()
        sockets = await open_sockets(stack, keys)
        await asyncio.sleep(3)
        grown = (stack.rss_kib() - before) / len(keys)
        for socket in sockets:
            await socket.close()
        return grown
    finally:
        stack.stop(flush=False)


async def run(count: int, rounds: int) -> None:
    stack = LiveStack(SESSION_IDLE_TIMEOUT="900", SESSION_WARNING_LEAD="600")
    stack.setup_django()
    users = make_users(50)
    keys = [sign_in(users[i % len(users)]) for i in range(count)]
    figures: dict[tuple[str, str], list[float]] = {}
    for round_ in range(rounds):
        servers = SERVERS if round_ % 2 == 0 else SERVERS[::-1]
        for server in servers:
            for name, app in APPS.items():
                kib = await per_socket(stack, keys, app, server)
                figures.setdefault((server, name), []).append(kib)
                print(f"round {round_ + 1}: {server:7} {name:13} {kib:6.1f} KiB/socket")
    print(f"\n{count} sockets, {rounds} round(s): median (min-max) KiB per socket")
    for server in SERVERS:
        floor = statistics.median(figures[(server, "raw ASGI")])
        for name in APPS:
            values = figures[(server, name)]
            median = statistics.median(values)
            print(
                f"  {server:7} {name:13} {median:6.1f} ({min(values):.1f}-"
                f"{max(values):.1f}); {median / floor:.2f}x its raw ASGI floor"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.sockets, args.rounds))


if __name__ == "__main__":
    main()
