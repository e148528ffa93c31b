"""Files sealed with the vault's keys, and re-sealing them under the active key.

Some personal data lives in files rather than in columns: uploaded attachments, and the spools
that keep requests while the database is down. `palermo rotate-keys` re-seals them after the
columns, so that an old key can be retired without leaving a file only it opens. Each app
registers its kinds of encrypted files in its AppConfig.ready()::

    register_encrypted_files(sealed_text_directory(
        "channels spool", spool_dir, suffix=".spool", associated_data=ASSOCIATED_DATA))

A kind of files is three functions (`EncryptedFiles`): list the files, tell which key sealed
one, and re-seal one under the active key. Re-sealing replaces a file atomically (a new file
written, fsynced and renamed over the old one), so a crash leaves each file sealed with either
its old key or the active one, both readable while the old key is kept; a second run picks up
what the first left (files already under the active key are not touched again).

Two envelopes are used for files: text, as for columns (``pv1:<key id>:…``, ciphers.py), and
binary for larger files, ``pf1:<key id>:<nonce><ciphertext and tag>``, whose associated data
names the file (a sealed file copied under another name will not open).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import ciphers
from .ciphers import Keyring, VaultError

BINARY_PREFIX = b"pf1:"
# How many bytes of a file hold its envelope's prefix and key id (key ids are short).
HEAD_BYTES = 128

# Outcomes of re-sealing one file.
ROTATED = "rotated"  # now under the active key
CURRENT = "current"  # already was (another run did it)
SKIPPED = "skipped"  # busy (another process holds it): the next run takes it
GONE = "gone"  # deleted meanwhile (replayed, purged): nothing to do


# --- the binary envelope -----------------------------------------------------------------------


def seal_bytes(ring: Keyring, data: bytes, associated_data: bytes) -> bytes:
    """Seal bytes under the active key."""
    nonce = os.urandom(ciphers.NONCE_BYTES)
    sealed = AESGCM(ring.keys[ring.active_id]).encrypt(nonce, data, associated_data)
    return BINARY_PREFIX + ring.active_id.encode("ascii") + b":" + nonce + sealed


def binary_key_id(blob: bytes) -> str:
    """The id of the key that sealed a binary envelope (its first bytes are enough)."""
    if not blob.startswith(BINARY_PREFIX):
        raise VaultError("Not an encrypted file.")
    key_id, separator, _rest = blob[len(BINARY_PREFIX) :].partition(b":")
    if not separator or not key_id:
        raise VaultError("Not an encrypted file.")
    return key_id.decode("ascii", "replace")


def open_bytes(ring: Keyring, blob: bytes, associated_data: bytes) -> bytes:
    """Open a binary envelope with whichever key sealed it; VaultError if that fails."""
    key_id = binary_key_id(blob)
    key = ring.keys.get(key_id)
    if key is None:
        raise VaultError(f"Unknown key id {key_id!r}: was a key removed before rotation?")
    rest = blob[len(BINARY_PREFIX) + len(key_id.encode("ascii")) + 1 :]
    try:
        return AESGCM(key).decrypt(
            rest[: ciphers.NONCE_BYTES], rest[ciphers.NONCE_BYTES :], associated_data
        )
    except (InvalidTag, ValueError) as exc:
        raise VaultError("An encrypted file failed its integrity check.") from exc


def text_key_id(head: bytes) -> str:
    """The id of the key that sealed a text envelope, from the file's first bytes."""
    return ciphers.key_id_of(head.decode("ascii", "replace"))


# --- writing a file in place, atomically ----------------------------------------------------


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(path: Path, content: bytes) -> None:
    """Write `content` to a new file beside `path` (same mode), fsync it, rename it over
    `path`, fsync the directory: readers see the old file or the new one, never a mix."""
    mode = path.stat().st_mode & 0o777
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        fsync_directory(path.parent)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- kinds of encrypted files ----------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedFiles:
    """One kind of encrypted files: how to list them, read their key id, re-seal one.

    `key_id` returns None for a file that is gone; `reseal` returns one of ROTATED, CURRENT,
    SKIPPED, GONE, and raises VaultError when the file cannot be opened with any key.
    """

    name: str
    files: Callable[[], Iterable[str]]
    key_id: Callable[[str], str | None]
    reseal: Callable[[str, Keyring], str]


_REGISTRY: dict[str, EncryptedFiles] = {}


def register_encrypted_files(files: EncryptedFiles) -> None:
    """Add (or replace) a kind of encrypted files for `rotate-keys`."""
    _REGISTRY[files.name] = files


def encrypted_file_kinds() -> list[EncryptedFiles]:
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def stale_files(kind: EncryptedFiles, active_id: str) -> list[str]:
    """The files of a kind not sealed with the active key (unreadable headers included:
    rotating them reports the failure)."""
    stale = []
    for name in kind.files():
        try:
            key_id = kind.key_id(name)
        except VaultError:
            stale.append(name)
            continue
        if key_id is not None and key_id != active_id:
            stale.append(name)
    return stale


def sealed_text_directory(
    name: str,
    directory: Callable[[], Path],
    *,
    suffix: str,
    associated_data: str,
    subdirectories: tuple[str, ...] = ("rejected",),
) -> EncryptedFiles:
    """Files of text envelopes (ciphers.encrypt) in a directory and its `subdirectories`,
    such as a spool and the files it set aside.

    A file is re-sealed under an exclusive lock (the spools' replayers take the same lock
    and skip a file they cannot have) and only if it is still the file that was locked: one
    replayed and deleted meanwhile is not brought back.
    """

    def files() -> list[str]:
        root = directory()
        found: list[str] = []
        for folder in (root, *(root / sub for sub in subdirectories)):
            if folder.is_dir():
                found.extend(
                    str(p)
                    for p in sorted(folder.iterdir())
                    if p.name.endswith(suffix) and p.is_file()
                )
        return found

    def key_id(path: str) -> str | None:
        try:
            with open(path, "rb") as handle:
                return text_key_id(handle.read(HEAD_BYTES))
        except FileNotFoundError:
            return None

    def reseal(path: str, ring: Keyring) -> str:
        file = Path(path)
        try:
            fd = os.open(file, os.O_RDONLY)
        except FileNotFoundError:
            return GONE
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return SKIPPED
            try:
                if os.stat(file).st_ino != os.fstat(fd).st_ino:
                    return GONE  # replaced or replayed since we opened it
            except FileNotFoundError:
                return GONE
            with os.fdopen(os.dup(fd), "rb") as handle:
                envelope = handle.read().decode("ascii")
            if ciphers.key_id_of(envelope) == ring.active_id:
                return CURRENT
            plaintext = ciphers.decrypt(ring, envelope, associated_data)
            replace_file(file, ciphers.encrypt(ring, plaintext, associated_data).encode("ascii"))
            return ROTATED
        finally:
            os.close(fd)

    return EncryptedFiles(name=name, files=files, key_id=key_id, reseal=reseal)
