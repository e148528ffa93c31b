"""Uploaded files: checked by what they are, not what they are called; stored encrypted.

A tip may carry a few images or PDFs. Each is accepted only if its first bytes are those of a
JPEG, PNG, GIF, WebP or PDF file (an `.exe` renamed `photo.jpg` is refused), within the size
limit. The bytes are sealed with the vault's active AES-GCM key before they reach storage, with
the storage name as associated data (a sealed file copied under another name will not open):

    pf1:<key id>:<nonce (12 bytes)><ciphertext and tag>

`palermo rotate-keys` re-seals them under the active key (`ATTACHMENT_FILES`, registered in
the app's ready()): in place, atomically, on a file-system storage; under a new name, switched
in the attachment's row by a compare-and-set UPDATE, on any other storage.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from palermo.vault import files
from palermo.vault.ciphers import Keyring, VaultError
from palermo.vault.keys import keyring

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 3
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
    return files.seal_bytes(keyring(), data, _associated_data(storage_name))


def open_sealed(storage_name: str, blob: bytes) -> bytes:
    if not blob.startswith(files.BINARY_PREFIX):
        raise VaultError("Not an encrypted attachment.")
    return files.open_bytes(keyring(), blob, _associated_data(storage_name))


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


# --- key rotation ------------------------------------------------------------------------------


def _stored_names() -> list[str]:
    from .models import Attachment

    return list(Attachment.objects.order_by("id").values_list("storage_name", flat=True))


def _key_id(storage_name: str) -> str | None:
    try:
        with default_storage.open(storage_name, "rb") as handle:
            return files.binary_key_id(handle.read(files.HEAD_BYTES))
    except FileNotFoundError:
        return None


def _filesystem_path(storage_name: str) -> Path | None:
    """The file's path on disk, on a file-system storage (others may answer path() too,
    with a path where nothing is: the in-memory one)."""
    if not isinstance(default_storage, FileSystemStorage):
        return None
    return Path(default_storage.path(storage_name))


def reseal(storage_name: str, ring: Keyring) -> str:
    """Re-seal one stored attachment under the active key (see the module's docstring)."""
    from .models import Attachment

    try:
        with default_storage.open(storage_name, "rb") as handle:
            blob = handle.read()
    except FileNotFoundError:
        return files.GONE
    if files.binary_key_id(blob) == ring.active_id:
        return files.CURRENT
    data = files.open_bytes(ring, blob, _associated_data(storage_name))
    path = _filesystem_path(storage_name)
    if path is not None:
        files.replace_file(path, files.seal_bytes(ring, data, _associated_data(storage_name)))
        return files.ROTATED
    renamed = store(data)
    if not Attachment.objects.filter(storage_name=storage_name).update(storage_name=renamed):
        default_storage.delete(renamed)  # its attachment was deleted meanwhile
        return files.GONE
    default_storage.delete(storage_name)
    return files.ROTATED


ATTACHMENT_FILES = files.EncryptedFiles(
    name="intake attachments", files=_stored_names, key_id=_key_id, reseal=reseal
)
