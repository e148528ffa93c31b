"""The tip spool: tips kept on disk while the database is unavailable, stored afterwards.

"A tip accepted is a tip stored": when the database cannot take a tip, the whole submission
(its fields, its files, its reference and the hash of its secret) is sealed with the vault's
active AES-GCM key and written to VAR_DIR/spool/tips: to a temporary name (mode 0600), fsynced,
renamed into place, the directory fsynced. Only then does the tipster see the reference and
secret. The worker replays the spool every few seconds (periodic job "intake-replay-tips"),
oldest first, storing each tip exactly as if it had just arrived and deleting the file only
after that has committed; the tip's reference makes a second replay of the same file a no-op.
A file that can never be read is moved to rejected/ for the operator, never dropped.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from palermo.vault import ciphers
from palermo.vault.keys import keyring

logger = logging.getLogger(__name__)

ASSOCIATED_DATA = "palermo.intake.tip-spool.v1"
SUFFIX = ".tip"
REJECTED = "rejected"


def spool_dir() -> Path:
    configured = getattr(settings, "PALERMO_TIP_SPOOL_DIR", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "spool" / "tips"


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def spooled_files(directory: Path | None = None) -> list[Path]:
    """The tips waiting for the database, oldest first."""
    directory = directory or spool_dir()
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.endswith(SUFFIX) and p.is_file())


def write(record: dict[str, Any]) -> Path:
    """Write one tip to the spool durably; returns the file. Raises on any failure."""
    directory = spool_dir()
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        _fsync_directory(directory.parent)
    sealed = ciphers.encrypt(keyring(), json.dumps(record, separators=(",", ":")), ASSOCIATED_DATA)
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex}{SUFFIX}"
    temporary = directory / f".{name}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(sealed)
            handle.flush()
            os.fsync(handle.fileno())
        final = directory / name
        os.rename(temporary, final)
        _fsync_directory(directory)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return final


def read(path: Path) -> dict[str, Any]:
    record = json.loads(
        ciphers.decrypt(keyring(), path.read_text(encoding="ascii"), ASSOCIATED_DATA)
    )
    if not isinstance(record, dict):
        raise ValueError("not a tip record")
    return record


@dataclass
class ReplayReport:
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    remaining: int = 0
    stopped_by: str = ""


def _reject(path: Path, reason: str) -> None:
    rejected = path.parent / REJECTED
    rejected.mkdir(exist_ok=True, mode=0o700)
    os.rename(path, rejected / path.name)
    _fsync_directory(path.parent)
    logger.error("Tip spool file %s rejected (%s); kept in %s", path.name, reason, rejected)


def replay(*, limit: int | None = None) -> ReplayReport:
    """Store spooled tips, oldest first, deleting each file after its commit.

    Stops at the first database failure, or when no organisation receives tips yet (the rest
    waits for the next run). Files another replayer holds are skipped.
    """
    from .tips import DATABASE_ERRORS, TipFormClosed, store_spooled

    report = ReplayReport()
    for index, path in enumerate(spooled_files()):
        if limit is not None and index >= limit:
            break
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            if not path.exists():
                continue
            try:
                record = read(path)
            except (ciphers.VaultError, ValueError, KeyError, TypeError) as exc:
                _reject(path, f"unreadable: {exc}")
                report.rejected += 1
                continue
            try:
                stored = store_spooled(record)
            except DATABASE_ERRORS as exc:
                report.stopped_by = str(exc)[:200]
                break
            except TipFormClosed:
                report.stopped_by = "no organisation receives tips"
                break
            except (KeyError, TypeError, ValueError) as exc:
                _reject(path, f"malformed: {exc}")
                report.rejected += 1
                continue
            path.unlink()
            _fsync_directory(path.parent)
            if stored:
                report.stored += 1
            else:
                report.duplicates += 1
        finally:
            os.close(fd)
    report.remaining = len(spooled_files())
    return report
