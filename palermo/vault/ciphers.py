"""AES-GCM envelope for personal fields (pure: no Django import).

A stored value is ``pv1:<key id>:<base64url(nonce || ciphertext+tag)>``. The key id travels
with the ciphertext so keys can be rotated without a flag day, and the associated data binds a
ciphertext to its table and column, so a value copied into another column will not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "pv1"
NONCE_BYTES = 12
KEY_BYTES = 32


class VaultError(Exception):
    """A value could not be encrypted or decrypted (unknown key, tampering, bad format)."""


@dataclass(frozen=True)
class Keyring:
    """Encryption keys by id; ``active_id`` encrypts new values, all ids decrypt."""

    keys: dict[str, bytes]
    active_id: str

    def __post_init__(self) -> None:
        if not self.keys:
            raise VaultError("No encryption keys are configured.")
        if self.active_id not in self.keys:
            raise VaultError(f"The active key id {self.active_id!r} is not among the keys.")
        for key_id, key in self.keys.items():
            if not key_id:
                raise VaultError("A key id may not be empty.")
            if len(key) != KEY_BYTES:
                raise VaultError(f"Key {key_id!r} must be {KEY_BYTES} bytes.")
            if ":" in key_id or "," in key_id:
                raise VaultError(f"Key id {key_id!r} may not contain ':' or ','.")


def is_envelope(value: str) -> bool:
    """Whether a stored value looks like an envelope (says nothing of its integrity)."""
    return value.startswith(PREFIX + ":")


def key_id_of(envelope: str) -> str:
    """The id of the key that sealed an envelope."""
    parts = envelope.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise VaultError("Not an encrypted value.")
    return parts[1]


def encrypt(keyring: Keyring, plaintext: str, associated_data: str) -> str:
    """Seal text under the active key; the associated data must be given again to open it."""
    key_id = keyring.active_id
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keyring.keys[key_id]).encrypt(
        nonce, plaintext.encode("utf-8"), associated_data.encode("utf-8")
    )
    token = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"{PREFIX}:{key_id}:{token}"


def decrypt(keyring: Keyring, envelope: str, associated_data: str) -> str:
    """Open an envelope with whichever key sealed it; VaultError if that fails for any reason."""
    key_id = key_id_of(envelope)
    key = keyring.keys.get(key_id)
    if key is None:
        raise VaultError(f"Unknown key id {key_id!r}: was a key removed before rotation?")
    token = envelope.split(":", 2)[2]
    try:
        raw = _decode_token(token)
        plaintext = AESGCM(key).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data.encode("utf-8")
        )
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise VaultError("An encrypted value failed its integrity check.") from exc
    return plaintext.decode("utf-8")


def _decode_token(token: str) -> bytes:
    """Strict base64url: the lenient decoder would drop stray characters and ignore the unused
    bits of the last one, so several strings would decrypt alike; only the canonical one may."""
    raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != token:
        raise ValueError("non-canonical encoding")
    return raw


def parse_key_list(text: str) -> dict[str, bytes]:
    """Parse ``kid:base64key,kid2:base64key`` as found in the environment."""
    keys: dict[str, bytes] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, _, encoded = item.partition(":")
        key_id = key_id.strip()
        if key_id in keys:
            raise VaultError(f"Key id {key_id!r} is listed twice.")
        keys[key_id] = decode_key(key_id, encoded)
    return keys


def decode_key(key_id: str, encoded: str) -> bytes:
    """A key as written in the environment or the key file (standard base64)."""
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error as exc:
        raise VaultError(f"Key {key_id!r} is not valid base64.") from exc


def new_key() -> str:
    """A fresh random key, base64-encoded as the key file and PALERMO_KEYS hold it."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")
