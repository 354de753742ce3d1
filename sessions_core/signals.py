"""Signals sessions_core sends.

The project counts, traces or alerts on them (metrics, say) without sessions_core
knowing how. All but ``session_ended`` and ``sessions_ended`` (sent by the
``SessionRecord`` model) are sent with ``sender=SENDER``; with nobody
listening, a send costs one check.
"""

from __future__ import annotations

from django.dispatch import Signal

SENDER = "sessions_core"

# Sent once for every session that ends, whatever the reason, except those the
# key-rotation purge ends in bulk (below), as bulk_create sends no post_save.
# Arguments: reason (EndReason), record (SessionRecord), by (user or None).
session_ended = Signal()

# Sent once for each batch of sessions the key-rotation purge ended together.
# Arguments: reason (EndReason), count (int), records (a lazy QuerySet of exactly
# those records: iterate it only if you need them, it is one more query).
sessions_ended = Signal()

# A sign-in was recorded. Arguments: record (SessionRecord).
session_started = Signal()

# Activity was written for a tab or page. Arguments: deliberate (True for "Stay
# signed in", False for the person's input reported by an open page).
session_extended = Signal()

# An open tab was sent a warning. Arguments: kind ("idle" or "absolute"), lateness
# (seconds from the moment the warning was due to its frame being sent).
warning_sent = Signal()

# A websocket was accepted for a signed-in session, or one of those closed.
socket_opened = Signal()
socket_closed = Signal()

# An end reached an open tab. Arguments: reason (str), latency (seconds from the
# notification's send to the tab's frame, or None when the message had no stamp).
end_delivered = Signal()

# A purge or sweep batch ran. Arguments: task ("purge" or "sweep"), ended (int),
# selected (int).
batch_done = Signal()

# The session store could not be reached. Arguments: door ("http" or "socket").
store_unavailable = Signal()
