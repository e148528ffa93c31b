"""Where the keys come from: the environment, or a key file written by `palermo init-keys`."""

from __future__ import annotations

import base64
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .ciphers import Keyring, VaultError, new_key, parse_key_list

_KEY_SETTINGS = {"PALERMO_KEYS", "PALERMO_KEY_FILE", "PALERMO_ACTIVE_KEY_ID", "PALERMO_INDEX_KEY"}


def _read_key_file(path: str) -> dict[str, Any]:
    try:
        return dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise VaultError(
            f"Key file {path} does not exist: run `palermo init-keys` or set PALERMO_KEYS."
        ) from exc
    except (OSError, ValueError) as exc:
        raise VaultError(f"Key file {path} could not be read: {exc}") from exc


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The keyring in force: keys from PALERMO_KEYS, then those of the key file."""
    keys: dict[str, bytes] = {}
    active = settings.PALERMO_ACTIVE_KEY_ID
    if settings.PALERMO_KEY_FILE:
        data = _read_key_file(settings.PALERMO_KEY_FILE)
        keys.update({kid: base64.b64decode(k) for kid, k in data.get("keys", {}).items()})
        active = active or data.get("active", "")
    if settings.PALERMO_KEYS:
        keys.update(parse_key_list(settings.PALERMO_KEYS))
    if not active and len(keys) == 1:
        active = next(iter(keys))
    return Keyring(keys=keys, active_id=active)


@lru_cache(maxsize=1)
def index_key() -> bytes:
    """The blind-index key, kept apart from the encryption keys."""
    encoded = settings.PALERMO_INDEX_KEY
    if not encoded and settings.PALERMO_KEY_FILE:
        encoded = _read_key_file(settings.PALERMO_KEY_FILE).get("index_key", "")
    if not encoded:
        raise VaultError("No blind-index key: set PALERMO_INDEX_KEY or run `palermo init-keys`.")
    return base64.b64decode(encoded)


def clear_caches() -> None:
    keyring.cache_clear()
    index_key.cache_clear()


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _KEY_SETTINGS:
        clear_caches()


def write_new_key_file(path: Path) -> bool:
    """Create a key file with one fresh key and an index key; never overwrite one."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"active": "k1", "keys": {"k1": new_key()}, "index_key": new_key()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    return True


def add_key_to_file(path: Path) -> str:
    """Add a fresh key to the key file and make it the active one; returns its id."""
    data = _read_key_file(str(path))
    number = 1 + max((int(k[1:]) for k in data["keys"] if k[1:].isdigit()), default=0)
    key_id = f"k{number}"
    data["keys"][key_id] = new_key()
    data["active"] = key_id
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    tmp.replace(path)
    clear_caches()
    return key_id
