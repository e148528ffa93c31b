"""Checkpoint lines and their comparison with the log, on their own: no database."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from palermo.audit.checkpoints import (
    AnchorLine,
    Checkpoint,
    LogState,
    compare_with_log,
    key_id,
    read_line,
    read_lines,
    signed_line,
)

KEY = Ed25519PrivateKey.from_private_bytes(b"s" * 32)
AT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
WHEN = "2025-03-01 02:00:00 UTC"


def point(sequence: int, digest: str = "a" * 64, at: datetime = AT) -> Checkpoint:
    return Checkpoint(sequence=sequence, hash=digest, at=at)


def test_a_signed_line_reads_back() -> None:
    line = signed_line(point(42), KEY)
    assert "\n" not in line
    data = json.loads(line)
    assert data["at"] == "2025-03-01T02:00:00Z" and data["key"] == key_id(KEY.public_key())
    assert read_line(1, line, KEY.public_key()) == AnchorLine(1, point(42))


def test_a_syslog_prefix_is_ignored() -> None:
    line = "Mar  1 02:00:01 host palermo-audit-anchor: audit checkpoint " + signed_line(
        point(7), KEY
    )
    assert read_line(3, line, KEY.public_key()).checkpoint == point(7)


@pytest.mark.parametrize(
    ("field", "value"),
    [("sequence", 43), ("hash", "b" * 64), ("at", "2025-03-02T02:00:00Z"), ("key", "0" * 16)],
)
def test_any_altered_field_breaks_the_signature(field: str, value: object) -> None:
    data = json.loads(signed_line(point(42), KEY))
    data[field] = value
    result = read_line(1, json.dumps(data), KEY.public_key())
    assert result.checkpoint is None and "signature is not valid" in result.problem


def test_a_line_signed_with_another_key_says_so() -> None:
    other = Ed25519PrivateKey.from_private_bytes(b"o" * 32)
    result = read_line(1, signed_line(point(1), other), KEY.public_key())
    assert result == AnchorLine(
        1, None, "its signature is not valid: it was signed with another key, or forged"
    )


@pytest.mark.parametrize(
    "text",
    [
        "garbage",
        "{not json",
        "[1, 2]",
        '{"v": 1}',
        json.dumps({**json.loads(signed_line(point(1), KEY)), "v": 2}),
        json.dumps({**json.loads(signed_line(point(1), KEY)), "sequence": "1"}),
        json.dumps({**json.loads(signed_line(point(1), KEY)), "sequence": -1}),
        json.dumps({**json.loads(signed_line(point(1), KEY)), "hash": "A" * 64}),
        json.dumps({**json.loads(signed_line(point(1), KEY)), "at": "yesterday"}),
        json.dumps({**json.loads(signed_line(point(1), KEY)), "signature": "!!"}),
        json.dumps({**json.loads(signed_line(point(1), KEY)), "extra": 1}),
    ],
)
def test_what_is_not_a_checkpoint(text: str) -> None:
    assert read_line(5, text, KEY.public_key()) == AnchorLine(5, None, "it is not a checkpoint")


def test_lines_are_numbered_as_in_an_editor_and_blank_ones_skipped() -> None:
    lines = [signed_line(point(1), KEY), "", "  ", signed_line(point(2), KEY)]
    assert [(a.number, a.checkpoint) for a in read_lines(lines, KEY.public_key())] == [
        (1, point(1)),
        (4, point(2)),
    ]


def state(last: int, head: int | None, hashes: dict[int, str]) -> LogState:
    return LogState(last_sequence=last, head_sequence=head, hashes=hashes)


@pytest.mark.parametrize(
    ("checkpoints", "log", "expected"),
    [
        ([point(0), point(3)], state(5, 5, {3: "a" * 64}), []),
        (
            [point(3), point(5)],
            state(3, 3, {3: "a" * 64}),
            [f"events after #3 were removed: the anchor of {WHEN} records #5"],
        ),
        (
            [point(3), point(5)],
            state(0, None, {}),
            [f"every event was removed: the anchor of {WHEN} records #5"],
        ),
        (
            [point(3), point(5)],
            state(6, 6, {5: "a" * 64}),
            [f"event #3 was removed: the anchor of {WHEN} records it"],
        ),
        (
            [point(3), point(5, "c" * 64)],
            state(5, 5, {3: "a" * 64, 5: "b" * 64}),
            [
                f"event #5 is not the one the anchor of {WHEN} records (its hash differs): "
                "the log was rewritten up to #5"
            ],
        ),
        (
            [point(5)],
            state(5, 4, {5: "a" * 64}),
            [f"the chain head (#4) is behind the anchor of {WHEN}, which records #5"],
        ),
        ([point(5)], state(5, None, {5: "a" * 64}), []),  # the chain reports a missing head
    ],
)
def test_comparing_checkpoints_with_the_log(
    checkpoints: list[Checkpoint], log: LogState, expected: list[str]
) -> None:
    assert compare_with_log(checkpoints, log) == expected


def test_the_checkpoints_module_needs_no_django() -> None:
    """A remote log server can check the lines with checkpoints.py and the public key."""
    probe = "import sys, palermo.audit.checkpoints; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0
