"""A contact's statuses and the moves between them, declared in one place (pure: no Django).

    new ──claim──▶ claimed ──start──▶ in_progress ──close──▶ closed
     ▲  ◀─release──┘   │                                      │
     │                 └──────────────close──────────────────▶│
     └───────────────── a new message reopens ─────────────────┘

A new contact may also be closed at once (a silent call, spam). A closed contact is reopened
(back to new, in the queue) when its SMS thread receives another message, or by an operator
who takes it up again (in progress).
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


ALLOWED_MOVES: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.CLAIMED, Status.CLOSED}),
    Status.CLAIMED: frozenset({Status.NEW, Status.IN_PROGRESS, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.CLOSED, Status.NEW}),
    Status.CLOSED: frozenset({Status.NEW, Status.IN_PROGRESS}),
}

OPEN_STATUSES = frozenset({Status.NEW, Status.CLAIMED, Status.IN_PROGRESS})


def can_move(current: str, target: str) -> bool:
    """Whether a contact in `current` may move to `target` (staying put is not a move)."""
    try:
        return Status(target) in ALLOWED_MOVES[Status(current)]
    except ValueError:
        return False


def moves_from(current: str) -> list[Status]:
    """The statuses a contact in `current` may move to, in the order of the lifecycle."""
    allowed = ALLOWED_MOVES.get(Status(current), frozenset())
    return [status for status in Status if status in allowed]


# --- situations -------------------------------------------------------------------------------
#
#     open ──close──▶ closed
#       ▲              │
#       └───reopen─────┘
#
# A situation stays open while the hotline works on the case of concern it groups; closing it
# says the hotline's part is done (help found, referred on, or nothing more to do). New
# contacts and persons may still be added to a closed situation (a late call about the same
# case), which does not reopen it: an operator decides that.


class SituationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


SITUATION_MOVES: dict[SituationStatus, frozenset[SituationStatus]] = {
    SituationStatus.OPEN: frozenset({SituationStatus.CLOSED}),
    SituationStatus.CLOSED: frozenset({SituationStatus.OPEN}),
}


def situation_can_move(current: str, target: str) -> bool:
    """Whether a situation in `current` may move to `target` (staying put is not a move)."""
    try:
        return SituationStatus(target) in SITUATION_MOVES[SituationStatus(current)]
    except ValueError:
        return False


def situation_moves_from(current: str) -> list[SituationStatus]:
    allowed = SITUATION_MOVES.get(SituationStatus(current), frozenset())
    return [status for status in SituationStatus if status in allowed]
