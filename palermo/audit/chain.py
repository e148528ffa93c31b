"""The hash chain of the audit log (pure: no Django import).

Each event's hash covers its own canonical content and the previous event's hash, so
changing, inserting or deleting any row breaks every link after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def canonical(content: Mapping[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def link_hash(previous_hash: str, content: Mapping[str, Any]) -> str:
    return hashlib.sha256(previous_hash.encode("ascii") + b"\n" + canonical(content)).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    sequence: int
    reason: str


def first_broken_link(
    rows: Iterable[tuple[int, str, str, Mapping[str, Any]]],
) -> BrokenLink | None:
    """Walk (sequence, previous_hash, hash, content) rows in order; report the first bad one."""
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    for sequence, previous_hash, stored_hash, content in rows:
        if sequence != expected_sequence:
            return BrokenLink(expected_sequence, f"event {expected_sequence} is missing")
        if previous_hash != expected_previous:
            return BrokenLink(sequence, "its link to the previous event does not match")
        if link_hash(previous_hash, content) != stored_hash:
            return BrokenLink(sequence, "its content does not match its hash")
        expected_previous = stored_hash
        expected_sequence += 1
    return None
