"""The referral state machine and the small domain rules around it, in one place (no Django).

States (the values of `models.ReferralState`)::

    pending ──accept──▶ accepted ──start──▶ in_progress ──done──▶ done
       │                   │                     │
       ├──decline──▶ declined                    │
       └───────────────────┴──────revoke─────────┴──▶ revoked

The receiver answers (accept, decline) and reports (start, done); the sender may revoke while
the referral is live. A transfer completes when it is accepted: ownership of the case moves and
the transfer goes straight on to done, so it can be neither started nor revoked afterwards.

For a receiver outside this deployment's organisations (an organisation outside Palermo, which
gets a printed document), the sender records the receiver's answers; a partner deployment's
answers arrive from the partner (`services.referral_partner_answer`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

PENDING = "pending"
ACCEPTED = "accepted"
DECLINED = "declined"
IN_PROGRESS = "in_progress"
DONE = "done"
REVOKED = "revoked"
LIVE = frozenset({PENDING, ACCEPTED, IN_PROGRESS})

MAX_DETAILS_LENGTH = 4000
MAX_NOTE_LENGTH = 2000
MAX_EXTERNAL_NAME_LENGTH = 200
# How far ahead a sender may set the response deadline.
MAX_RESPONSE_DAYS = 365


class Side(StrEnum):
    SENDER = "sender"
    RECEIVER = "receiver"


class Action(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    DONE = "done"
    REVOKE = "revoke"


@dataclass(frozen=True)
class Transition:
    from_states: frozenset[str]
    to_state: str
    side: Side
    # The person's consent is checked again (a withdrawal since sending stops the referral).
    checks_consent: bool
    # A note is required (a decline says why).
    note_required: bool = False


TRANSITIONS: dict[Action, Transition] = {
    Action.ACCEPT: Transition(frozenset({PENDING}), ACCEPTED, Side.RECEIVER, checks_consent=True),
    Action.DECLINE: Transition(
        frozenset({PENDING}), DECLINED, Side.RECEIVER, checks_consent=False, note_required=True
    ),
    Action.START: Transition(
        frozenset({ACCEPTED}), IN_PROGRESS, Side.RECEIVER, checks_consent=True
    ),
    Action.DONE: Transition(frozenset({IN_PROGRESS}), DONE, Side.RECEIVER, checks_consent=True),
    Action.REVOKE: Transition(frozenset(LIVE), REVOKED, Side.SENDER, checks_consent=False),
}

# Transfers: only these actions, from these states (acceptance completes them).
TRANSFER_ACTIONS = frozenset({Action.ACCEPT, Action.DECLINE, Action.REVOKE})


def allowed_actions(state: str, *, is_transfer: bool) -> frozenset[Action]:
    """The actions the state machine allows from `state` (who may take them is separate)."""
    actions = {a for a, t in TRANSITIONS.items() if state in t.from_states}
    if is_transfer:
        actions &= TRANSFER_ACTIONS
    return frozenset(actions)


def default_respond_by(sent_on: datetime.date, days: int) -> datetime.date:
    """`days` calendar days after sending: the fallback when the case's country has no
    readable working-day calendar (`services.default_respond_by` uses the calendar)."""
    return sent_on + datetime.timedelta(days=max(days, 0))


# The minimum a service needs to know, by directory service type: who the person is, and the
# group the help is about. Anything more the sender ticks on purpose.
SERVICE_GROUPS: dict[str, frozenset[str]] = {
    "Shelter": frozenset({"identity", "contact"}),
    "Health": frozenset({"identity", "health"}),
    "Psychological": frozenset({"identity", "health"}),
    "Legal": frozenset({"identity", "legal"}),
    "Interpretation": frozenset({"identity", "contact"}),
    "SocialCare": frozenset({"identity", "contact"}),
    "Education": frozenset({"identity"}),
    "Livelihood": frozenset({"identity", "contact"}),
    "Financial": frozenset({"identity"}),
    "Return": frozenset({"identity", "location"}),
    "ChildProtection": frozenset({"identity", "contact"}),
    "Hotline": frozenset({"identity"}),
}
DEFAULT_GROUPS = frozenset({"identity"})


def minimum_groups(service_type: str | None, shareable: frozenset[str]) -> frozenset[str]:
    """The groups ticked by default: the minimum for the service, of those the sender sees."""
    wanted = SERVICE_GROUPS.get(service_type or "", DEFAULT_GROUPS)
    return wanted & shareable
