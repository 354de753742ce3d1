"""Test settings: the embedded stack, fast hashing, and a test Redis of our own."""

import os

os.environ.pop("REDIS_URL", None)
os.environ.pop("DATABASE_URL", None)

from bankdemo.settings import *  # noqa: E402,F403
from bankdemo.settings import BASE_DIR, SQLITE_OPTIONS  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
        "OPTIONS": SQLITE_OPTIONS,
        # A file, not memory: the live daphne server of the browser tests is
        # another process and must see the same database.
        # One per test run (pid): two runs at once must not share a database.
        "TEST": {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")},
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "sessions_core.backends.db"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True

# Every request reads the key versions: tests must see a rotation at once.
SESSIONS_CORE_KEY_VERSION_TTL = 0
SESSIONS_CORE_IDLE_TIMEOUT = 600
SESSIONS_CORE_STAFF_IDLE_TIMEOUT = 300
SESSIONS_CORE_ABSOLUTE_TIMEOUT = 14400
SESSIONS_CORE_WARNING_LEAD = 120
SESSIONS_CORE_MAX_PER_USER = 3
SESSION_COOKIE_AGE = SESSIONS_CORE_ABSOLUTE_TIMEOUT

# A Redis database number of our own; the fixtures flush it before and after.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
LOGGING = {"version": 1, "disable_existing_loggers": False}
