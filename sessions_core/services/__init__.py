"""Everything that changes a session's life: start, activity, extend, end.

Views, middleware, consumer, admin actions, commands and tasks are thin doors onto
these functions. Each end goes through ``end_sessions``, which writes the end into
the store, records the reason, writes the audit log, sends ``session_ended`` and
tells the session's open tabs.
"""

from .activity import extend_by_key, keep_latest_activity, record_activity
from .audit import log_event, to_datetime
from .ends import (
    end_current,
    end_lost_session,
    end_other_sessions,
    end_sessions,
    force_logout,
    force_logout_sessions,
)
from .starts import enforce_session_cap, rekey, start_session
from .sweeps import sweep_all, sweep_batch
from .tokens import TokenPair, TokenRefused, TokenSession

__all__ = [
    "TokenPair",
    "TokenRefused",
    "TokenSession",
    "end_current",
    "end_lost_session",
    "end_other_sessions",
    "end_sessions",
    "enforce_session_cap",
    "extend_by_key",
    "force_logout",
    "force_logout_sessions",
    "keep_latest_activity",
    "log_event",
    "record_activity",
    "rekey",
    "start_session",
    "sweep_all",
    "sweep_batch",
    "to_datetime",
]
