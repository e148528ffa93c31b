"""The rules of safe travel, as plain Python (no Django): schedules, the ladder, welfare answers.

- `next_due_at`: when the next check-in is due, for an interval or fixed local times.
- `Ladder` and `step_times`: when each escalation step of a missed check-in falls.
- `plan_ladder`: what the scheduler must do for one trip at one moment — send the latest due
  step (skipping earlier ones it supersedes), or, when even the latest due step is stale (the
  service was down), re-notify the traveller and push the rest of the ladder back.
- `ladder_problems`: whether a deployment's ladder settings are within safe bounds.
- `worrying_welfare`: which welfare answers are a warning sign.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = datetime.UTC

REMINDER = "reminder"
SECOND_REMINDER = "second_reminder"
CONTACTS_ALERT = "contacts_alert"
URGENT_ALERT = "urgent_alert"
OUTAGE_NOTICE = "outage_notice"
LADDER = (REMINDER, SECOND_REMINDER, CONTACTS_ALERT, URGENT_ALERT)
TRAVELLER_STEPS = frozenset({REMINDER, SECOND_REMINDER})

INTERVAL_HOURS_BOUNDS = (1, 72)
MAX_FIXED_TIMES = 6
GRACE_MINUTES_MAX = 24 * 60
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

# Safe bounds for a deployment's ladder, in minutes after the due time (see ladder_problems).
LADDER_BOUNDS: dict[str, tuple[int, int]] = {
    REMINDER: (0, 60),
    SECOND_REMINDER: (5, 240),
    CONTACTS_ALERT: (15, 24 * 60),
    URGENT_ALERT: (30, 48 * 60),
}
DEFAULT_LADDER_MINUTES: dict[str, int] = {
    REMINDER: 0,
    SECOND_REMINDER: 30,
    CONTACTS_ALERT: 120,
    URGENT_ALERT: 360,
}


# --- time zones and schedules ----------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    """The named IANA time zone; UTC for an unknown or empty name."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_fixed_time(text: str) -> datetime.time | None:
    """'08:00' → time(8, 0); anything else (including '8:00' and '24:00') → None."""
    match = _HHMM.match(text.strip())
    if not match:
        return None
    return datetime.time(int(match.group(1)), int(match.group(2)))


def next_fixed_time(
    times: Sequence[str], time_zone: str, after: datetime.datetime
) -> datetime.datetime | None:
    """The first of the daily local `times` strictly after `after` (aware), in UTC."""
    parsed = sorted(t for t in (parse_fixed_time(s) for s in times) if t is not None)
    if not parsed:
        return None
    tz = zone(time_zone)
    local = after.astimezone(tz)
    # Three days cover any time zone offset and a DST change in between.
    for day_offset in range(3):
        day = local.date() + datetime.timedelta(days=day_offset)
        for t in parsed:
            candidate = datetime.datetime.combine(day, t, tzinfo=tz).astimezone(UTC)
            if candidate > after:
                return candidate
    return None  # unreachable with at least one valid time


def next_due_at(
    *,
    schedule_kind: str,
    interval_hours: int | None,
    fixed_times: Sequence[str],
    time_zone: str,
    after: datetime.datetime,
    covers: datetime.timedelta = datetime.timedelta(0),
) -> datetime.datetime | None:
    """When the next check-in is due, counting from `after` (a check-in, or arming the trip).

    Interval: `after` + the interval. Fixed times: the first local time later than
    `after + covers` — a check-in made within `covers` before a due time counts for it.
    """
    if schedule_kind == "interval":
        if not interval_hours:
            return None
        return (after + datetime.timedelta(hours=interval_hours)).astimezone(UTC)
    return next_fixed_time(fixed_times, time_zone, after + covers)


# --- the ladder ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ladder:
    """Offsets after the due time of each ladder step."""

    reminder: datetime.timedelta
    second_reminder: datetime.timedelta
    contacts_alert: datetime.timedelta
    urgent_alert: datetime.timedelta

    @classmethod
    def from_minutes(cls, minutes: Mapping[str, int]) -> Ladder:
        values = {**DEFAULT_LADDER_MINUTES, **dict(minutes)}
        return cls(**{k: datetime.timedelta(minutes=int(values[k])) for k in LADDER})

    def for_grace(self, grace_minutes: int | None) -> Ladder:
        """This ladder with the contacts alerted `grace_minutes` after the due time, and the
        urgent alert moved by as much (a trip's own grace period)."""
        if grace_minutes is None:
            return self
        contacts = datetime.timedelta(minutes=grace_minutes)
        return Ladder(
            reminder=self.reminder,
            second_reminder=self.second_reminder,
            contacts_alert=contacts,
            urgent_alert=contacts + (self.urgent_alert - self.contacts_alert),
        )

    def offsets(self) -> list[tuple[str, datetime.timedelta]]:
        return [(kind, getattr(self, kind)) for kind in LADDER]


