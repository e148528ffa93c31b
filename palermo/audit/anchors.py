"""Anchoring the audit chain outside the database, and checking the anchors.

A checkpoint (palermo/audit/checkpoints.py) is written to two places the database's users
cannot rewrite: an append-only file (PALERMO_AUDIT_ANCHOR_FILE; each write one line, O_APPEND,
fsync) and the `palermo.audit.anchor` logger, which operators ship to a remote syslog server
(PALERMO_AUDIT_ANCHOR_SYSLOG). The worker writes one a day after verifying the chain; `palermo
audit checkpoint` writes one on demand; audit_record writes one every
PALERMO_AUDIT_CHECKPOINT_EVERY events.

The signing key is derived (HKDF, its own label) from the vault's blind-index key, like the
chain key: no deployment can lack it, it is backed up with the key file, and it stays out of
the database, so someone who can only write to the database can neither forge a checkpoint
nor recompute the chain. Ed25519 rather than an HMAC so that whoever keeps the remote copy
can check the lines with the public key alone.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from palermo.vault.keys import index_key

from .chain import GENESIS_HASH
from .checkpoints import AnchorLine, Checkpoint, LogState, compare_with_log, read_lines, signed_line
from .models import AuditChainHead, AuditEvent

logger = logging.getLogger("palermo.audit.anchor")

_SIGNING_KEY_LABEL = b"palermo audit anchor signing v1"
_LOOKUP_BATCH = 500  # sequences per IN (...): well under SQLite's variable limit


class AnchorError(Exception):
    """A checkpoint could not be written; the message says why, for the operator."""


def signing_key() -> Ed25519PrivateKey:
    """The Ed25519 key that signs checkpoints: any 32 bytes are a valid private key, so the
    HKDF output is used as it is. Not cached: it is needed once a checkpoint or a verify."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SIGNING_KEY_LABEL).derive(
        index_key()
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def anchor_file() -> Path | None:
    """The configured anchor file, or None when anchoring is switched off."""
    configured = str(settings.PALERMO_AUDIT_ANCHOR_FILE or "")
    return Path(configured) if configured else None


def _append_line(path: Path, line: str) -> None:
    """Append one line durably. O_APPEND makes each write land at the end whatever other
    writers do; one write call per line keeps lines whole; fsync before returning."""
    created = not path.exists()
    if created:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        data = (line + "\n").encode("utf-8")
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(f"short write to {path}: {written} of {len(data)} bytes")
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def write_checkpoint(checkpoint: Checkpoint) -> str:
    """Sign the checkpoint, log it, and append it to the anchor file; returns the line.

    The log line goes first: it is the copy that leaves the machine, and it must not be lost
    because the file could not be written. AnchorError when the file cannot be written or
    anchoring is off.
    """
    path = anchor_file()
    if path is None:
        raise AnchorError("Anchoring is off: PALERMO_AUDIT_ANCHOR_FILE is empty.")
    line = signed_line(checkpoint, signing_key())
    logger.info("audit checkpoint %s", line)
    try:
        _append_line(path, line)
    except OSError as exc:
        raise AnchorError(f"The anchor file {path} could not be written: {exc}") from exc
    return line


def checkpoint_of_head(now: datetime | None = None) -> Checkpoint:
    """A checkpoint of the chain as its head records it now (#0 for a log never written to).

    AnchorError when events exist but the head row is gone: there is no end to vouch for.
    """
    head = AuditChainHead.objects.filter(pk=1).values_list("sequence", "hash").first()
    if head is None:
        if AuditEvent.objects.exists():
            raise AnchorError("The audit chain head is missing: no checkpoint written.")
        head = (0, GENESIS_HASH)
    return Checkpoint(sequence=head[0], hash=head[1], at=now or timezone.now())


def anchor_head(now: datetime | None = None) -> Checkpoint:
    """Checkpoint the chain's head and write it out (AnchorError when that fails)."""
    checkpoint = checkpoint_of_head(now)
    write_checkpoint(checkpoint)
    return checkpoint


def anchor_event(sequence: int, digest: str) -> None:
    """Checkpoint one event just committed (audit_record's every-N-events anchors)."""
    try:
        write_checkpoint(Checkpoint(sequence=sequence, hash=digest, at=timezone.now()))
    except AnchorError:
        logger.exception("Audit checkpoint of event #%s not written", sequence)


# --- checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorReport:
    """What the anchors say about the log: how many were checked, and every disagreement."""

    path: Path
    checked: int
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _read_file(path: Path) -> list[str] | None:
    """The file's lines; None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None


def _stored_hashes(sequences: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(sequences), _LOOKUP_BATCH):
        batch = sequences[start : start + _LOOKUP_BATCH]
        found.update(AuditEvent.objects.filter(sequence__in=batch).values_list("sequence", "hash"))
    return found


def _describe(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _unanchored(
    path: Path, lines: list[str] | None, valid: list[Checkpoint], now: datetime
) -> str | None:
    """An old event that no checkpoint covers: anchors removed, or none being written.

    Checkpoints are written at least daily, so an event older than the grace period must be
    covered by one. This is what finds an anchor file deleted or cut short.
    """
    hours = settings.PALERMO_AUDIT_ANCHOR_GRACE_HOURS
    grace = timedelta(hours=hours)
    covered = max((c.sequence for c in valid), default=0)
    event = (
        AuditEvent.objects.filter(sequence__gt=covered, occurred_at__lt=now - grace)
        .order_by("sequence")
        .values_list("sequence", "occurred_at")
        .first()
    )
    if event is None:
        return None
    sequence, occurred_at = event
    age = f"event #{sequence} of {_describe(occurred_at)} is more than {hours} hours old"
    if lines is None or not any(line.strip() for line in lines):
        state = "missing" if lines is None else "empty"
        return (
            f"the anchor file {path} is {state}, but {age}: the anchors were removed, or "
            "checkpoints were never written (compare with the copies on the remote log)"
        )
    newest = max(valid, key=lambda c: (c.sequence, c.at), default=None)
    since = (
        f"the newest valid anchor, of {newest.describe_time()}, records #{newest.sequence}"
        if newest is not None
        else "no line of the anchor file is a valid checkpoint"
    )
    return (
        f"no anchor covers event #{sequence}, and {age}; {since}: the last lines of the anchor "
        "file were removed, or checkpoints are not being written (is the worker running?)"
    )


def check_anchors(path: Path, *, now: datetime | None = None) -> AnchorReport:
    """Compare the log with every checkpoint in `path` (the configured file, or a copy).

    The file is read before the database: a checkpoint written meanwhile (after a commit)
    then always finds its event, and a head read afterwards is never behind it.
    """
    now = now or timezone.now()
    lines = _read_file(path)
    parsed: list[AnchorLine] = read_lines(lines or [], public_key())
    problems = [f"anchor line {a.number} of {path}: {a.problem}" for a in parsed if a.problem]
    valid = [a.checkpoint for a in parsed if a.checkpoint is not None]
    state = LogState(
        last_sequence=AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0,
        head_sequence=AuditChainHead.objects.filter(pk=1)
        .values_list("sequence", flat=True)
        .first(),
        hashes=_stored_hashes(sorted({c.sequence for c in valid if c.sequence > 0})),
    )
    problems.extend(compare_with_log(valid, state))
    unanchored = _unanchored(path, lines, valid, now)
    if unanchored is not None:
        problems.append(unanchored)
    return AnchorReport(path=path, checked=len(valid), problems=problems)
