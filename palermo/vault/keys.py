"""Where the keys come from: the environment, or a key file written by `palermo init-keys`."""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .ciphers import Keyring, VaultError, decode_key, new_key, parse_key_list

MIN_INDEX_KEY_BYTES = 32
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
        keys.update({kid: decode_key(kid, k) for kid, k in data.get("keys", {}).items()})
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
    key = decode_key("index", encoded)
    if len(key) < MIN_INDEX_KEY_BYTES:
        raise VaultError(f"The blind-index key must be at least {MIN_INDEX_KEY_BYTES} bytes.")
    return key


@lru_cache(maxsize=1)
def audit_chain_key() -> bytes:
    """The key of the audit log's hash chain, derived from the blind-index key.

    Derived (HKDF) rather than stored, so no deployment can lack it; like the index key it
    is never rotated in place: a new index key needs the chain re-anchored first.
    """
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"palermo audit chain v1"
    ).derive(index_key())


def clear_caches() -> None:
    """Forget the cached keys (after the settings or the key file change)."""
    keyring.cache_clear()
    index_key.cache_clear()
    audit_chain_key.cache_clear()


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _KEY_SETTINGS:
        clear_caches()


def _write_private(path: Path, data: dict[str, Any], *, exclusive: bool) -> None:
    """Write JSON readable by the owner only, durably: losing a key file loses the data."""
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        target = path
    else:
        # mkstemp creates the file 0600 whatever the umask; replace() makes the swap atomic.
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        target = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        if target != path:
            target.replace(path)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def write_new_key_file(path: Path) -> bool:
    """Create a key file with one fresh key and an index key; never overwrite one.

    Returns False, touching nothing, when the file already exists.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"active": "k1", "keys": {"k1": new_key()}, "index_key": new_key()}
    try:
        _write_private(path, data, exclusive=True)
    except FileExistsError:
        return False
    clear_caches()
    return True


def add_key_to_file(path: Path) -> str:
    """Add a fresh key to the key file and make it the active one; returns its id.

    Earlier keys stay in the file so that values sealed with them still open until
    `palermo rotate-keys` has re-encrypted them.
    """
    data = _read_key_file(str(path))
    keys = data.setdefault("keys", {})
    number = 1 + max((int(k[1:]) for k in keys if k[1:].isdigit()), default=0)
    key_id = f"k{number}"
    keys[key_id] = new_key()
    data["active"] = key_id
    _write_private(path, data, exclusive=False)
    clear_caches()
    return key_id
