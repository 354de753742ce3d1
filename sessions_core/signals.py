"""Signals sessions_core sends."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once for every session that ends, whatever the reason.
# Arguments: reason (EndReason), record (SessionRecord), by (user or None).
session_ended = Signal()
