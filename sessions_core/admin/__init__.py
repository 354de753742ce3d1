"""Admin: the session list, force sign-out, key rotation and the audit log.

No page shows a whole session key: records are named by a digest prefix.
"""

from . import keys, records, users
from .users import ForceSignOutAllMixin

__all__ = ["ForceSignOutAllMixin", "keys", "records", "users"]
