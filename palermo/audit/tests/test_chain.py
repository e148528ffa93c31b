"""The hash chain on its own: pure functions, no database."""

from __future__ import annotations

from typing import Any

import pytest

from palermo.audit.chain import (
    GENESIS_HASH,
    BrokenLink,
    ChainTip,
    ChainWalker,
    Row,
    beyond_head,
    canonical,
    compare_with_head,
    first_broken_link,
    link_hash,
)

KEY = b"k" * 32


def content(sequence: int, **extra: Any) -> dict[str, Any]:
    return {"sequence": sequence, "action": "person.read", "field_groups": ["identity"], **extra}


def chain(length: int) -> list[Row]:
    rows: list[Row] = []
    previous = GENESIS_HASH
    for sequence in range(1, length + 1):
        body = content(sequence, n=sequence)
        digest = link_hash(KEY, previous, body)
        rows.append((sequence, previous, digest, body))
        previous = digest
    return rows


def test_canonical_form_ignores_key_order_and_keeps_unicode() -> None:
    assert canonical({"b": 1, "a": "Олена"}) == canonical({"a": "Олена", "b": 1})
    assert canonical({"a": "Олена"}) == '{"a":"Олена"}'.encode()


def test_link_hash_depends_on_the_previous_hash_and_every_value() -> None:
    base = link_hash(KEY, GENESIS_HASH, content(1))
    assert len(base) == 64 and base == link_hash(KEY, GENESIS_HASH, content(1))
    assert link_hash(KEY, "1" * 64, content(1)) != base
    assert link_hash(KEY, GENESIS_HASH, content(1, purpose="research")) != base
    assert link_hash(KEY, GENESIS_HASH, content(2)) != base


def test_an_intact_chain_has_no_broken_link() -> None:
    walker = ChainWalker(KEY)
    assert walker.walk(chain(5)) is None
    assert walker.verified == 5
    assert walker.tip == ChainTip(5, chain(5)[-1][2])
    assert first_broken_link(KEY, []) is None


def test_changed_content_breaks_at_that_event() -> None:
    rows = chain(5)
    sequence, previous, digest, body = rows[2]
    rows[2] = (sequence, previous, digest, {**body, "action": "person.create"})
    assert first_broken_link(KEY, rows) == BrokenLink(3, "its content does not match its hash")


def test_a_recomputed_hash_still_breaks_the_next_link() -> None:
    rows = chain(5)
    sequence, previous, _digest, body = rows[2]
    forged = {**body, "action": "person.create"}
    rows[2] = (sequence, previous, link_hash(KEY, previous, forged), forged)
    assert first_broken_link(KEY, rows) == BrokenLink(
        4, "its link to the previous event does not match"
    )


def test_a_missing_event_breaks_at_its_sequence() -> None:
    rows = chain(5)
    del rows[2]
    assert first_broken_link(KEY, rows) == BrokenLink(3, "the event is missing")


def test_the_first_event_must_start_from_genesis() -> None:
    rows = chain(3)
    sequence, _previous, _digest, body = rows[0]
    rows[0] = (sequence, "f" * 64, link_hash(KEY, "f" * 64, body), body)
    assert first_broken_link(KEY, rows) == BrokenLink(
        1, "its link to the previous event does not match"
    )


def test_walking_stops_at_the_first_broken_link() -> None:
    walker = ChainWalker(KEY)
    rows = chain(5)
    rows[1] = (2, rows[1][1], "0" * 64, rows[1][3])
    assert walker.walk(rows) == BrokenLink(2, "its content does not match its hash")
    assert walker.verified == 1


@pytest.mark.parametrize(
    ("tip", "head", "expected"),
    [
        (ChainTip(0, GENESIS_HASH), None, None),
        (ChainTip(0, GENESIS_HASH), ChainTip(0, GENESIS_HASH), None),
        (ChainTip(5, "a" * 64), ChainTip(5, "a" * 64), None),
        (ChainTip(5, "a" * 64), None, BrokenLink(1, "the chain head is missing")),
        (
            ChainTip(5, "a" * 64),
            ChainTip(6, "b" * 64),
            BrokenLink(6, "the event is missing (the chain head records 6 events)"),
        ),
        (
            ChainTip(3, "a" * 64),
            ChainTip(5, "b" * 64),
            BrokenLink(4, "events 4 to 5 are missing (the chain head records 5 events)"),
        ),
        (
            ChainTip(5, "a" * 64),
            ChainTip(5, "b" * 64),
            BrokenLink(5, "its hash does not match the chain head"),
        ),
        (
            ChainTip(5, "a" * 64),
            ChainTip(4, "b" * 64),
            BrokenLink(5, "the event is beyond the chain head (which ends at 4)"),
        ),
    ],
)
def test_the_head_catches_what_the_links_cannot(
    tip: ChainTip, head: ChainTip | None, expected: BrokenLink | None
) -> None:
    assert compare_with_head(tip, head) == expected


def test_events_beyond_the_head() -> None:
    assert beyond_head(5, ChainTip(5, "a" * 64)) is None
    assert beyond_head(0, None) is None
    assert beyond_head(7, ChainTip(5, "a" * 64)) == BrokenLink(
        6, "the event is beyond the chain head (which ends at 5)"
    )
    assert beyond_head(2, None) == BrokenLink(1, "the chain head is missing")


def test_the_chain_module_needs_no_django() -> None:
    """Anyone can re-check an exported log with chain.py alone."""
    import subprocess
    import sys

    probe = "import sys, palermo.audit.chain; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0


def test_the_chain_cannot_be_recomputed_without_the_key() -> None:
    rows = chain(3)
    sequence, previous, _, body = rows[1]
    forged = {**body, "purpose": "research"}
    # An attacker with database access but not the key recomputes with a guessed key.
    rows[1] = (sequence, previous, link_hash(b"x" * 32, previous, forged), forged)
    assert first_broken_link(KEY, rows) == BrokenLink(2, "its content does not match its hash")
