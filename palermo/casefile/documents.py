"""Case documents: checked by what they are, not what they are called; stored encrypted.

The sealing is intake's (`palermo.intake.attachments.seal` / `open_sealed`: AES-GCM with the
vault's active key, the storage name as associated data, so a sealed file copied under another
name will not open); this module adds what documents need on top: its own directory, the types
a case file accepts (PDF, JPEG, PNG, plain text), a configurable size limit, and names.

A file is accepted only if its first bytes are those of a PDF, JPEG or PNG, or if the whole
file is UTF-8 text without control characters. A name whose extension promises another type
(`letter.pdf` holding text, `photo.jpg` holding a program) is refused. The stored name is
random; the original name is kept only encrypted, after removing any path and invisible
characters, and is never sent back in a header: a download is named after the document's
reference.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from palermo.intake.attachments import _associated_data as attachment_associated_data
from palermo.intake.attachments import open_sealed, seal
from palermo.vault import files
from palermo.vault.ciphers import Keyring

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
STORAGE_DIRECTORY = "casefile/documents"
MAX_NAME_LENGTH = 200

# Content type → the ways its files begin (checked on the bytes, never on the name).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
TEXT = "text/plain"
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", TEXT: "txt"}
# What a name's extension promises; other extensions promise nothing and are not checked.
_PROMISED = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": TEXT,
}
# C0 and C1 controls and DEL, except tab, line feed, form feed and carriage return.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class RefusedDocument(Exception):
    """A file is refused; the message is already translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedDocument:
    name: str
    content_type: str
    data: bytes


def max_bytes() -> int:
    """The largest document accepted (PALERMO_CASEFILE_MAX_DOCUMENT_BYTES, default 10 MB)."""
    value = getattr(settings, "PALERMO_CASEFILE_MAX_DOCUMENT_BYTES", DEFAULT_MAX_BYTES)
    return int(value) if value else DEFAULT_MAX_BYTES


def _is_text(data: bytes) -> bool:
    """UTF-8 (with or without a byte-order mark) and no control characters but layout ones."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return _CONTROLS.search(text) is None


def sniff(data: bytes) -> str | None:
    """The content type the bytes show, or None for anything not accepted."""
    for content_type, signatures in SIGNATURES.items():
        if any(data.startswith(s) for s in signatures):
            return content_type
    if _is_text(data):
        return TEXT
    return None


def safe_name(name: str) -> str:
    """The last part of a file name, without controls or invisible characters, shortened."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C"
    )
    name = name.strip().strip(".")
    return name[:MAX_NAME_LENGTH]


def check_upload(upload: UploadedFile | None) -> CheckedDocument:
    """Read and check one uploaded file; RefusedDocument names the problem."""
    if upload is None:
        raise RefusedDocument(_("Choose a file."))
    limit = max_bytes()
    too_big = _("The file may be at most %(size)s.") % {"size": _size_text(limit)}
    if upload.size is not None and upload.size > limit:
        raise RefusedDocument(too_big)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise RefusedDocument(too_big)
    if not data:
        raise RefusedDocument(_("The file is empty."))
    content_type = sniff(data)
    if content_type is None:
        raise RefusedDocument(_("Add PDF documents, JPEG or PNG images, or plain text only."))
    name = safe_name(upload.name or "")
    promised = _PROMISED.get(os.path.splitext(name)[1].lower())
    if promised is not None and promised != content_type:
        raise RefusedDocument(
            _("The file's content does not match its name: it is not a %(ext)s file.")
            % {"ext": os.path.splitext(name)[1].lower()}
        )
    return CheckedDocument(name=name, content_type=content_type, data=data)


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(mb)s MB") % {"mb": f"{size / (1024 * 1024):g}"}
    return _("%(kb)s KB") % {"kb": f"{size / 1024:g}"}


def store(data: bytes) -> str:
    """Seal and store the bytes under a fresh random name; returns the name storage used."""
    wanted = f"{STORAGE_DIRECTORY}/{uuid.uuid4().hex}.bin"
    saved = default_storage.save(wanted, ContentFile(seal(wanted, data)))
    if saved != wanted:  # the storage renamed it: the seal names the file, so it would not open
        default_storage.delete(saved)
        raise OSError(f"storage renamed {wanted} to {saved}")
    return saved


def discard(storage_name: str) -> None:
    """Delete a stored file whose record was not written (best effort)."""
    try:
        default_storage.delete(storage_name)
    except OSError:
        return


def load(storage_name: str) -> bytes:
    with default_storage.open(storage_name, "rb") as handle:
        return open_sealed(storage_name, handle.read())


def download_name(reference: str, content_type: str) -> str:
    return f"{reference}.{EXTENSIONS.get(content_type, 'bin')}"


# --- key rotation ------------------------------------------------------------------------------
# Documents are sealed the way intake's attachments are (`palermo.intake.attachments.seal`, the
# storage name as associated data); `palermo rotate-keys` re-seals them under the active key:
# in place, atomically, on a file-system storage; under a new name, switched in the document's
# row by a compare-and-set UPDATE, on any other storage.


def _stored_names() -> list[str]:
    from .models import CaseDocument

    return list(CaseDocument.objects.order_by("id").values_list("storage_name", flat=True))


def _key_id(storage_name: str) -> str | None:
    try:
        with default_storage.open(storage_name, "rb") as handle:
            return files.binary_key_id(handle.read(files.HEAD_BYTES))
    except FileNotFoundError:
        return None


def reseal(storage_name: str, ring: Keyring) -> str:
    """Re-seal one stored document under the active key."""
    from .models import CaseDocument

    try:
        with default_storage.open(storage_name, "rb") as handle:
            blob = handle.read()
    except FileNotFoundError:
        return files.GONE
    if files.binary_key_id(blob) == ring.active_id:
        return files.CURRENT
    associated = attachment_associated_data(storage_name)
    data = files.open_bytes(ring, blob, associated)
    if isinstance(default_storage, FileSystemStorage):
        path = Path(default_storage.path(storage_name))
        files.replace_file(path, files.seal_bytes(ring, data, associated))
        return files.ROTATED
    renamed = store(data)
    if not CaseDocument.objects.filter(storage_name=storage_name).update(storage_name=renamed):
        default_storage.delete(renamed)  # its document was deleted meanwhile
        return files.GONE
    default_storage.delete(storage_name)
    return files.ROTATED


DOCUMENT_FILES = files.EncryptedFiles(
    name="case documents", files=_stored_names, key_id=_key_id, reseal=reseal
)
