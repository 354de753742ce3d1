"""Admin: the session list, force sign-out, key rotation and the audit log.

Every page and action needs its model permission (``view_sessionrecord``,
``view_sessionevent``) or the app's own (``end_session``, ``rotate_keys``).
No page shows a whole session key: records are named by a digest prefix.
"""

from . import events, keys, records, users
from .users import ForceSignOutAllMixin

__all__ = ["ForceSignOutAllMixin", "events", "keys", "records", "users"]
