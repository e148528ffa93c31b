"""This deployment's partner keys: from the environment, or a key file written by
`palermo partner keys --init` (readable by its owner only), like the vault's keys.

Never in the database and never in the repository: whoever holds the signing key can speak for
this deployment to every partner, and the encryption key opens every package sent to it.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .packages import DeploymentKeys, b64url, from_b64url, raw_private

_KEY_SETTINGS = {
    "PALERMO_PARTNER_KEY_FILE",
    "PALERMO_PARTNER_SIGNING_KEY",
    "PALERMO_PARTNER_ENCRYPTION_KEY",
}
FILE_VERSION = 1


class PartnerKeysMissing(Exception):
    """This deployment has no partner keys yet (or they cannot be read)."""


def key_file_path() -> Path | None:
    configured = getattr(settings, "PALERMO_PARTNER_KEY_FILE", "")
    return Path(configured) if configured else None


def _from_environment() -> DeploymentKeys | None:
    signing = getattr(settings, "PALERMO_PARTNER_SIGNING_KEY", "")
    encryption = getattr(settings, "PALERMO_PARTNER_ENCRYPTION_KEY", "")
    if not signing and not encryption:
        return None
    if not (signing and encryption):
        raise PartnerKeysMissing(
            "Set both PALERMO_PARTNER_SIGNING_KEY and PALERMO_PARTNER_ENCRYPTION_KEY, or neither."
        )
    try:
        return DeploymentKeys.from_raw(from_b64url(signing), from_b64url(encryption))
    except ValueError as exc:
        raise PartnerKeysMissing(
            f"The partner keys in the environment are not valid: {exc}"
        ) from exc


def _from_file(path: Path) -> DeploymentKeys:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DeploymentKeys.from_raw(
            from_b64url(data["signing_key"]), from_b64url(data["encryption_key"])
        )
    except FileNotFoundError as exc:
        raise PartnerKeysMissing(
            f"The partner key file {path} does not exist: run `palermo partner keys --init`."
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PartnerKeysMissing(f"The partner key file {path} could not be read: {exc}") from exc


@lru_cache(maxsize=1)
def deployment_keys() -> DeploymentKeys:
    """This deployment's private keys; PartnerKeysMissing when there are none."""
    keys = _from_environment()
    if keys is not None:
        return keys
    path = key_file_path()
    if path is None:
        raise PartnerKeysMissing(
            "No partner keys: set PALERMO_PARTNER_KEY_FILE and run `palermo partner keys --init`, "
            "or set PALERMO_PARTNER_SIGNING_KEY and PALERMO_PARTNER_ENCRYPTION_KEY."
        )
    return _from_file(path)


def deployment_keys_or_none() -> DeploymentKeys | None:
    try:
        return deployment_keys()
    except PartnerKeysMissing:
        return None


def clear_cache() -> None:
    deployment_keys.cache_clear()


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _KEY_SETTINGS:
        clear_cache()


def write_new_key_file(path: Path) -> bool:
    """Create the key file with fresh keys, mode 0600; never overwrite one (False if it exists)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = DeploymentKeys.generate()
    data = {
        "version": FILE_VERSION,
        "signing_key": b64url(raw_private(keys.signing)),
        "encryption_key": b64url(raw_private(keys.encryption)),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    clear_cache()
    return True
