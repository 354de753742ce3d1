"""Settings for bankdemo, read from the environment with safe demo defaults.

Without REDIS_URL and DATABASE_URL the demo runs embedded: SQLite, an in-process
channel layer and Celery tasks run in-process. REDIS_URL switches sessions, cache,
channel layer and Celery broker to Redis; DATABASE_URL switches to PostgreSQL.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(
            f"{name} must be a whole number of seconds, not {raw!r}"
        ) from exc


def _env_pounds(name: str, default: str) -> Decimal:
    raw = os.environ.get(name, "").strip() or default
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise SystemExit(f"{name} must be an amount in pounds, not {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DJANGO_DEBUG", True)
DEMO_SECRET_KEY = "demo-only-insecure-key-change-me-0b7f3c2e9a4d4e1f8c6a"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEMO_SECRET_KEY)
SECRET_KEY_FALLBACKS = [
    key for key in os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "").split(",") if key
]
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin
    for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "sessions_core",
    "bankdemo.banking",
]

MIDDLEWARE = [
    # /healthz, /readyz and /metrics, before any session is read (bankdemo.ops).
    "bankdemo.ops.OpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, but a session that ended mid-request or a store that is down gets
    # its own answer (the reason, or the outage page), not a 400 or a 500.
    "sessions_core.middleware.SessionMiddleware",
    # The language from the switcher's cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sessions_core.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes wants to be last: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bankdemo.urls"
ASGI_APPLICATION = "bankdemo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sessions_core.context_processors.session_lifetime",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()

# SQLite serves daphne's threads and an in-process Celery at once: IMMEDIATE
# transactions take the write lock up front instead of failing with "database is
# locked" when two readers both try to write; WAL lets reads go on during a write.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if DATABASE_URL
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS


def postgres_pool(*, role: str) -> dict | None:
    """The psycopg pool of one process, sized so the machine stays below
    PostgreSQL's max_connections (README "make stack" has the arithmetic).

    Under ASGI every request runs in a thread of its own, and CONN_MAX_AGE > 0 kept
    a connection per thread: 50 clients exhausted 100 connections. A pool caps a
    process at ``max_size``; a request beyond it waits up to ``timeout`` seconds.
    Celery workers (prefork: one task at a time per child) and one-off commands use
    one plain connection, closed after each task or request (CONN_MAX_AGE=0): a
    pool's threads must not be forked into the worker's children.
    """
    if role != "asgi":
        return None
    budget = _env_int("DB_MAX_CONNECTIONS", 100) - _env_int("DB_RESERVED", 10)
    workers = _env_int("CELERY_WORKERS", 1) * _env_int("CELERY_CONCURRENCY", 2)
    per_process = (budget - workers) // max(_env_int("ASGI_PROCESSES", 1), 1)
    max_size = _env_int("DB_POOL_MAX", min(per_process, 40))
    if max_size < 2:
        raise SystemExit(
            f"DB_MAX_CONNECTIONS leaves {max_size} connection(s) per ASGI process: "
            "raise it (and PostgreSQL's max_connections) or run fewer processes"
        )
    if max_size > per_process:  # DB_POOL_MAX past the budget
        raise SystemExit(
            f"DB_POOL_MAX={max_size} is more than the {per_process} connection(s) "
            "per ASGI process that DB_MAX_CONNECTIONS leaves: lower it, or raise "
            "DB_MAX_CONNECTIONS (and PostgreSQL's max_connections)"
        )
    return {"min_size": min(2, max_size), "max_size": max_size, "timeout": 10}


# A PostgreSQL that is down must fail a request in seconds, not hang it: libpq's
# connect timeout, and TCP keepalives plus a user timeout (ms) so that a connection
# whose peer vanished (a half-open socket) errors in about 15 s, not in the
# kernel's 15 minutes of retransmissions. A server that is alive but frozen still
# holds the request: /readyz reports it as "timeout" (bankdemo.ops).
POSTGRES_OPTIONS = {
    "connect_timeout": 3,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 15000,
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = dict(POSTGRES_OPTIONS)
    if _env_bool("DB_POOL", True):
        _pool = postgres_pool(role=os.environ.get("BANKDEMO_ROLE", "asgi"))
        if _pool:
            DATABASES["default"]["OPTIONS"]["pool"] = _pool
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bankdemo",
            # A Redis that hangs must give the outage page in seconds, not minutes.
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    SESSION_ENGINE = "sessions_core.backends.redis"
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's 5 s socket_timeout would kill the idle blocking read.
                # Capacity counts a process's pending messages, all its tabs'
                # together: a burst of ends must not be dropped silently.
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "capacity": 20000,
                "prefix": "bankdemo",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "sessions_core.backends.db"
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery ----------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker killed mid-batch: its child's task goes back to the queue at once
# (reject on worker lost, acks_late), or, when the whole worker died, once Redis'
# visibility timeout passes. Kombu's default is an hour; a batch takes about a
# second (bench/purge.py), and a task still running past this is delivered twice,
# which the tasks bear (they are idempotent).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _env_int("CELERY_VISIBILITY_TIMEOUT", 300),
    # Kombu's Redis transport restores unacked messages only at a worker's start
    # and then every interval x throttle seconds (10 x 10 by default), whatever the
    # visibility timeout: a worker killed just after another started left the
    # purge stalled ~100 s (tests/integration/test_failover_worker.py).
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    # A Redis that accepts and never answers must not block a publish or /readyz's
    # worker ping for good (kombu sets no socket timeout); above kombu's 1 s BRPOP.
    "socket_timeout": 5,
    "socket_connect_timeout": 2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "sessions-core-purge-retired": {
        "task": "sessions_core.purge_retired_sessions",
        "schedule": 300.0,
    },
    "sessions-core-sweep-expired": {
        "task": "sessions_core.sweep_expired_sessions",
        "schedule": 300.0,
    },
    "sessions-core-trim-audit-log": {
        "task": "sessions_core.trim_audit_log",
        "schedule": 24 * 3600.0,
    },
}

# --- Session lifetime (sessions_core) --------------------------------------------
SESSIONS_CORE_IDLE_TIMEOUT = _env_int("SESSION_IDLE_TIMEOUT", 600)
SESSIONS_CORE_STAFF_IDLE_TIMEOUT = _env_int("SESSION_STAFF_IDLE_TIMEOUT", 300)
SESSIONS_CORE_ABSOLUTE_TIMEOUT = _env_int("SESSION_ABSOLUTE_TIMEOUT", 14400)
SESSIONS_CORE_WARNING_LEAD = _env_int("SESSION_WARNING_LEAD", 120)
SESSIONS_CORE_MAX_PER_USER = _env_int("SESSION_MAX_PER_USER", 3)
SESSIONS_CORE_TRUSTED_PROXIES = _env_int("SESSIONS_CORE_TRUSTED_PROXIES", 0)
# /metrics answers loopback clients (as the trusted proxy saw them) and this token.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()
SESSIONS_CORE_PURGE_BATCH = _env_int("SESSIONS_CORE_PURGE_BATCH", 5000)
# "Confirm it's you": how long a confirmation covers signing out other devices and
# changing the password; transfers above the amount need one of their own.
SESSIONS_CORE_STEP_UP_WINDOW = _env_int("SESSION_STEP_UP_WINDOW", 300)
# The API's tokens (/api/): an access token lives minutes; a refresh retried with the
# same used token within the grace (a lost response) gets the same pair back.
SESSIONS_CORE_ACCESS_TOKEN_TTL = _env_int("SESSION_ACCESS_TOKEN_TTL", 300)
SESSIONS_CORE_REFRESH_GRACE = _env_int("SESSION_REFRESH_GRACE", 30)
BANKING_STEP_UP_AMOUNT = _env_pounds("SESSION_STEP_UP_AMOUNT", "1000")
# How long the store keeps a session (or the tombstone of its end) after its last
# write. The cookie itself has no Expires (sessions_core.backends): the server
# decides, and a browser that comes back after a deadline is told why.
SESSION_COOKIE_AGE = SESSIONS_CORE_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Sign-in and lockout (django-axes; PCI DSS 8.3.4) ----------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "banking:overview"
LOGOUT_REDIRECT_URL = "login"
CSRF_FAILURE_VIEW = "bankdemo.errors.csrf_failure"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "sessions_core.lockout.lockout_response"
AXES_VERBOSE = False
# Lock per account, as PCI DSS 8.3.4 asks; locking per IP would lock out everyone
# behind one NAT. Rate limiting by IP belongs in the proxy in front.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

_VALIDATORS = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _VALIDATORS + "UserAttributeSimilarityValidator"},
    {"NAME": _VALIDATORS + "MinimumLengthValidator"},
    {"NAME": _VALIDATORS + "CommonPasswordValidator"},
    {"NAME": _VALIDATORS + "NumericPasswordValidator"},
]

# --- Internationalisation and static files ---------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
# The project's own words (templates/, bankdemo/); sessions_core has its own.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve straight from the apps' static folders so the demo needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Production posture (HTTPS: on by default once DEBUG is off) -------------------
# `make demo` runs with DEBUG off (the bank's own error pages, never a traceback)
# but over plain local HTTP: it sets DJANGO_HTTPS=0, where browsers would refuse
# Secure and __Host- cookies.
HTTPS = _env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# "__Host-" when Secure: with Path=/ and no Domain (Django's defaults), no subdomain
# or plain-HTTP page can plant or overwrite them (sessions_core.W006/E018). Plain
# names without HTTPS (local HTTP), where browsers refuse the prefix.
COOKIE_PREFIX = "__Host-" if HTTPS else ""
SESSION_COOKIE_NAME = COOKIE_PREFIX + "sessionid"
CSRF_COOKIE_NAME = COOKIE_PREFIX + "csrftoken"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = _env_int("DJANGO_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = HTTPS
SECURE_SSL_REDIRECT = HTTPS and _env_bool("DJANGO_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "sessions_core": {"handlers": ["console"], "level": "INFO"},
        "django.security.SuspiciousSession": {
            "handlers": ["console"],
            "level": "WARNING",
        },
    },
}

# --- The API (/api/: Django REST framework, OpenAPI by drf-spectacular) ---------------
REST_FRAMEWORK = {
    # Only sessions_core's bearer tokens: no SessionAuthentication, so no cookie
    # (and no CSRF question) on the API.
    "DEFAULT_AUTHENTICATION_CLASSES": ["sessions_core.drf.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "sessions_core.drf.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "bankdemo API",
    "DESCRIPTION": "Accounts, history, transfers, devices; tokens bound to sessions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}
