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
            if len(key) != KEY_BYTES:
                raise VaultError(f"Key {key_id!r} must be {KEY_BYTES} bytes.")
            if ":" in key_id or "," in key_id:
                raise VaultError(f"Key id {key_id!r} may not contain ':' or ','.")


def is_envelope(value: str) -> bool:
    return value.startswith(PREFIX + ":")


def key_id_of(envelope: str) -> str:
    parts = envelope.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise VaultError("Not an encrypted value.")
    return parts[1]


def encrypt(keyring: Keyring, plaintext: str, associated_data: str) -> str:
    key_id = keyring.active_id
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keyring.keys[key_id]).encrypt(
        nonce, plaintext.encode("utf-8"), associated_data.encode("utf-8")
    )
    token = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"{PREFIX}:{key_id}:{token}"


def decrypt(keyring: Keyring, envelope: str, associated_data: str) -> str:
    key_id = key_id_of(envelope)
    key = keyring.keys.get(key_id)
    if key is None:
        raise VaultError(f"Unknown key id {key_id!r}: was a key removed before rotation?")
    token = envelope.split(":", 2)[2]
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plaintext = AESGCM(key).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data.encode("utf-8")
        )
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise VaultError("An encrypted value failed its integrity check.") from exc
    return plaintext.decode("utf-8")


def parse_key_list(text: str) -> dict[str, bytes]:
    """Parse ``kid:base64key,kid2:base64key`` as found in the environment."""
    keys: dict[str, bytes] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, _, encoded = item.partition(":")
        try:
            keys[key_id.strip()] = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as exc:
            raise VaultError(f"Key {key_id!r} is not valid base64.") from exc
    return keys


def new_key() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")
