"""The spool: webhooks kept on disk while the database is unavailable, replayed afterwards.

A spool file holds one webhook request (URL, signature headers, raw body, time received) as
JSON sealed with the vault's active AES-GCM key: the body is a person's message. It is written
to a temporary name (mode 0600), fsynced, renamed into place and the directory fsynced, so a
file that exists is complete and survives a crash; only then is the gateway answered.

Replaying (the worker every few seconds, or `palermo channel replay-spool`) runs each file,
oldest first, through the same ingestion path as a live request, and deletes it only after
that has committed. The gateway's message id makes a replay of something already stored a
no-op, so a crash between the commit and the delete is harmless. A file that can never be
ingested (bad signature, unknown channel, unreadable) is moved to ``rejected/`` for the
operator, never silently dropped.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from palermo.vault import ciphers
from palermo.vault.keys import keyring

from .conf import channel_settings
from .webhooks import WebhookRequest

logger = logging.getLogger(__name__)

ASSOCIATED_DATA = "palermo.channels.spool.v1"
SUFFIX = ".spool"
REJECTED = "rejected"


class SpoolFull(Exception):
    """The spool holds as many files as it may."""


def spool_dir() -> Path:
    return channel_settings().spool_dir


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_directory(directory: Path) -> None:
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        _fsync_directory(directory.parent)


def spooled_files(directory: Path | None = None) -> list[Path]:
    """The spool files waiting for replay, oldest first."""
    directory = directory or spool_dir()
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.endswith(SUFFIX) and p.is_file())


_counted: dict[Path, tuple[float, int]] = {}


def _spool_is_full(directory: Path, limit: int) -> bool:
    """Whether the spool holds `limit` files; counted at most once a second per process (an
    outage writes hundreds of files a second, and listing them each time would not scale)."""
    if not limit:
        return False
    now = time.monotonic()
    checked_at, count = _counted.get(directory, (0.0, 0))
    if now - checked_at >= 1.0:
        checked_at = now
        count = sum(1 for name in os.listdir(directory) if name.endswith(SUFFIX))
    if count >= limit:
        _counted[directory] = (checked_at, count)
        return True
    _counted[directory] = (checked_at, count + 1)  # the file about to be written
    return False


def write(webhook: WebhookRequest, *, verified: bool) -> Path:
    """Write a webhook to the spool durably; returns the file. Raises on any failure."""
    directory = spool_dir()
    _ensure_directory(directory)
    limit = channel_settings().spool_max_files
    if _spool_is_full(directory, limit):
        raise SpoolFull(f"The spool already holds {limit} files.")
    record = {"verified": verified, "request": webhook.as_json()}
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


def read(path: Path) -> tuple[WebhookRequest, bool]:
    """A spool file's webhook and whether its signature was checked when it was spooled."""
    sealed = path.read_text(encoding="ascii")
    record = json.loads(ciphers.decrypt(keyring(), sealed, ASSOCIATED_DATA))
    return WebhookRequest.from_json(record["request"]), bool(record["verified"])


@dataclass
class ReplayReport:
    replayed: int = 0
    duplicates: int = 0
    rejected: int = 0
    remaining: int = 0
    stopped_by: str = ""
    outcomes: dict[str, int] = field(default_factory=dict)


def _reject(path: Path, reason: str) -> None:
    rejected = path.parent / REJECTED
    _ensure_directory(rejected)
    os.rename(path, rejected / path.name)
    _fsync_directory(path.parent)
    logger.error("Spool file %s rejected (%s); kept in %s", path.name, reason, rejected)


def replay(*, limit: int | None = None) -> ReplayReport:
    """Ingest spooled webhooks, oldest first, deleting each after its commit.

    Stops at the first database failure (the rest waits for the next run). Files another
    replayer holds are skipped.
    """
    from .ingestion import DatabaseUnavailable, process

    report = ReplayReport()
    files = spooled_files()
    for index, path in enumerate(files):
        if limit is not None and index >= limit:
            break
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # another replayer finished it
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            if not path.exists():
                continue
            try:
                webhook, verified = read(path)
            except (ciphers.VaultError, ValueError, KeyError, TypeError) as exc:
                _reject(path, f"unreadable: {exc}")
                report.rejected += 1
                continue
            try:
                outcome = process(webhook, verified=verified)
            except DatabaseUnavailable as exc:
                report.stopped_by = str(exc)[:200]
                break
            report.outcomes[outcome.result] = report.outcomes.get(outcome.result, 0) + 1
            if outcome.response.status >= 400:
                _reject(path, outcome.result)
                report.rejected += 1
                continue
            path.unlink()
            _fsync_directory(path.parent)
            report.replayed += 1
            if outcome.result == "duplicate":
                report.duplicates += 1
        finally:
            os.close(fd)
    report.remaining = len(spooled_files())
    return report
