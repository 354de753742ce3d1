"""bankdemo's ASGI application with a probe: what the server itself measured.

For the benchmarks only (``LiveStack.start("bench.probe:application")``). GET
/bench-probe/ answers with what this process saw: each warning's lateness (from
the moment it was due to its frame, ``signals.warning_sent``), each end's delivery
latency (from the sender to the tab's frame, ``signals.end_delivered``), the
pauses of CPython's full garbage collections (``gc.callbacks``), and when each
sweep of the open tabs read the store (``socket_sweep._stale``, wrapped here). With
``?profile=start`` and ``?profile=stop`` it profiles the server in between;
``?memory=mark`` and ``?memory=diff`` show what was allocated in between.
"""

from __future__ import annotations

import cProfile
import gc
import json
import os
import time

from bankdemo.asgi import application as bankdemo
from sessions_core import signals, socket_sweep

seen: dict[str, list] = {"warnings": [], "ends": [], "full_gc": [], "sweeps": []}
_gc_started = [0.0]


def _warned(sender, kind, lateness=None, **kwargs):
    seen["warnings"].append((time.time(), lateness))


def _delivered(sender, reason, latency=None, **kwargs):
    seen["ends"].append((time.time(), latency))


def _gc(phase, info):
    if info["generation"] != 2:
        return
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        seen["full_gc"].append((time.time(), time.perf_counter() - _gc_started[0]))


_stale = socket_sweep._stale


def _timed_stale(tabs):
    """The sweep's batched read, timed: (start, end, tabs) of each."""
    started = time.time()
    try:
        return _stale(tabs)
    finally:
        seen["sweeps"].append((started, time.time(), len(tabs)))


socket_sweep._stale = _timed_stale
signals.warning_sent.connect(_warned, weak=False)
signals.end_delivered.connect(_delivered, weak=False)
gc.callbacks.append(_gc)


_profile: list[cProfile.Profile] = []


def _profiling(action: str) -> None:
    """?profile=start, then ?profile=stop writes $BENCH_PROFILE (pstats)."""
    if action == "start":
        _profile[:] = [cProfile.Profile()]
        _profile[0].enable()
    elif action == "stop" and _profile:
        _profile[0].disable()
        _profile.pop().dump_stats(os.environ.get("BENCH_PROFILE", "server.pstats"))


_snapshots: list = []


def _memory(action: str) -> list[str]:
    """?memory=mark, then ?memory=diff: the lines that allocated most since the
    mark (needs PYTHONTRACEMALLOC set for the server)."""
    import tracemalloc

    if not tracemalloc.is_tracing():
        return ["start the server with PYTHONTRACEMALLOC=1"]
    gc.collect()
    if action == "mark":
        _snapshots[:] = [tracemalloc.take_snapshot()]
        return []
    diff = tracemalloc.take_snapshot().compare_to(_snapshots[0], "lineno")
    return [str(line) for line in diff[:40]]


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/bench-probe/":
        query = scope.get("query_string", b"").decode()
        memory = []
        if query.startswith("profile="):
            _profiling(query.split("=", 1)[1])
        elif query.startswith("memory="):
            memory = _memory(query.split("=", 1)[1])
        body = json.dumps(
            {**seen, "tracked": len(gc.get_objects()), "memory": memory}
        ).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await bankdemo(scope, receive, send)
