"""Test settings: the real settings module, made fast and self-contained."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SAMIZDAT_SECRET_KEY", "test-secret-key-" + "x" * 50)
os.environ.setdefault("SAMIZDAT_DATA_DIR", tempfile.mkdtemp(prefix="samizdat-test-"))
os.environ.setdefault("SAMIZDAT_SSL_REDIRECT", "0")
os.environ.setdefault("SAMIZDAT_SITE_URL", "http://testserver")
os.environ.setdefault("SAMIZDAT_LOG_LEVEL", "WARNING")
# Personal data is encrypted in tests as in production (fixed keys: 32 bytes, base64).
os.environ.setdefault("SAMIZDAT_DATA_KEY", "dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LTMyYj0=")
os.environ.setdefault("SAMIZDAT_LOOKUP_KEY", "dGVzdC1sb29rdXAta2V5LXRlc3QtbG9va3VwLWtleTE=")

import dj_database_url

from samizdat.cli import compile_catalogues
from samizdat.settings import *  # noqa: F403
from samizdat.settings import DATA_DIR, TASK_QUEUES

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

_test_database_url = os.environ.get("SAMIZDAT_TEST_DATABASE_URL")
if _test_database_url:
    DATABASES = {"default": dj_database_url.parse(_test_database_url)}
    # A test's commit need not reach the disk before the next statement: the data is
    # thrown away anyway, and it saves a wait at every commit.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
else:
    # Kept where the next run finds it (`make test` passes --reuse-db outside CI), one file
    # per parallel test process (pytest-django adds the process's name).
    _databases = Path(__file__).resolve().parent.parent / ".test-databases"
    _databases.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "test.sqlite3"),
            "TEST": {"NAME": str(_databases / "test.sqlite3")},
        }
    }

compile_catalogues()  # as `samizdat` does at start: tests read the catalogues as they are now

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "renditions": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_PREFIX": "rend",
    },
}
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": list(TASK_QUEUES),
    }
}
BUNDLE_AUTO_BUILD = False  # tests of the bundle switch it on
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