def step_times(
    ladder: Ladder, episode_due_at: datetime.datetime, shift_seconds: int = 0
) -> list[tuple[str, datetime.datetime]]:
    """When each ladder step falls for a missed due time. An outage's shift moves the alert
    steps (contacts and urgent), never the reminders (which are past when it applies)."""
    shift = datetime.timedelta(seconds=shift_seconds)
    no_shift = datetime.timedelta(0)
    return [
        (kind, episode_due_at + offset + (no_shift if kind in TRAVELLER_STEPS else shift))
        for kind, offset in ladder.offsets()
    ]


def ladder_problems(minutes: Mapping[str, object]) -> list[str]:
    """What is wrong with a deployment's ladder setting (empty when it is safe)."""
    problems = []
    unknown = sorted(set(minutes) - set(LADDER))
    if unknown:
        problems.append(f"unknown steps: {', '.join(unknown)}")
    values: dict[str, int] = {}
    for kind in LADDER:
        value = minutes.get(kind, DEFAULT_LADDER_MINUTES[kind])
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{kind} must be a whole number of minutes")
            continue
        low, high = LADDER_BOUNDS[kind]
        if not low <= value <= high:
            problems.append(f"{kind} must be between {low} and {high} minutes, not {value}")
        values[kind] = value
    if len(values) == len(LADDER):
        ordered = [values[k] for k in LADDER]
        if any(b <= a for a, b in zip(ordered, ordered[1:], strict=False)):
            problems.append(
                "the steps must come in order, each later than the one before "
                "(reminder < second_reminder < contacts_alert < urgent_alert)"
            )
    return problems


@dataclass(frozen=True)
class LadderPlan:
    """What to do now for one trip's open episode.

    `send`: the step to send now (None: nothing). `skipped`: earlier due steps not sent, with
    the reason (superseded by a later step, or stale after an outage). `outage`: the latest
    due step was stale: send the traveller an outage notice instead, and move the alert steps
    by `shift_seconds` more. `stage`: steps handled after this plan. `next_at`: when to look
    again (None: the ladder is done).
    """

    send: str | None
    skipped: list[tuple[str, str]] = field(default_factory=list)
    outage: bool = False
    shift_seconds: int = 0
    stage: int = 0
    next_at: datetime.datetime | None = None
    scheduled: dict[str, datetime.datetime] = field(default_factory=dict)


def plan_ladder(
    *,
    ladder: Ladder,
    episode_due_at: datetime.datetime,
    stage: int,
    shift_seconds: int,
    now: datetime.datetime,
    stale_after: datetime.timedelta,
    outage_grace: datetime.timedelta,
) -> LadderPlan:
    """Decide, for an episode whose first `stage` steps are handled, what is due at `now`."""
    times = step_times(ladder, episode_due_at, shift_seconds)
    scheduled = dict(times)
    pending = times[stage:]
    due = [(kind, at) for kind, at in pending if at <= now]
    if not due:
        return LadderPlan(
            send=None,
            stage=stage,
            shift_seconds=shift_seconds,
            next_at=pending[0][1] if pending else None,
            scheduled=scheduled,
        )
    latest_kind, latest_at = due[-1]
    if now - latest_at <= stale_after:
        new_stage = stage + len(due)
        return LadderPlan(
            send=latest_kind,
            skipped=[(kind, "superseded") for kind, _ in due[:-1]],
            stage=new_stage,
            shift_seconds=shift_seconds,
            next_at=times[new_stage][1] if new_stage < len(times) else None,
            scheduled=scheduled,
        )
    # Everything due is stale: the service was not running when these fell due. Don't fire
    # them blindly. Reminders that are past are skipped; the first alert step not yet handled
    # (and every one after it) moves to a fresh grace period from now.
    skipped = [(kind, "stale") for kind, _ in due if kind in TRAVELLER_STEPS]
    new_stage = stage + len(skipped)
    new_shift = shift_seconds
    alerts = [at for kind, at in times[new_stage:] if kind not in TRAVELLER_STEPS]
    if alerts and alerts[0] < now + outage_grace:
        new_shift += int((now + outage_grace - alerts[0]).total_seconds())
    shifted = step_times(ladder, episode_due_at, new_shift)
    return LadderPlan(
        send=None,
        skipped=skipped,
        outage=True,
        stage=new_stage,
        shift_seconds=new_shift,
        next_at=shifted[new_stage][1] if new_stage < len(shifted) else None,
        scheduled=scheduled,
    )


# --- welfare check ---------------------------------------------------------------------------

WELFARE_KEYS = ("holds_passport", "paid_as_promised", "free_to_leave")
WELFARE_ANSWERS = ("yes", "no", "skip")


def clean_welfare_answers(answers: Mapping[str, object] | None) -> dict[str, str]:
    """Known questions with a known answer; anything else is dropped."""
    if not answers:
        return {}
    return {
        key: str(answers[key])
        for key in WELFARE_KEYS
        if key in answers and str(answers[key]) in WELFARE_ANSWERS
    }


def worrying_welfare(answers: Mapping[str, str]) -> list[str]:
    """The questions answered 'no': each is a warning sign (ILO forced-labour indicators:
    retention of identity documents, withholding of wages, restriction of movement)."""
    return [key for key in WELFARE_KEYS if answers.get(key) == "no"]
