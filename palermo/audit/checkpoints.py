"""Signed checkpoints of the audit chain, kept outside the database (pure: no Django import).

The chain head catches events deleted from the end only while the head itself is honest.
Someone who can write to the database can delete the last events and set the head back to
an earlier event's sequence and hash (both stored in the clear: no key needed), or delete
everything. A checkpoint, "at this time the chain ended at #N with this hash", signed and
written where the database's users cannot rewrite it, outlives both: every checkpoint's
event must still exist with the same hash, and the head must not be behind any of them.

One checkpoint is one line of JSON::

    {"at":"2025-03-01T02:00:00Z","hash":"…","key":"…","sequence":42,"signature":"…","v":1}

The signature (Ed25519, base64) covers the canonical JSON of every other field; "key"
names the public key that made it, so a line signed under another key is recognised as
such. Anyone holding the public key can check the lines, for instance on the remote log
server that receives them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .chain import canonical

FORMAT_VERSION = 1
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Checkpoint:
    """The chain ended at event `sequence`, whose hash was `hash`, at time `at` (UTC)."""

    sequence: int
    hash: str
    at: datetime

    def describe_time(self) -> str:
        return self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class AnchorLine:
    """One line of an anchor file: its checkpoint, or why it cannot be trusted."""

    number: int
    checkpoint: Checkpoint | None
    problem: str = ""


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name of a public key: the start of the SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _payload(checkpoint: Checkpoint, signer_id: str) -> dict[str, Any]:
    return {
        "v": FORMAT_VERSION,
        "sequence": checkpoint.sequence,
        "hash": checkpoint.hash,
        "at": checkpoint.at.astimezone(UTC).strftime(_TIME_FORMAT),
        "key": signer_id,
    }


def signed_line(checkpoint: Checkpoint, private_key: Ed25519PrivateKey) -> str:
    """The checkpoint as one line of JSON (no newline), signed with `private_key`."""
    payload = _payload(checkpoint, key_id(private_key.public_key()))
    signature = private_key.sign(canonical(payload))
    return json.dumps(
        {**payload, "signature": base64.b64encode(signature).decode("ascii")},
        sort_keys=True,
        separators=(",", ":"),
    )


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def read_line(number: int, text: str, public_key: Ed25519PublicKey) -> AnchorLine:
    """Parse and check one line. Text before the first "{" is ignored, so lines copied from
    a syslog server (with its date and host prefix) read as well as the anchor file's own."""
    start = text.find("{")
    try:
        data = json.loads(text[start:]) if start >= 0 else None
    except ValueError:
        data = None
    if not isinstance(data, Mapping):
        return AnchorLine(number, None, "it is not a checkpoint")
    sequence, digest, signature = data.get("sequence"), data.get("hash"), data.get("signature")
    try:
        at = datetime.strptime(str(data.get("at")), _TIME_FORMAT).replace(tzinfo=UTC)
        raw_signature = base64.b64decode(str(signature), validate=True)
    except (ValueError, binascii.Error):
        return AnchorLine(number, None, "it is not a checkpoint")
    if (
        data.get("v") != FORMAT_VERSION
        or type(sequence) is not int
        or sequence < 0
        or not _is_hash(digest)
        or set(data) != {"v", "sequence", "hash", "at", "key", "signature"}
    ):
        return AnchorLine(number, None, "it is not a checkpoint")
    checkpoint = Checkpoint(sequence=sequence, hash=str(digest), at=at)
    try:
        public_key.verify(raw_signature, canonical(_payload(checkpoint, str(data["key"]))))
    except InvalidSignature:
        if data["key"] != key_id(public_key):
            reason = "its signature is not valid: it was signed with another key, or forged"
        else:
            reason = "its signature is not valid: the line was forged or altered"
        return AnchorLine(number, None, reason)
    return AnchorLine(number, checkpoint)


def read_lines(lines: Iterable[str], public_key: Ed25519PublicKey) -> list[AnchorLine]:
    """Every non-blank line, numbered from 1 as an editor would."""
    return [
        read_line(number, text, public_key)
        for number, text in enumerate(lines, start=1)
        if text.strip()
    ]


# --- comparing the checkpoints with the log ----------------------------------------------


@dataclass(frozen=True)
class LogState:
    """What the database holds now, as far as the checkpoints need it."""

    last_sequence: int  # the highest event sequence present (0: no events)
    head_sequence: int | None  # None when the chain head row is gone
    hashes: Mapping[int, str]  # the stored hash of each checkpointed sequence still present


def _events_after(sequence: int) -> str:
    return "every event was removed" if sequence == 0 else f"events after #{sequence} were removed"


def compare_with_log(checkpoints: list[Checkpoint], state: LogState) -> list[str]:
    """Where the log disagrees with its checkpoints: one sentence per finding.

    - a checkpointed event that is gone: removed from the end (the usual attack: truncate
      and wind the head back) or from the middle;
    - a checkpointed event with another hash: the log was rewritten up to there;
    - a head behind the newest checkpoint (when no removal explains it already).
    """
    problems: list[str] = []
    anchored = [c for c in checkpoints if c.sequence > 0]  # #0: the log was empty then
    gone = [c for c in anchored if c.sequence not in state.hashes]
    if gone:
        latest = max(gone, key=lambda c: (c.sequence, c.at))
        if state.last_sequence < latest.sequence:
            problems.append(
                f"{_events_after(state.last_sequence)}: the anchor of "
                f"{latest.describe_time()} records #{latest.sequence}"
            )
        else:
            first = min(gone, key=lambda c: (c.sequence, c.at))
            problems.append(
                f"event #{first.sequence} was removed: the anchor of "
                f"{first.describe_time()} records it"
            )
    differing = sorted(
        (c for c in anchored if c.sequence in state.hashes and state.hashes[c.sequence] != c.hash),
        key=lambda c: (c.sequence, c.at),
    )
    if differing:
        first = differing[0]
        problems.append(
            f"event #{first.sequence} is not the one the anchor of {first.describe_time()} "
            f"records (its hash differs): the log was rewritten up to #{first.sequence}"
        )
    newest = max(anchored, key=lambda c: (c.sequence, c.at), default=None)
    if (
        not gone
        and newest is not None
        and state.head_sequence is not None
        and state.head_sequence < newest.sequence
    ):
        problems.append(
            f"the chain head (#{state.head_sequence}) is behind the anchor of "
            f"{newest.describe_time()}, which records #{newest.sequence}"
        )
    return problems
