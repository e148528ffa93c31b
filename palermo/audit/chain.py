"""The hash chain of the audit log (pure: no Django import).

Each event's hash covers its own canonical content and the previous event's hash, so
changing, inserting or deleting any row breaks every link after it. The hash is an HMAC
under a key kept outside the database: someone who can write to the database but does not
hold the key cannot recompute the chain after tampering with it. The chain head (the
last sequence and hash, kept apart from the events) catches what the links alone cannot:
rows deleted from the end. The head is in the database too, so someone who can write there
can wind it back with the rows: the signed checkpoints anchored outside the database
(checkpoints.py, anchors.py) catch that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64

# (sequence, previous_hash, hash, content) of one stored event.
Row = tuple[int, str, str, Mapping[str, Any]]


def canonical(content: Mapping[str, Any]) -> bytes:
    """The bytes a hash covers: sorted keys and no whitespace, so the same content always
    gives the same bytes whichever database it went through."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def link_hash(key: bytes, previous_hash: str, content: Mapping[str, Any]) -> str:
    message = previous_hash.encode("ascii") + b"\n" + canonical(content)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    """The first event at which the chain fails, and why (a phrase about that event)."""

    sequence: int
    reason: str


@dataclass(frozen=True)
class ChainTip:
    """The last event of a chain: what the chain head must agree with."""

    sequence: int
    hash: str


GENESIS_TIP = ChainTip(0, GENESIS_HASH)


class ChainWalker:
    """Checks rows one at a time, in sequence order, remembering how far the chain is good.

    Streaming (rather than taking a list) lets verification page through millions of
    events and report progress as it goes.
    """

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.tip = GENESIS_TIP
        self.verified = 0

    def check(self, row: Row) -> BrokenLink | None:
        """The broken link this row shows, or None after accepting it as the new tip."""
        sequence, previous_hash, stored_hash, content = row
        expected = self.tip.sequence + 1
        if sequence != expected:
            return BrokenLink(expected, "the event is missing")
        if previous_hash != self.tip.hash:
            return BrokenLink(sequence, "its link to the previous event does not match")
        if not hmac.compare_digest(link_hash(self.key, previous_hash, content), stored_hash):
            return BrokenLink(sequence, "its content does not match its hash")
        self.tip = ChainTip(sequence, stored_hash)
        self.verified += 1
        return None

    def walk(self, rows: Iterable[Row]) -> BrokenLink | None:
        for row in rows:
            broken = self.check(row)
            if broken is not None:
                return broken
        return None


def first_broken_link(key: bytes, rows: Iterable[Row]) -> BrokenLink | None:
    """Walk (sequence, previous_hash, hash, content) rows in order; report the first bad one."""
    return ChainWalker(key).walk(rows)


def compare_with_head(tip: ChainTip, head: ChainTip | None) -> BrokenLink | None:
    """Whether an intact chain ending at `tip` is the whole chain the head records.

    `head` is None when the head row itself is gone. Rows deleted from the end leave
    every remaining link valid: only the head still knows how long the chain was.
    """
    if head is None:
        if tip.sequence == 0:
            return None  # nothing was ever recorded
        return BrokenLink(1, "the chain head is missing")
    if head.sequence > tip.sequence:
        first_missing = tip.sequence + 1
        if head.sequence == first_missing:
            reason = f"the event is missing (the chain head records {head.sequence} events)"
        else:
            reason = (
                f"events {first_missing} to {head.sequence} are missing "
                f"(the chain head records {head.sequence} events)"
            )
        return BrokenLink(first_missing, reason)
    if head.sequence < tip.sequence:
        return beyond_head(tip.sequence, head)
    if head.hash != tip.hash:
        return BrokenLink(tip.sequence, "its hash does not match the chain head")
    return None


def beyond_head(last_sequence: int, head: ChainTip | None) -> BrokenLink | None:
    """Events the head does not know of: appended around the service, which locks the head."""
    head_sequence = head.sequence if head is not None else 0
    if last_sequence <= head_sequence:
        return None
    if head is None:
        return BrokenLink(1, "the chain head is missing")
    return BrokenLink(
        head_sequence + 1, f"the event is beyond the chain head (which ends at {head_sequence})"
    )
