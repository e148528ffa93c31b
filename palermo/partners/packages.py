"""Packages between Palermo deployments: sealed, signed, opened and checked (pure: no Django).

A package is one JSON object (docs/transnational.md has the full description)::

    {"version": 1, "package_id": "<uuid4>", "kind": "referral" | "status" | "revocation",
     "sender": "<b64url Ed25519 public key of the sender>",
     "recipient": "<hex fingerprint of the recipient's public keys>",
     "created_at": "2026-01-31T12:00:00Z",
     "ephemeral_key": "<b64url X25519 public key, fresh for this package>",
     "nonce": "<b64url 12 bytes>", "ciphertext": "<b64url AES-256-GCM ciphertext + tag>",
     "signature": "<b64url Ed25519 signature>"}

The payload (a JSON object) is encrypted with AES-256-GCM under a key derived by HKDF-SHA256
from X25519(ephemeral private key, recipient's public key), with the canonical serialisation of
the header (every field before `nonce`) as associated data. The sender signs the canonical
serialisation of every field except `signature` with its Ed25519 key. Canonical: JSON with
sorted keys, no whitespace, ASCII only — every value is a string or a small integer, so there is
exactly one way to write it.

`open_package` checks, in this order, and refuses with a specific `reason`: size, JSON shape,
version, the sender (known and active), the signature, the recipient, a replay, the age, then
decrypts and parses the payload. Nothing is decrypted before the signature of a registered
partner has been verified.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
KEY_STRING_PREFIX = "palermo-partner-v1"
KINDS = ("referral", "status", "revocation")
NONCE_BYTES = 12
KEY_BYTES = 32
SIGNATURE_BYTES = 64
DEFAULT_MAX_BYTES = 1024 * 1024
HEADER_FIELDS = (
    "version",
    "package_id",
    "kind",
    "sender",
    "recipient",
    "created_at",
    "ephemeral_key",
)
SIGNED_FIELDS = (*HEADER_FIELDS, "nonce", "ciphertext")
ALL_FIELDS = (*SIGNED_FIELDS, "signature")
_HKDF_INFO = b"palermo-package-v1 aes-256-gcm"
_SIGNATURE_CONTEXT = b"palermo-package-v1 signature\n"
_FINGERPRINT_CONTEXT = b"palermo-partner-v1 fingerprint\n"
_CHECKSUM_CONTEXT = b"palermo-partner-v1 checksum\n"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class PackageRefused(Exception):
    """A package was refused; `reason` is a stable code (never personal data)."""

    def __init__(self, reason: str, detail: str = "", *, package_id: str = "", sender: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        # What could be read before the refusal (for the log), when it was well-formed.
        self.package_id = package_id
        self.sender = sender


class InvalidKeyString(ValueError):
    """A partner's public key string is not one this version understands."""


# --- encodings ---------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def from_b64url(text: str) -> bytes:
    """Strict base64url without padding; ValueError for anything else."""
    if not isinstance(text, str) or not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def canonical(data: Mapping[str, Any]) -> bytes:
    """The one serialisation that is signed and authenticated."""
    return json.dumps(
        dict(data), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def utc_timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime.datetime:
    if not isinstance(text, str) or not _TIMESTAMP.match(text):
        raise ValueError("not a UTC timestamp")
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)


# --- keys --------------------------------------------------------------------------------


def raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class PublicKeys:
    """A deployment's two public keys, raw."""

    signing: bytes  # Ed25519
    encryption: bytes  # X25519

    @property
    def signing_b64(self) -> str:
        return b64url(self.signing)

    @property
    def encryption_b64(self) -> str:
        return b64url(self.encryption)

    @property
    def fingerprint(self) -> str:
        """SHA-256 over both keys, hex: what a package names as its recipient."""
        return hashlib.sha256(_FINGERPRINT_CONTEXT + self.signing + self.encryption).hexdigest()

    @property
    def short_fingerprint(self) -> str:
        """The first 128 bits of the fingerprint in groups of four, to read out on the phone."""
        head = self.fingerprint[:32].upper()
        return " ".join(head[i : i + 4] for i in range(0, 32, 4))

    def key_string(self) -> str:
        """`palermo-partner-v1.<ed25519>.<x25519>.<checksum>`: one string to copy and paste."""
        body = f"{KEY_STRING_PREFIX}.{self.signing_b64}.{self.encryption_b64}"
        return f"{body}.{_checksum(body)}"


def _checksum(body: str) -> str:
    return hashlib.sha256(_CHECKSUM_CONTEXT + body.encode("ascii")).hexdigest()[:8]


