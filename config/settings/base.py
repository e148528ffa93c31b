"""Settings shared by every environment.

The environment is read here, once. Other settings modules only choose defaults for their
environment; production differs from the others only by what the environment provides.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("PALERMO_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "template_partials",
    "ninja",
    "django_htmx",
    "palermo.accounts",
    "palermo.audit",
    "palermo.vault",
    "palermo.people",
    "palermo.consent",
    "palermo.intake",
    "palermo.channels",
    "palermo.screening",
    "palermo.safetravel",
    "palermo.notifications",
    "palermo.cases",
    "palermo.casefile",
    "palermo.directory",
    "palermo.partners",
    "palermo.referrals",
    "palermo.web",
    "palermo.worker",
    "palermo.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "palermo.web.middleware.RequestIdMiddleware",
    "palermo.web.middleware.AuditReadsTogetherMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "palermo.accounts.middleware.SignedInOTPMiddleware",
    "palermo.accounts.middleware.ActorMiddleware",
    "palermo.web.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "palermo.web.context_processors.navigation",
            ],
        },
    }
]

# --- Database: embedded SQLite (WAL) by default, PostgreSQL when DATABASE_URL says so. ---
DEFAULT_SQLITE_PATH = VAR_DIR / "palermo.sqlite3"
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}")


def postgresql_options(database: dj_database_url.DBConfig) -> dj_database_url.DBConfig:
    """PostgreSQL connections bind parameters on the server and prepare a statement once it has
    run PALERMO_DB_PREPARE_THRESHOLD times on that connection (0: never): a page repeats the
    same few statements, and the server then skips parsing them (and planning them where a
    generic plan is as good; PostgreSQL keeps planning per value where values matter, as for
    the partial indexes of open cases). The case page's PostgreSQL CPU halves (bench/web.py).
    Behind a pooler in transaction mode, prepared statements need its support (PgBouncer
    1.21+ with max_prepared_statements) or the threshold set to 0."""
    if database["ENGINE"] == "django.db.backends.postgresql":
        threshold = env_int("PALERMO_DB_PREPARE_THRESHOLD", 5)
        options = database.setdefault("OPTIONS", {})
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", threshold if threshold > 0 else None)
    return database


DATABASES = {"default": postgresql_options(dj_database_url.parse(DATABASE_URL, conn_max_age=60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: writers queue on the lock instead of failing mid-transaction, which the
        # hash-chained audit log relies on.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend, reading the signed-in user with their devices and memberships in one
# query (palermo.accounts.signin).
AUTHENTICATION_BACKENDS = ["palermo.accounts.backends.SignInBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Database sessions, read without the ORM (every signed-in request reads one).
SESSION_ENGINE = "palermo.accounts.sessions"
# Idle sessions expire: a signed-in session's expiry is renewed by its requests, at most once
# every SESSION_TOUCH_EVERY seconds (palermo.accounts.middleware.touch_session), not by an
# UPDATE on every request; the idle timeout holds to that minute (never longer).
SESSION_COOKIE_AGE = env_int("PALERMO_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_EVERY = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Login lockout: after this many failures in a row, the account is locked for a while.
PALERMO_LOGIN_MAX_FAILURES = env_int("PALERMO_LOGIN_MAX_FAILURES", 5)
PALERMO_LOGIN_LOCKOUT_SECONDS = env_int("PALERMO_LOGIN_LOCKOUT_SECONDS", 15 * 60)
OTP_TOTP_ISSUER = env_str("PALERMO_OTP_ISSUER", "Palermo")

# --- Internationalisation ---
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("uk", _("Ukrainian")),
    ("ro", _("Romanian")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("fr", _("French")),
]
LOCALE_PATHS = [BASE_DIR / "palermo" / "locale"]
USE_I18N = True
TIME_ZONE = env_str("PALERMO_TIME_ZONE", "UTC")
# The deployment's country (ISO 3166 alpha-2): which case lifecycle and holiday calendar apply.
PALERMO_COUNTRY = env_str("PALERMO_COUNTRY", "")
USE_TZ = True

# --- Static files: built by esbuild from npm packages into palermo/web/static/build. ---
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("PALERMO_STATIC_ROOT", str(VAR_DIR / "staticfiles")))
# Uploaded files (tip attachments, case documents): sealed with the vault key before they are
# written, kept outside the code and never served directly (only through access-checked views).
MEDIA_ROOT = Path(os.environ.get("PALERMO_FILES_DIR", VAR_DIR / "files"))
MEDIA_URL = "/files-are-not-served-directly/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Keys for personal data (see palermo/vault). ---
# PALERMO_KEYS: "kid:base64key,kid2:base64key"; or PALERMO_KEY_FILE: JSON written by
# `palermo init-keys`. PALERMO_ACTIVE_KEY_ID picks the key that encrypts new values.
PALERMO_KEYS = env_str("PALERMO_KEYS", "")
PALERMO_KEY_FILE = env_str("PALERMO_KEY_FILE", "")
PALERMO_ACTIVE_KEY_ID = env_str("PALERMO_ACTIVE_KEY_ID", "")
PALERMO_INDEX_KEY = env_str("PALERMO_INDEX_KEY", "")

# --- Background work ---
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Content Security Policy: no inline script or style anywhere. ---
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

NINJA_PAGINATION_PER_PAGE = 50
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PALERMO_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
CSRF_FAILURE_VIEW = "palermo.web.views.csrf_failure"

# --- safe travel ---
# The escalation ladder after a missed check-in, in minutes after the due time. `palermo check`
# refuses values outside safe bounds (palermo/safetravel/checks.py; the operator's guide).
PALERMO_TRAVEL_LADDER_MINUTES = {
    "reminder": env_int("PALERMO_TRAVEL_REMINDER_MINUTES", 0),
    "second_reminder": env_int("PALERMO_TRAVEL_SECOND_REMINDER_MINUTES", 30),
    "contacts_alert": env_int("PALERMO_TRAVEL_CONTACTS_ALERT_MINUTES", 120),
    "urgent_alert": env_int("PALERMO_TRAVEL_URGENT_ALERT_MINUTES", 360),
}
# A step found overdue by more than this is stale (the service was down): the traveller is
# re-notified and given a fresh grace period instead of the stale alert firing.
PALERMO_TRAVEL_STALE_AFTER_MINUTES = env_int("PALERMO_TRAVEL_STALE_AFTER_MINUTES", 15)
PALERMO_TRAVEL_OUTAGE_GRACE_MINUTES = env_int("PALERMO_TRAVEL_OUTAGE_GRACE_MINUTES", 30)
PALERMO_TRAVEL_TICK_SECONDS = env_int("PALERMO_TRAVEL_TICK_SECONDS", 15)
PALERMO_TRAVEL_SEND_LEASE_SECONDS = env_int("PALERMO_TRAVEL_SEND_LEASE_SECONDS", 120)
PALERMO_TRAVEL_PURGE_AFTER_DAYS = env_int("PALERMO_TRAVEL_PURGE_AFTER_DAYS", 30)
PALERMO_TRAVEL_MAX_EXTEND_HOURS = env_int("PALERMO_TRAVEL_MAX_EXTEND_HOURS", 48)
PALERMO_TRAVEL_EARLY_CHECKIN_MINUTES = env_int("PALERMO_TRAVEL_EARLY_CHECKIN_MINUTES", 60)
PALERMO_TRAVEL_PIN_MAX_FAILURES = env_int("PALERMO_TRAVEL_PIN_MAX_FAILURES", 5)
PALERMO_TRAVEL_PIN_LOCKOUT_MINUTES = env_int("PALERMO_TRAVEL_PIN_LOCKOUT_MINUTES", 15)
# Where urgent alerts go: the hotline organisation (public id or exact name), the number and
# address contacts are told to call or write, and an optional mailbox copied on urgent alerts.
PALERMO_TRAVEL_HOTLINE_ORGANISATION = env_str("PALERMO_TRAVEL_HOTLINE_ORGANISATION", "")
PALERMO_TRAVEL_HOTLINE_PHONE = env_str("PALERMO_TRAVEL_HOTLINE_PHONE", "")
PALERMO_TRAVEL_HOTLINE_EMAIL = env_str("PALERMO_TRAVEL_HOTLINE_EMAIL", "")

# Outgoing email (notifications, safe-travel alerts): the deployment's mail server.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "palermo@localhost")

# This deployment's public address (https://…), for links in emails that leave the app.
PALERMO_BASE_URL = env_str("PALERMO_BASE_URL", "")
# SMS delivery: a dotted path to a provider class (palermo/safetravel/delivery.py); empty uses
# the channels module's outbound SMS. The recording provider logs to PALERMO_TRAVEL_RECORDING_LOG.
PALERMO_TRAVEL_SMS_PROVIDER = env_str("PALERMO_TRAVEL_SMS_PROVIDER", "")
PALERMO_TRAVEL_RECORDING_LOG = env_str("PALERMO_TRAVEL_RECORDING_LOG", "")
# The offline IP geolocation database (MaxMind DB format); empty: the GeoLite2 City database
# that ships inside the maxminddb-geolite2 package.
PALERMO_TRAVEL_GEOIP_DATABASE = env_str("PALERMO_TRAVEL_GEOIP_DATABASE", "")

# --- channels ---
PALERMO_SMS_PROVIDER = env_str(
    "PALERMO_SMS_PROVIDER", "palermo.channels.providers.RecordingProvider"
)
PALERMO_CHANNELS = {
    "PUBLIC_URL": env_str("PALERMO_CHANNELS_PUBLIC_URL", ""),
    "RATE_PER_SECOND": env_int("PALERMO_CHANNEL_RATE_PER_SECOND", 200),
    "BENCH_BARE_ENDPOINT": env_bool("PALERMO_BENCH_BARE_ENDPOINT", False),
    "PREPARED_STATEMENTS": env_bool("PALERMO_CHANNEL_PREPARED_STATEMENTS", True),
}

# --- audit ---
# Checkpoints of the audit chain, signed and kept outside the database, so that events deleted
# from the end of the log (with its head wound back) are still detected (palermo/audit/anchors.py
# and the operator's guide). Each is appended to this file (empty: anchoring off) and logged to
# the `palermo.audit.anchor` logger; PALERMO_AUDIT_ANCHOR_SYSLOG also sends that logger to a
# syslog server: udp://host:port, tcp://host:port or a socket path such as /dev/log.
PALERMO_AUDIT_ANCHOR_FILE = env_str("PALERMO_AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchors.log"))
PALERMO_AUDIT_ANCHOR_SYSLOG = env_str("PALERMO_AUDIT_ANCHOR_SYSLOG", "")
# A checkpoint every N events as well as the worker's daily one (0: daily only).
PALERMO_AUDIT_CHECKPOINT_EVERY = env_int("PALERMO_AUDIT_CHECKPOINT_EVERY", 1000)
# `palermo audit verify` fails when an event older than this is covered by no checkpoint.
PALERMO_AUDIT_ANCHOR_GRACE_HOURS = env_int("PALERMO_AUDIT_ANCHOR_GRACE_HOURS", 48)
_audit_handlers, _audit_loggers = LOGGING["handlers"], LOGGING["loggers"]
if isinstance(_audit_handlers, dict) and isinstance(_audit_loggers, dict):
    # INFO whatever PALERMO_LOG_LEVEL says: checkpoints are records, not chatter.
    _audit_loggers["palermo.audit.anchor"] = {"level": "INFO"}
    if PALERMO_AUDIT_ANCHOR_SYSLOG:
        _audit_handlers["audit_anchor_syslog"] = {
            "class": "palermo.audit.anchor_syslog.AnchorSyslogHandler",
            "target": PALERMO_AUDIT_ANCHOR_SYSLOG,
        }
        _audit_loggers["palermo.audit.anchor"]["handlers"] = ["audit_anchor_syslog"]

# --- intake ---
# Where accepted tips wait when the database is down (default: VAR_DIR/spool/tips).
PALERMO_TIP_SPOOL_DIR = env_str("PALERMO_TIP_SPOOL_DIR", "")
# Addresses of reverse proxies whose X-Forwarded-For is trusted (for the last known place).
PALERMO_TRUSTED_PROXIES = env_list("PALERMO_TRUSTED_PROXIES")

# --- transnational referral (palermo/partners; the operator's part of docs/transnational.md) ---
# This deployment's Ed25519 signing and X25519 encryption keys: a key file written by
# `palermo partner keys --init` (0600), or the two private keys (base64url, 32 bytes) here.
PALERMO_PARTNER_KEY_FILE = env_str("PALERMO_PARTNER_KEY_FILE", "")
PALERMO_PARTNER_SIGNING_KEY = env_str("PALERMO_PARTNER_SIGNING_KEY", "")
PALERMO_PARTNER_ENCRYPTION_KEY = env_str("PALERMO_PARTNER_ENCRYPTION_KEY", "")
# CA certificates that partners' HTTPS certificates are verified against (empty: the system's).
PALERMO_PARTNER_CA_BUNDLE = env_str("PALERMO_PARTNER_CA_BUNDLE", "")
# Plain-HTTP partner addresses, for a demo or a test on one machine only. Never in production.
PALERMO_PARTNER_INSECURE_ALLOW_HTTP = env_bool("PALERMO_PARTNER_INSECURE_ALLOW_HTTP", False)
# The organisation that receives referrals from partners that have none of their own (public id
# or exact name).
PALERMO_PARTNER_RECEIVING_ORGANISATION = env_str("PALERMO_PARTNER_RECEIVING_ORGANISATION", "")
# Packages older than this, or dated further ahead than the skew, are refused.
PALERMO_PARTNER_MAX_AGE_SECONDS = env_int("PALERMO_PARTNER_MAX_AGE_SECONDS", 600)
PALERMO_PARTNER_MAX_SKEW_SECONDS = env_int("PALERMO_PARTNER_MAX_SKEW_SECONDS", 120)
# Refused packages one client address may post per minute (per server process) before the inbox
# answers 429 without looking: each refusal is verified, logged and audited.
PALERMO_PARTNER_REFUSALS_PER_MINUTE = env_int("PALERMO_PARTNER_REFUSALS_PER_MINUTE", 30)
