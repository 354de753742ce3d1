"""What idle sockets cost one daphne process: CPU per second and memory per socket.

    .venv/bin/python bench/idle.py                  # 1,000 sockets, 60 s, 3 rounds
    .venv/bin/python bench/idle.py --sockets 5000 --window 60 --rounds 3

The same signed-in sockets are opened on four applications, one daphne each: a raw
ASGI websocket app (the server's floor), a bare Channels consumer, bankdemo, and
bankdemo again (the A/A pair: how far two runs of the same thing differ). Then
nothing happens for ``--window`` seconds, and the server's CPU time (user +
system, from /proc) over that window is divided by its length. daphne pings every
idle socket every 20 s on all four. Rounds rotate the order of the applications.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from pathlib import Path

from harness import BENCH_REDIS_URL  # noqa: F401  (first: it sets the path up)
from live import LiveStack, make_users, open_sockets, sign_in

APPS = [
    ("raw ASGI", "bench.raw_asgi:application"),
    ("bare Channels", "bench.bare_asgi:application"),
    ("bankdemo", "bankdemo.asgi:application"),
    ("bankdemo (A/A)", "bankdemo.asgi:application"),
]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


async def measure(stack: LiveStack, keys: list[str], app: str, window: float):
    stack.start(app)
    try:
        await asyncio.sleep(2)
        before = stack.rss_kib()
        sockets = await open_sockets(stack, keys)
        await asyncio.sleep(5)  # handshakes and first reads settle
        kib = (stack.rss_kib() - before) / len(keys)
        pid = stack.process.pid
        start = cpu_seconds(pid)
        await asyncio.sleep(window)
        ms_per_s = (cpu_seconds(pid) - start) / window * 1000
        open_at_end = sum(1 for s in sockets if s.close_code is None)
        for socket in sockets:
            await socket.close()
        return ms_per_s, kib, open_at_end
    finally:
        stack.stop(flush=False)


async def run(count: int, window: float, rounds: int) -> None:
    stack = LiveStack(SESSION_IDLE_TIMEOUT="900", SESSION_WARNING_LEAD="600")
    stack.setup_django()
    users = make_users(50)
    keys = [sign_in(users[i % len(users)]) for i in range(count)]
    cpu: dict[str, list[float]] = {}
    memory: dict[str, list[float]] = {}
    for round_ in range(rounds):
        shift = round_ % len(APPS)
        for name, app in APPS[shift:] + APPS[:shift]:
            ms, kib, still_open = await measure(stack, keys, app, window)
            cpu.setdefault(name, []).append(ms)
            memory.setdefault(name, []).append(kib)
            print(
                f"round {round_ + 1}: {name:15} {ms:6.1f} ms/s CPU, {kib:5.1f} KiB"
                f"/socket, {still_open}/{count} open at the end",
                flush=True,
            )

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):6.1f} ({min(values):.1f}-{max(values):.1f})"

    bare_cpu = statistics.median(cpu["bare Channels"])
    raw_kib = statistics.median(memory["raw ASGI"])
    print(f"\n{count} idle sockets, {window:.0f} s window, {rounds} round(s): median")
    for name, _ in APPS:
        ms, kib = statistics.median(cpu[name]), statistics.median(memory[name])
        print(
            f"  {name:15} CPU {spread(cpu[name])} ms/s = {ms / bare_cpu:.2f}x bare "
            f"Channels; memory {spread(memory[name])} KiB/socket = "
            f"{kib / raw_kib:.2f}x raw ASGI"
        )
    aa = statistics.median(cpu["bankdemo (A/A)"]) / statistics.median(cpu["bankdemo"])
    print(f"  A/A: bankdemo's second run / first = {aa:.2f} (CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.sockets, args.window, args.rounds))


if __name__ == "__main__":
    main()
