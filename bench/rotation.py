"""A key rotation told to every open tab, on one daphne process or several.

    .venv/bin/python bench/rotation.py                       # 5,000 on 1, 10,000 on 2
    .venv/bin/python bench/rotation.py --sockets 10000 --processes 2 --rounds 3

The sockets are spread evenly over the processes (bench/probe.py serves bankdemo
in each), one rotation is made with no grace, and each process reports when it
sent each tab its "expired" frame, counted from when the broadcast left the
rotating process (the same machine's clock). This client counts the tabs that
received the frame and, of those closed without it, their close codes: issue 13
asks for every one of 5,000 tabs told within 1 s on one process, 10,000 within
2 s on two, and none closed untold. The client, one Python process reading every
socket, is slower than the servers: its own "last told" is printed beside theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from collections import Counter

from harness import percentile  # first: it puts this folder last on the path
from live import LiveStack, free_port, make_users, open_sockets, sign_in


async def probe(port: int) -> dict:
    import urllib.request

    def fetch():
        url = f"http://127.0.0.1:{port}/bench-probe/"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.load(response)

    return await asyncio.to_thread(fetch)


async def one_round(stack: LiveStack, keys: list[str], processes: int) -> None:
    from asgiref.sync import sync_to_async

    from sessions_core import rotation

    ports = [free_port() for _ in range(processes)]
    servers = [
        stack.spawn("bench.probe:application", "daphne", port, f"server{i}.log")
        for i, port in enumerate(ports)
    ]
    try:
        await asyncio.sleep(2)
        sockets = await open_sockets(stack, keys, ports=ports)
        told: dict[int, float] = {}

        async def read(index, socket):
            try:
                async for raw in socket:
                    if json.loads(raw)["type"] == "expired":
                        told[index] = time.time()
            except Exception:  # closed: the end of the reading
                pass

        readers = [asyncio.ensure_future(read(i, s)) for i, s in enumerate(sockets)]
        await asyncio.sleep(3)
        gc.collect()
        gc.freeze()  # this process's own collections would show as lateness
        rotated = time.time()
        await sync_to_async(rotation.rotate_keys)(grace=0)
        deadline = time.time() + 30
        while len(told) < len(keys) and time.time() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        delivered = []
        for port in ports:
            seen = await probe(port)
            delivered += [lat * 1000 for t, lat in seen["ends"] if t >= rotated and lat]
        untold = Counter(s.close_code for i, s in enumerate(sockets) if i not in told)
        client_last = (max(told.values()) - rotated) * 1000 if told else float("nan")
        print(
            f"{len(keys)} tabs on {processes} process(es): {len(told)} told, "
            f"{sum(untold.values())} not ({dict(untold)}); at the servers p50 "
            f"{percentile(delivered, 50):.0f} ms, last {max(delivered):.0f} ms after "
            f"the broadcast ({len(delivered)} frames); at the client last "
            f"{client_last:.0f} ms",
            flush=True,
        )
        for reader in readers:
            reader.cancel()
        for socket in sockets:
            await socket.close()
        gc.unfreeze()
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)


async def run(plan: list[tuple[int, int]], rounds: int) -> None:
    stack = LiveStack(SESSION_IDLE_TIMEOUT="900", SESSION_WARNING_LEAD="600")
    stack.setup_django()
    users = make_users(50)
    largest = max(count for count, _ in plan)
    keys = [sign_in(users[i % len(users)]) for i in range(largest)]
    for _ in range(rounds):
        for count, processes in plan:
            # A rotation ends every session it reaches: sign the tabs in again.
            from sessions_core import keyring

            keyring.invalidate()
            keys[:count] = [sign_in(users[i % len(users)]) for i in range(count)]
            await one_round(stack, keys[:count], processes)
    stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, nargs="*", default=[5000, 10000])
    parser.add_argument("--processes", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    plan = list(zip(args.sockets, args.processes, strict=True))
    asyncio.run(run(plan, args.rounds))


if __name__ == "__main__":
    main()