def parse_key_string(text: str) -> PublicKeys:
    """A partner's key string, checked: format, checksum (typos), and both keys usable."""
    value = "".join(str(text).split())  # a string pasted from an email may have line breaks
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != KEY_STRING_PREFIX:
        raise InvalidKeyString(f"expected {KEY_STRING_PREFIX}.<signing>.<encryption>.<checksum>")
    body = ".".join(parts[:3])
    if parts[3].lower() != _checksum(body):
        raise InvalidKeyString("the checksum does not match: the string was changed or cut")
    try:
        signing, encryption = from_b64url(parts[1]), from_b64url(parts[2])
    except ValueError as exc:
        raise InvalidKeyString("a key is not base64url") from exc
    if len(signing) != KEY_BYTES or len(encryption) != KEY_BYTES:
        raise InvalidKeyString("each key must be 32 bytes")
    try:
        Ed25519PublicKey.from_public_bytes(signing)
        X25519PublicKey.from_public_bytes(encryption)
    except ValueError as exc:
        raise InvalidKeyString("a key is not a valid public key") from exc
    # A low-order X25519 point gives an all-zero shared secret: refuse it now, not at sending.
    try:
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(encryption))
    except ValueError as exc:
        raise InvalidKeyString("the encryption key is a weak point") from exc
    return PublicKeys(signing=signing, encryption=encryption)


@dataclass(frozen=True)
class DeploymentKeys:
    """This deployment's private keys (from the key file or the environment)."""

    signing: Ed25519PrivateKey
    encryption: X25519PrivateKey

    @classmethod
    def generate(cls) -> DeploymentKeys:
        return cls(signing=Ed25519PrivateKey.generate(), encryption=X25519PrivateKey.generate())

    @classmethod
    def from_raw(cls, signing: bytes, encryption: bytes) -> DeploymentKeys:
        if len(signing) != KEY_BYTES or len(encryption) != KEY_BYTES:
            raise ValueError("each private key must be 32 bytes")
        return cls(
            signing=Ed25519PrivateKey.from_private_bytes(signing),
            encryption=X25519PrivateKey.from_private_bytes(encryption),
        )

    @property
    def public(self) -> PublicKeys:
        return PublicKeys(
            signing=raw_public(self.signing.public_key()),
            encryption=raw_public(self.encryption.public_key()),
        )


# --- sealing -----------------------------------------------------------------------------


def _derive_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_HKDF_INFO
    ).derive(shared)


def _payload_bytes(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(payload), ensure_ascii=False, allow_nan=False).encode("utf-8")


def seal(
    *,
    kind: str,
    payload: Mapping[str, Any],
    sender: DeploymentKeys,
    recipient: PublicKeys,
    package_id: str | None = None,
    now: datetime.datetime,
) -> dict[str, Any]:
    """Encrypt `payload` to `recipient` and sign the whole envelope as `sender`."""
    if kind not in KINDS:
        raise ValueError(f"unknown package kind {kind!r}")
    package_id = package_id or str(uuid.uuid4())
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = raw_public(ephemeral.public_key())
    header: dict[str, Any] = {
        "version": VERSION,
        "package_id": str(uuid.UUID(package_id)),
        "kind": kind,
        "sender": sender.public.signing_b64,
        "recipient": recipient.fingerprint,
        "created_at": utc_timestamp(now),
        "ephemeral_key": b64url(ephemeral_public),
    }
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.encryption))
    key = _derive_key(shared, ephemeral_public, recipient.encryption)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, _payload_bytes(payload), canonical(header))
    envelope = {**header, "nonce": b64url(nonce), "ciphertext": b64url(ciphertext)}
    envelope["signature"] = b64url(sender.signing.sign(_SIGNATURE_CONTEXT + canonical(envelope)))
    return envelope


def sign_envelope(envelope: Mapping[str, Any], signer: DeploymentKeys) -> dict[str, Any]:
    """Sign (again) an envelope's fields as `signer` (tests build forged packages with it)."""
    signed = {name: envelope[name] for name in SIGNED_FIELDS if name in envelope}
    signed["signature"] = b64url(signer.signing.sign(_SIGNATURE_CONTEXT + canonical(signed)))
    return signed


def encode(envelope: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(envelope), separators=(",", ":"), ensure_ascii=True).encode("ascii")


# --- opening -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SenderKey:
    """What the registry says about the public signing key a package names."""

    partner_id: Any  # the registry's id for the partner (opaque here)
    active: bool


@dataclass(frozen=True)
class OpenedPackage:
    package_id: str
    kind: str
    sender_key: str  # b64url Ed25519 public key
    partner_id: Any
    created_at: datetime.datetime
    payload: dict[str, Any]


