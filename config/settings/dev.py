"""The demo and developer settings: embedded SQLite, keys from var/keys.json."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env_bool, env_str

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-not-for-production")
PALERMO_KEY_FILE = env_str("PALERMO_KEY_FILE", str(VAR_DIR / "keys.json"))
PALERMO_PARTNER_KEY_FILE = env_str("PALERMO_PARTNER_KEY_FILE", str(VAR_DIR / "partner-keys.json"))
