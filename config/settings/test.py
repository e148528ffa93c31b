"""Test settings: fixed throw-away keys, fast hashing, tasks run immediately.

PALERMO_TEST_DB=postgresql makes the test session start a real PostgreSQL server (see conftest).
"""

from .base import *  # noqa: F403
from .base import env_str

SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only, tests only
PALERMO_KEYS = env_str(
    "PALERMO_KEYS",
    "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,t2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
)
PALERMO_KEY_FILE = ""
PALERMO_ACTIVE_KEY_ID = env_str("PALERMO_ACTIVE_KEY_ID", "t1")
PALERMO_INDEX_KEY = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2A="
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# Serve static files straight from the apps (the build output) without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# No test writes audit anchors into var/ (the audit tests set their own file per test).
PALERMO_AUDIT_ANCHOR_FILE = ""
PALERMO_AUDIT_CHECKPOINT_EVERY = 0
