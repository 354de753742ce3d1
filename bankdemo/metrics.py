"""Prometheus series for the bank, counted from sessions_core's signals.

Counted in every process that sends them (daphne and Celery workers alike) and
summed at scrape time by prometheus_client's multiprocess mode when
``PROMETHEUS_MULTIPROC_DIR`` is set (scripts/stack.sh sets it and wipes it before
start). That mode forbids custom collectors, ``Info``, ``Enum`` and
``set_function``; gauges say how processes combine (``multiprocess_mode``).
Without the variable, one process counts for itself (the embedded demo, tests).
"""

from __future__ import annotations

import os
import threading

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from sessions_core import signals
from sessions_core.reasons import EndReason

SESSION_STARTS = Counter("bankdemo_session_starts", "Sign-ins recorded.")
SESSION_ENDS = Counter(
    "bankdemo_session_ends", "Sessions ended, by reason.", ["reason"]
)
WARNINGS = Counter(
    "bankdemo_session_warnings", "Warnings sent to open tabs, by kind.", ["kind"]
)
EXTENDS = Counter(
    "bankdemo_session_extends",
    'Activity written for open tabs: "stay" ("Stay signed in") or "input".',
    ["kind"],
)
END_PUSH = Histogram(
    "bankdemo_end_push_seconds",
    "From an end's notification being sent to the tab's expired frame.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
BATCHES = Counter(
    "bankdemo_batches", "Purge and sweep batches run by the workers.", ["task"]
)
BATCH_ENDED = Counter(
    "bankdemo_batch_sessions_ended",
    "Sessions ended by purge and sweep batches.",
    ["task"],
)
STORE_ERRORS = Counter(
    "bankdemo_store_errors",
    "Times the session store could not be reached, by door (http, socket).",
    ["door"],
)

_open_sockets: list[Gauge] = []
_open_sockets_lock = threading.Lock()


def open_sockets() -> Gauge:
    """The open-sockets gauge, made on this process's first socket.

    Per process (``liveall``). Made at import, it gave every process that imports
    this module (Celery workers and their children, beat, migrate, seed_demo) a
    series at 0 of its own, and a one-off command's outlived it on every scrape.
    """
    with _open_sockets_lock:
        if not _open_sockets:
            _open_sockets.append(
                Gauge(
                    "bankdemo_open_sockets",
                    "Websockets of signed-in tabs open in each server process.",
                    multiprocess_mode="liveall",
                )
            )
        return _open_sockets[0]


# Every series exists from the start, at 0: a rate over a counter that appears
# only with its first increment misses that increment.
for _reason in EndReason:
    SESSION_ENDS.labels(reason=_reason.value)
for _kind in ("idle", "absolute"):
    WARNINGS.labels(kind=_kind)
for _kind in ("stay", "input"):
    EXTENDS.labels(kind=_kind)
for _task in ("purge", "sweep"):
    BATCHES.labels(task=_task)
    BATCH_ENDED.labels(task=_task)
for _door in ("http", "socket"):
    STORE_ERRORS.labels(door=_door)


def _ended(sender, reason, **kwargs):
    SESSION_ENDS.labels(reason=getattr(reason, "value", reason)).inc()


def _ended_in_bulk(sender, reason, count, **kwargs):
    SESSION_ENDS.labels(reason=getattr(reason, "value", reason)).inc(count)


def _started(sender, **kwargs):
    SESSION_STARTS.inc()


def _extended(sender, deliberate, **kwargs):
    EXTENDS.labels(kind="stay" if deliberate else "input").inc()


def _warned(sender, kind, **kwargs):
    WARNINGS.labels(kind=kind).inc()


def _opened(sender, **kwargs):
    open_sockets().inc()


def _closed(sender, **kwargs):
    open_sockets().dec()


def _delivered(sender, latency, **kwargs):
    if latency is not None:
        END_PUSH.observe(latency)


def _batch(sender, task, ended, **kwargs):
    BATCHES.labels(task=task).inc()
    BATCH_ENDED.labels(task=task).inc(ended)


def _store_down(sender, door, **kwargs):
    STORE_ERRORS.labels(door=door).inc()


RECEIVERS = (
    (signals.session_ended, _ended),
    (signals.sessions_ended, _ended_in_bulk),
    (signals.session_started, _started),
    (signals.session_extended, _extended),
    (signals.warning_sent, _warned),
    (signals.socket_opened, _opened),
    (signals.socket_closed, _closed),
    (signals.end_delivered, _delivered),
    (signals.batch_done, _batch),
    (signals.store_unavailable, _store_down),
)


def connect() -> None:
    """Count sessions_core's signals (idempotent: receivers are uniquely named)."""
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"bankdemo.metrics.{receiver.__name__}")


def exposition() -> tuple[bytes, str]:
    """The text a scrape gets: every process's series, summed, or this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


def forget_process(pid: int) -> None:
    """Drop a dead process's live gauges (its counters still count)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)
