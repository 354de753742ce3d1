"""What the policy decides, as values: the limits a session is judged by, and the
frozen verdict on it (``sessions_core.policy`` makes them; nothing else does).

A verdict carries its moments (deadlines as seconds since the epoch) so that those
who schedule or show them never add limits to timestamps themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from .reasons import EndReason


class State(StrEnum):
    ACTIVE = "active"
    WARN = "warn"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Limits:
    idle: int
    absolute: int
    warning_lead: int


class Verdict(NamedTuple):
    """Frozen, like a dataclass(frozen=True), but a tuple: made on every signed-in
    request, and a frozen dataclass of eleven fields took 1.8 µs to make."""

    state: State
    reason: EndReason | None
    idle_expires_in: float
    absolute_expires_in: float
    warning_lead: int
    # Which limit comes first ("idle" or "absolute"), and in how many seconds.
    kind: str
    expires_in: float
    # Seconds until the warning for the nearer limit starts (0 once it has).
    warn_in: float
    # When it was judged (seconds since the epoch): the seconds above count from it.
    at: float = 0.0
    # The limits the session was judged by.
    limits: Limits | None = None
    # Seconds until the session's key version retires, if a rotation retired it.
    key_expires_in: float | None = None

    @property
    def expired(self) -> bool:
        return self.state is State.EXPIRED

    # Deadlines as moments (seconds since the epoch), for those who schedule or
    # show them: nobody else adds limits to timestamps.
    @property
    def idle_deadline(self) -> float:
        return self.at + self.idle_expires_in

    @property
    def absolute_deadline(self) -> float:
        return self.at + self.absolute_expires_in

    @property
    def counts_from(self) -> float:
        """The moment the idle limit counts from: the last activity judged, or the
        sign-in if none came after it."""
        return self.idle_deadline - self.limits.idle

    @property
    def deadline(self) -> float:
        """When the nearer limit (``kind``) is reached."""
        return self.at + self.expires_in

    @property
    def key_retired_at(self) -> float | None:
        """When the session's key version retires(d), if a rotation retired it."""
        return None if self.key_expires_in is None else self.at + self.key_expires_in

    def seconds_left(self, now: float) -> tuple[float, float]:
        """Seconds from ``now`` to the idle and the absolute deadline (never < 0)."""
        return (
            max(self.idle_deadline - now, 0.0),
            max(self.absolute_deadline - now, 0.0),
        )

    def next_wake(self, *, warned: bool) -> float:
        """When a tab acts next on this verdict: its warning, or once warned its
        end, or the moment a rotation retires its key, whichever is first."""
        wake = self.deadline if warned else self.deadline - self.warning_lead
        if self.key_expires_in is not None:
            wake = min(wake, self.at + self.key_expires_in)
        return wake
