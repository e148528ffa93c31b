"""Uploaded files: checked by what they are, not what they are called; stored encrypted.

A tip may carry a few images or PDFs. Each is accepted only if its first bytes are those of a
JPEG, PNG, GIF, WebP or PDF file (an `.exe` renamed `photo.jpg` is refused), within the size
limit. The bytes are sealed with the vault's active AES-GCM key before they reach storage, with
the storage name as associated data (a sealed file copied under another name will not open):

    pf1:<key id>:<nonce (12 bytes)><ciphertext and tag>
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from palermo.vault.ciphers import NONCE_BYTES, VaultError
from palermo.vault.keys import keyring

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 3
PREFIX = b"pf1:"
STORAGE_DIRECTORY = "intake/attachments"

# Content type → the ways its files begin (checked on the bytes, never on the name).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}


class RefusedFile(Exception):
    """A file is refused; the message is already translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, or None for anything not accepted."""
    for content_type, signatures in SIGNATURES.items():
        if any(head.startswith(s) for s in signatures):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_uploads(files: list[UploadedFile]) -> list[CheckedFile]:
    """Read and check the uploaded files; RefusedFile names the first problem."""
    if len(files) > MAX_FILES:
        raise RefusedFile(_("Attach at most %(max)d files.") % {"max": MAX_FILES})
    checked = []
    for upload in files:
        if upload.size is None or upload.size > MAX_FILE_BYTES:
            raise RefusedFile(
                _("Each file may be at most %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            )
        data = upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise RefusedFile(
                _("Each file may be at most %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            )
        if not data:
            raise RefusedFile(_("One of the files is empty."))
        content_type = sniff(data[:16])
        if content_type is None:
            raise RefusedFile(_("Attach photos (JPEG, PNG, GIF, WebP) or PDF documents only."))
        name = os.path.basename(upload.name or "")[:200]
        checked.append(CheckedFile(name=name, content_type=content_type, data=data))
    return checked


def _associated_data(storage_name: str) -> bytes:
    return f"palermo.intake.attachment:{storage_name}".encode()


def seal(storage_name: str, data: bytes) -> bytes:
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.keys[ring.active_id]).encrypt(nonce, data, _associated_data(storage_name))
    return PREFIX + ring.active_id.encode("ascii") + b":" + nonce + sealed


def open_sealed(storage_name: str, blob: bytes) -> bytes:
    if not blob.startswith(PREFIX):
        raise VaultError("Not an encrypted attachment.")
    key_id, _sep, rest = blob[len(PREFIX) :].partition(b":")
    key = keyring().keys.get(key_id.decode("ascii", "replace"))
    if key is None:
        raise VaultError("The attachment's key is not in the keyring.")
    try:
        return AESGCM(key).decrypt(
            rest[:NONCE_BYTES], rest[NONCE_BYTES:], _associated_data(storage_name)
        )
    except InvalidTag as exc:
        raise VaultError("An encrypted attachment failed its integrity check.") from exc


def store(data: bytes) -> str:
    """Seal and store the bytes under a fresh random name; returns the name storage used."""
    wanted = f"{STORAGE_DIRECTORY}/{uuid.uuid4().hex}.bin"
    saved = default_storage.save(wanted, ContentFile(seal(wanted, data)))
    if saved != wanted:  # the storage renamed it: the seal names the file, so it would not open
        default_storage.delete(saved)
        raise OSError(f"storage renamed {wanted} to {saved}")
    return saved


def discard(storage_names: list[str]) -> None:
    """Delete stored files whose records were not written (best effort)."""
    for name in storage_names:
        try:
            default_storage.delete(name)
        except OSError:
            continue


def load(storage_name: str) -> bytes:
    with default_storage.open(storage_name, "rb") as handle:
        return open_sealed(storage_name, handle.read())