def _structure(raw: bytes, max_bytes: int) -> dict[str, Any]:
    if len(raw) > max_bytes:
        raise PackageRefused("too_large", f"more than {max_bytes} bytes")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageRefused("malformed", "not a UTF-8 JSON object") from exc
    if not isinstance(data, dict):
        raise PackageRefused("malformed", "not a JSON object")
    if set(data) != set(ALL_FIELDS):
        raise PackageRefused("malformed", "unexpected or missing fields")
    if data["version"] != VERSION or isinstance(data["version"], bool):
        raise PackageRefused("unsupported_version", str(data["version"])[:20])
    for name in ALL_FIELDS[1:]:
        if not isinstance(data[name], str) or len(data[name]) > max_bytes:
            raise PackageRefused("malformed", f"{name} is not a string")
    try:
        if str(uuid.UUID(data["package_id"])) != data["package_id"]:
            raise ValueError("not canonical")
    except ValueError as exc:
        raise PackageRefused("malformed", "package_id is not a UUID") from exc
    if data["kind"] not in KINDS:
        raise PackageRefused("malformed", "unknown kind", package_id=data["package_id"])
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _bytes_field(data: dict[str, Any], name: str, length: int | None) -> bytes:
    try:
        value = from_b64url(data[name])
    except ValueError as exc:
        raise PackageRefused("malformed", f"{name} is not base64url") from exc
    if length is not None and len(value) != length:
        raise PackageRefused("malformed", f"{name} has the wrong length")
    return value


def open_package(
    raw: bytes,
    *,
    recipient: DeploymentKeys,
    lookup_sender: Callable[[str], SenderKey | None],
    seen: Callable[[str], bool],
    now: datetime.datetime,
    max_age: datetime.timedelta,
    max_skew: datetime.timedelta,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> OpenedPackage:
    """Verify and decrypt a package addressed to this deployment, or raise PackageRefused.

    `lookup_sender` maps the sender's b64url signing key to the registry's entry (None when
    unknown); `seen` says whether a package id was already accepted.
    """
    data = _structure(raw, max_bytes)
    package_id, sender_text = data["package_id"], data["sender"]
    sender_raw = _bytes_field(data, "sender", KEY_BYTES)
    entry = lookup_sender(sender_text)
    if entry is None:
        raise PackageRefused("unknown_sender", package_id=package_id, sender=sender_text)
    if not entry.active:
        raise PackageRefused("inactive_sender", package_id=package_id, sender=sender_text)
    signature = _bytes_field(data, "signature", SIGNATURE_BYTES)
    signed = {name: data[name] for name in SIGNED_FIELDS}
    try:
        Ed25519PublicKey.from_public_bytes(sender_raw).verify(
            signature, _SIGNATURE_CONTEXT + canonical(signed)
        )
    except (InvalidSignature, ValueError) as exc:
        raise PackageRefused("bad_signature", package_id=package_id, sender=sender_text) from exc
    # From here on the envelope is exactly what a registered partner signed.
    context = {"package_id": package_id, "sender": sender_text}
    if data["recipient"] != recipient.public.fingerprint:
        raise PackageRefused("wrong_recipient", **context)
    if seen(package_id):
        raise PackageRefused("replay", **context)
    try:
        created_at = parse_timestamp(data["created_at"])
    except ValueError as exc:
        raise PackageRefused("malformed", "created_at", **context) from exc
    if created_at > now + max_skew:
        raise PackageRefused("from_future", **context)
    if created_at < now - max_age:
        raise PackageRefused("expired", **context)
    ephemeral = _bytes_field(data, "ephemeral_key", KEY_BYTES)
    nonce = _bytes_field(data, "nonce", NONCE_BYTES)
    ciphertext = _bytes_field(data, "ciphertext", None)
    header = {name: data[name] for name in HEADER_FIELDS}
    try:
        shared = recipient.encryption.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        key = _derive_key(shared, ephemeral, recipient.public.encryption)
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, canonical(header))
    except (InvalidTag, ValueError) as exc:
        raise PackageRefused("undecryptable", **context) from exc
    try:
        payload = json.loads(plaintext.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageRefused("bad_payload", "not JSON", **context) from exc
    if not isinstance(payload, dict):
        raise PackageRefused("bad_payload", "not a JSON object", **context)
    return OpenedPackage(
        package_id=package_id,
        kind=data["kind"],
        sender_key=sender_text,
        partner_id=entry.partner_id,
        created_at=created_at,
        payload=payload,
    )
