"""A bare Django project that adopts sessions_core by following its README.

It knows nothing of any other app in this repository: only what
sessions_core/README.md tells an adopter to add, on SQLite, with the in-process
channel layer and the database session engine (no Redis, no Celery).
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "hostproject-tests-only-not-a-secret-7d1c5e0b9a"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "channels",  # README step 1
    "sessions_core",  # README step 1
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # README step 2: in place of django.contrib.sessions.middleware.SessionMiddleware.
    "sessions_core.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # README step 2: after AuthenticationMiddleware.
    "sessions_core.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tests.hostproject.urls"
ASGI_APPLICATION = "tests.hostproject.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                # README step 4.
                "sessions_core.context_processors.session_lifetime",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / ".test-db-host.sqlite3",
        # Websocket reads run in worker threads while requests write.
        "OPTIONS": {"timeout": 20},
        # A file, one per test run (pid): two runs at once never share a database.
        "TEST": {"NAME": str(BASE_DIR / f".test-db-host-{os.getpid()}.sqlite3")},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only

# README step 3: sessions whose ends are final, in the database.
SESSION_ENGINE = "sessions_core.backends.db"
# README step 3: a channel layer (one process here).
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# README step 5: where the sign-in page is, and where sign-in and sign-out go.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

USE_TZ = True
STATIC_URL = "static/"
