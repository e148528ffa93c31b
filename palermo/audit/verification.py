"""Proving the audit log intact: recompute every link, compare the end with the chain head,
and compare the log with the checkpoints anchored outside the database.

Verification reads without locking, so appends carry on meanwhile: it checks the chain
up to the head it read first, and only then looks for events beyond the head.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Max

from palermo.vault.keys import audit_chain_key

from .anchors import AnchorReport, anchor_file, check_anchors
from .chain import BrokenLink, ChainTip, ChainWalker, Row, beyond_head, compare_with_head
from .models import AuditChainHead, AuditEvent

BATCH = 2000

# Wraps the rows to report progress (the command passes tqdm); gets the number expected.
Progress = Callable[[Iterator[Row], int], Iterable[Row]]


@dataclass(frozen=True)
class VerificationResult:
    verified: int
    broken: BrokenLink | None
    anchors: AnchorReport | None = None  # None: anchoring is off

    @property
    def intact(self) -> bool:
        return self.broken is None and (self.anchors is None or self.anchors.intact)


def _head() -> ChainTip | None:
    head = AuditChainHead.objects.filter(pk=1).values_list("sequence", "hash").first()
    return ChainTip(*head) if head is not None else None


def _rows(up_to: int | None) -> Iterator[Row]:
    """Events in sequence order, a batch at a time (keyset paging: no long-held cursor)."""
    events = AuditEvent.objects.order_by("sequence")
    if up_to is not None:
        events = events.filter(sequence__lte=up_to)
    last = 0
    while True:
        batch = list(events.filter(sequence__gt=last)[:BATCH])
        if not batch:
            return
        for event in batch:
            yield event.sequence, event.previous_hash, event.hash, event.chained_content()
        last = batch[-1].sequence


def verify_chain(
    progress: Progress | None = None, anchors_from: Path | None = None
) -> VerificationResult:
    """Check every event's link and hash, that the chain ends where the head says, and that
    it agrees with every checkpoint of the anchor file (or of `anchors_from`, a copy of it).

    Returns how many events were proven, the first broken link, if any, and what the
    anchors say (None when anchoring is off and no copy was given).
    """
    head = _head()
    # With the head gone there is no bound: walk everything, so the report says so.
    up_to = head.sequence if head is not None else None
    expected = up_to if up_to is not None else AuditEvent.objects.count()
    rows: Iterable[Row] = _rows(up_to)
    if progress is not None:
        rows = progress(iter(rows), expected)
    walker = ChainWalker(audit_chain_key())
    broken = walker.walk(rows) or compare_with_head(walker.tip, head)
    if broken is None and head is not None:
        # Max first, head second: an append commits its event and the head together, so a
        # head read afterwards covers every event the max saw, unless the head was bypassed.
        last = AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0
        broken = beyond_head(last, _head())
    path = anchors_from or anchor_file()
    anchors = check_anchors(path) if path is not None else None
    return VerificationResult(verified=walker.verified, broken=broken, anchors=anchors)
