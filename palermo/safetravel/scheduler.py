"""The scheduler: find trips that need attention, handle each ladder step once, send each
message once.

One cycle (`run_cycle`, run every PALERMO_TRAVEL_TICK_SECONDS by the worker, or by
`palermo travel tick --now …`):

1. **Scan**: `Trip.next_action_at <= now` — one range scan of a partial index that holds only
   armed trips. `next_action_at` is the due time while all is well and the next ladder step
   while a check-in is missed.
2. **Advance**, a batch of trips per transaction: each trip is locked (PostgreSQL:
   `SELECT … FOR UPDATE SKIP LOCKED`, so two workers split the work; SQLite: the write
   transaction is `BEGIN IMMEDIATE`, so they take turns) and re-checked under the lock; the
   ladder plan (rules.plan_ladder) becomes EscalationStep rows — unique per (trip, episode,
   kind), so a step can only ever exist once — and one Notification per recipient and
   channel with a unique idempotency key. The trip's state moves on in the same transaction.
3. **Deliver**: notifications are claimed in batches with one conditional UPDATE
   (`status = 'sending'`, `lease_until`, `claimed_by`; PostgreSQL adds SKIP LOCKED), then
   handed to the provider with their idempotency key and marked sent. A worker killed after
   claiming leaves rows `sending` with a lease that runs out; the next claim takes them again
   and the provider, idempotent by key, does not deliver twice.

Outages: when even the latest due step of a trip is stale (overdue by more than
PALERMO_TRAVEL_STALE_AFTER_MINUTES), nothing stale is fired: the traveller gets an outage
notice and the alert steps move to a fresh grace period (PALERMO_TRAVEL_OUTAGE_GRACE_MINUTES);
the trip's history records it.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.utils import timezone
from django_tasks_db.utils import is_locked_database_exception

from palermo.audit.services import audit_record

from . import messages, rules
from .delivery import DeliveryError, Outgoing, hand_over
from .hotline import SCHEDULER, travel_alert_raise
from .models import (
    EscalationStep,
    Notification,
    NotificationPurpose,
    NotificationStatus,
    RecipientKind,
    StepKind,
    StepStatus,
    TravelAlertKind,
    Trip,
    TripEvent,
    TripEventKind,
    TripStatus,
    TrustedContact,
)

logger = logging.getLogger(__name__)

SCAN_BATCH = 500
DELIVERY_BATCH = 200
DELIVERY_CHUNK = 50  # messages handed over per transaction
MAX_ATTEMPTS = 8
MAX_BUSY_RETRIES = 200
TRAVELLER_KINDS = frozenset({StepKind.REMINDER, StepKind.SECOND_REMINDER, StepKind.OUTAGE_NOTICE})
CONTACT_KINDS = frozenset(
    {StepKind.CONTACTS_ALERT, StepKind.URGENT_ALERT, StepKind.DURESS_ALERT, StepKind.ALL_CLEAR}
)
HOTLINE_KINDS = frozenset({StepKind.URGENT_ALERT, StepKind.DURESS_ALERT})


def default_worker_id() -> str:
    """Unique per process and thread: a worker re-claims only what it claimed itself."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{threading.get_ident() % 100000}"


def ladder() -> rules.Ladder:
    return rules.Ladder.from_minutes(settings.PALERMO_TRAVEL_LADDER_MINUTES)


def trip_ladder(trip: Trip) -> rules.Ladder:
    return ladder().for_grace(trip.grace_minutes)


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.PALERMO_TRAVEL_STALE_AFTER_MINUTES)


def outage_grace() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.PALERMO_TRAVEL_OUTAGE_GRACE_MINUTES)


def idempotency_key(
    trip: Trip, episode_due_at: datetime.datetime, kind: str, recipient: str, channel: str
) -> str:
    return f"st:{trip.public_id.hex}:{int(episode_due_at.timestamp())}:{kind}:{recipient}:{channel}"


# --- the report a cycle gives ----------------------------------------------------------------


@dataclass
class StepLine:
    trip: str
    kind: str
    scheduled_at: datetime.datetime
    recipients: int
    test: bool
    note: str = ""

    def __str__(self) -> str:
        label = "[TEST] " if self.test else ""
        note = f" ({self.note})" if self.note else ""
        return (
            f"{label}{self.trip} {self.kind} due {self.scheduled_at:%Y-%m-%d %H:%M:%S}Z "
            f"→ {self.recipients} message(s){note}"
        )


@dataclass
class CycleReport:
    now: datetime.datetime
    sent: list[StepLine] = field(default_factory=list)
    skipped: list[StepLine] = field(default_factory=list)
    outages: list[StepLine] = field(default_factory=list)
    trips_advanced: int = 0
    delivered: int = 0
    failed: int = 0
    retried: int = 0

    def lines(self) -> list[str]:
        out = [f"sent {line}" for line in self.sent]
        out += [f"outage {line}" for line in self.outages]
        out += [f"skipped {line}" for line in self.skipped]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "steps_sent": len(self.sent),
            "steps_skipped": len(self.skipped),
            "outages": len(self.outages),
            "trips_advanced": self.trips_advanced,
            "messages_delivered": self.delivered,
            "messages_failed": self.failed,
            "messages_to_retry": self.retried,
        }


# --- building steps and their messages -------------------------------------------------------


@dataclass
class Recipient:
    kind: str
    key: str
    channel: str
    address: str
    language: str
    contact: TrustedContact | None = None


def traveller_recipients(trip: Trip) -> list[Recipient]:
    traveller = trip.traveller
    found = []
    if traveller.phone:
        found.append(
            Recipient(RecipientKind.TRAVELLER, "t", "sms", traveller.phone, traveller.language)
        )
    if traveller.email:
        found.append(
            Recipient(RecipientKind.TRAVELLER, "t", "email", traveller.email, traveller.language)
        )
    return found


def contact_recipients(contacts: list[TrustedContact]) -> list[Recipient]:
    found = []
    for contact in contacts:
        if not contact.is_confirmed:
            continue  # a contact who never confirmed receives nothing
        key = contact.public_id.hex[:16]
        if contact.phone:
            found.append(
                Recipient(
                    RecipientKind.CONTACT, key, "sms", contact.phone, contact.language, contact
                )
            )
        if contact.email:
            found.append(
                Recipient(
                    RecipientKind.CONTACT, key, "email", contact.email, contact.language, contact
                )
            )
    return found


def hotline_recipients() -> list[Recipient]:
    address: str = settings.PALERMO_TRAVEL_HOTLINE_EMAIL
    if not address:
        return []
    return [Recipient(RecipientKind.HOTLINE, "h", "email", address, settings.LANGUAGE_CODE)]


def recipients_for(kind: str, trip: Trip, contacts: list[TrustedContact]) -> list[Recipient]:
    found: list[Recipient] = []
    if kind in TRAVELLER_KINDS:
        found += traveller_recipients(trip)
    if kind in CONTACT_KINDS and kind != StepKind.ALL_CLEAR:
        found += contact_recipients(contacts)
    if kind in HOTLINE_KINDS:
        found += hotline_recipients()
    return found


@dataclass
class StepDraft:
    step: EscalationStep
    notifications: list[Notification]


class Batch:
    """Steps, messages, events and trip changes of one transaction, written in bulk."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now
        self.drafts: list[StepDraft] = []
        self.events: list[TripEvent] = []
        self.trips: list[Trip] = []
        self.audit: list[dict[str, str]] = []

    def event(
        self, trip: Trip, kind: str, details: dict[str, Any] | None = None, *, visible: bool = True
    ) -> None:
        self.events.append(
            TripEvent(
                trip=trip, at=self.now, kind=kind, details=details or {}, traveller_visible=visible
            )
        )

    def step(
        self,
        trip: Trip,
        kind: str,
        *,
        episode_due_at: datetime.datetime,
        scheduled_at: datetime.datetime,
        recipients: list[Recipient],
        status: str = StepStatus.SENDING,
        skip_reason: str = "",
        at: datetime.datetime | None = None,
        fresh_until: datetime.datetime | None = None,
    ) -> StepDraft:
        at = at or self.now
        step = EscalationStep(
            trip=trip,
            episode_due_at=episode_due_at,
            kind=kind,
            status=status if recipients or status == StepStatus.SKIPPED else StepStatus.SENT,
            skip_reason=skip_reason,
            scheduled_at=scheduled_at,
            handled_at=self.now,
            sent_at=None if recipients or status == StepStatus.SKIPPED else self.now,
            is_test=trip.is_test,
        )
        texts: dict[str, messages.Text] = {}
        notes = []
        for recipient in recipients:
            text = texts.get(recipient.language)
            if text is None:
                text = texts[recipient.language] = messages.compose_step(
                    kind,
                    trip=trip,
                    language=recipient.language,
                    episode_due_at=episode_due_at,
                    at=at,
                    fresh_until=fresh_until,
                )
            notes.append(
                Notification(
                    trip=trip,
                    step=step,
                    purpose=NotificationPurpose.STEP,
                    recipient_kind=recipient.kind,
                    contact=recipient.contact,
                    channel=recipient.channel,
                    address=recipient.address,
                    language=messages.supported_language(recipient.language),
                    subject=text.subject,
                    body=text.body,
                    idempotency_key=idempotency_key(
                        trip, episode_due_at, kind, recipient.key, recipient.channel
                    ),
                    due_at=scheduled_at,
                    is_test=trip.is_test,
                )
            )
        draft = StepDraft(step, notes)
        self.drafts.append(draft)
        self.audit.append({"trip": trip.reference, "kind": kind, "status": step.status})
        return draft

    def flush(self) -> None:
        """Write everything; IntegrityError if a step already exists (the caller retries)."""
        if self.drafts:
            steps = [d.step for d in self.drafts]
            EscalationStep.objects.bulk_create(steps)
            notifications = []
            for draft in self.drafts:
                for note in draft.notifications:
                    note.step = draft.step
                    notifications.append(note)
            Notification.objects.bulk_create(notifications, batch_size=500)
        if self.events:
            TripEvent.objects.bulk_create(self.events, batch_size=500)
        if self.trips:
            _update_trip_states(self.trips)
        if self.audit:
            audit_record(
                actor=SCHEDULER,
                action="travel_step.handle",
                object_type="trip",
                details={"at": self.now.isoformat(), "steps": self.audit},
            )


def _update_trip_states(trips: list[Trip]) -> None:
    """Write the scheduler's columns of many trips: one prepared UPDATE run for each (the
    ORM's bulk_update builds a CASE per row and per column, far slower for this)."""
    adapt = connection.ops.adapt_datetimefield_value
    table = Trip._meta.db_table
    sql = (
        f"UPDATE {table} SET episode_due_at = %s, ladder_stage = %s, "  # noqa: S608
        "episode_shift_seconds = %s, next_action_at = %s, updated_at = %s WHERE id = %s"
    )
    rows = [
        (
            adapt(trip.episode_due_at),
            trip.ladder_stage,
            trip.episode_shift_seconds,
            adapt(trip.next_action_at),
            adapt(trip.updated_at),
            trip.pk,
        )
        for trip in trips
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# --- advancing trips -------------------------------------------------------------------------


def due_trip_ids(now: datetime.datetime, limit: int = SCAN_BATCH) -> list[int]:
    """Trips whose next action is due at `now`, earliest first (the scan the benchmark times)."""
    return list(
        Trip.objects.filter(next_action_at__lte=now)
        .order_by("next_action_at")
        .values_list("id", flat=True)[:limit]
    )


def _locked_trips(ids: list[int], now: datetime.datetime) -> list[Trip]:
    confirmed = TrustedContact.objects.filter(confirmed_at__isnull=False, declined_at__isnull=True)
    trips = (
        Trip.objects.filter(pk__in=ids, status=TripStatus.ARMED, next_action_at__lte=now)
        .select_related("traveller")
        .prefetch_related(Prefetch("contacts", queryset=confirmed, to_attr="confirmed_contacts"))
        .order_by("next_action_at", "id")
    )
    if connection.features.has_select_for_update_skip_locked:
        trips = trips.select_for_update(skip_locked=True, of=("self",))
    return list(trips)


def advance_trip(trip: Trip, now: datetime.datetime, batch: Batch, report: CycleReport) -> None:
    """Plan and record what is due for one locked trip."""
    contacts: list[TrustedContact] = getattr(trip, "confirmed_contacts", None) or list(
        trip.contacts.filter(confirmed_at__isnull=False, declined_at__isnull=True)
    )
    if trip.episode_due_at is None:
        if trip.next_due_at is None or trip.next_due_at > now:
            trip.next_action_at = trip.next_due_at
            batch.trips.append(trip)
            return
        trip.episode_due_at = trip.next_due_at
        trip.ladder_stage = 0
        trip.episode_shift_seconds = 0
        batch.event(trip, TripEventKind.MISSED, {"due_at": trip.episode_due_at.isoformat()})
    episode = trip.episode_due_at
    plan = rules.plan_ladder(
        ladder=trip_ladder(trip),
        episode_due_at=episode,
        stage=trip.ladder_stage,
        shift_seconds=trip.episode_shift_seconds,
        now=now,
        stale_after=stale_after(),
        outage_grace=outage_grace(),
    )
    for kind, reason in plan.skipped:
        batch.step(
            trip,
            kind,
            episode_due_at=episode,
            scheduled_at=plan.scheduled[kind],
            recipients=[],
            status=StepStatus.SKIPPED,
            skip_reason=reason,
        )
        batch.event(trip, TripEventKind.STEP_SKIPPED, {"step": kind, "reason": reason})
        report.skipped.append(
            StepLine(trip.reference, kind, plan.scheduled[kind], 0, trip.is_test, reason)
        )
    if plan.outage:
        fresh_until = plan.next_at
        details = {
            "stale_steps": [k for k, _ in plan.skipped],
            "fresh_grace_until": fresh_until.isoformat() if fresh_until else None,
        }
        already = EscalationStep.objects.filter(
            trip=trip, episode_due_at=episode, kind=StepKind.OUTAGE_NOTICE
        ).exists()
        recipients = [] if already else traveller_recipients(trip)
        if not already:
            batch.step(
                trip,
                StepKind.OUTAGE_NOTICE,
                episode_due_at=episode,
                scheduled_at=now,
                recipients=recipients,
                fresh_until=fresh_until,
            )
        batch.event(trip, TripEventKind.OUTAGE, details)
        report.outages.append(
            StepLine(
                trip.reference,
                StepKind.OUTAGE_NOTICE,
                now,
                len(recipients),
                trip.is_test,
                f"stale steps held back; fresh grace until {fresh_until:%Y-%m-%d %H:%M}Z"
                if fresh_until
                else "stale steps held back",
            )
        )
    if plan.send:
        kind = plan.send
        recipients = recipients_for(kind, trip, contacts)
        batch.step(
            trip,
            kind,
            episode_due_at=episode,
            scheduled_at=plan.scheduled[kind],
            recipients=recipients,
        )
        batch.event(trip, TripEventKind.STEP_SENT, {"step": kind, "messages": len(recipients)})
        if kind == StepKind.URGENT_ALERT:
            travel_alert_raise(
                trip=trip, kind=TravelAlertKind.URGENT, at=now, episode_due_at=episode
            )
        report.sent.append(
            StepLine(trip.reference, kind, plan.scheduled[kind], len(recipients), trip.is_test)
        )
    trip.ladder_stage = plan.stage
    trip.episode_shift_seconds = plan.shift_seconds
    trip.next_action_at = plan.next_at
    trip.updated_at = timezone.now()
    batch.trips.append(trip)


def advance_trips(ids: list[int], now: datetime.datetime, report: CycleReport) -> int:
    """Advance the given due trips in one transaction; returns how many were advanced."""
    try:
        with transaction.atomic():
            trips = _locked_trips(ids, now)
            batch = Batch(now)
            partial = CycleReport(now)
            for trip in trips:
                advance_trip(trip, now, batch, partial)
            batch.flush()
    except IntegrityError:
        if len(ids) == 1:
            # Someone else recorded this step first: it exists once, which is all we want.
            logger.info("Trip %s: step already recorded by another worker.", ids[0])
            return 0
        # One trip collided: do them one by one so the others go through.
        return sum(advance_trips([trip_id], now, report) for trip_id in ids)
    report.sent += partial.sent
    report.skipped += partial.skipped
    report.outages += partial.outages
    report.trips_advanced += len(trips)
    return len(trips)


# --- delivering messages ---------------------------------------------------------------------


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PALERMO_TRAVEL_SEND_LEASE_SECONDS)


def claim_notifications(worker_id: str, limit: int = DELIVERY_BATCH) -> list[int]:
    """Take up to `limit` messages to send: waiting ones, those whose sender's lease ran out,
    and this worker's own (left over when its delivery loop was interrupted).

    One UPDATE … RETURNING: the database lets each row go to one claimer only.
    """
    table = Notification._meta.db_table
    now = timezone.now()
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {table} SET status = %s, lease_until = %s, claimed_by = %s, "  # noqa: S608
        "attempts = attempts + 1 "
        f"WHERE id IN (SELECT id FROM {table} "
        "WHERE ((status = %s AND (lease_until IS NULL OR lease_until <= %s)) "
        "OR (status = %s AND (lease_until < %s OR claimed_by = %s))) "
        f"ORDER BY due_at, id LIMIT %s{skip_locked}) RETURNING id"
    )
    params: list[Any] = [
        NotificationStatus.SENDING,
        now + _lease(),
        worker_id[:64],
        NotificationStatus.PENDING,
        now,
        NotificationStatus.SENDING,
        now,
        worker_id[:64],
        limit,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def _deliver_chunk(notes: list[Notification], worker_id: str, report: CycleReport) -> None:
    """Hand a few claimed messages over and record the outcome, in one transaction.

    Where the provider writes to this database (the channels outbox), the hand-offs and their
    records commit together: exactly once. Elsewhere a crash before the commit leaves the rows
    claimed; once the lease runs out they are handed over again with the same keys, and the
    provider, idempotent by key, delivers each once.
    """
    mine = Notification.objects.filter(status=NotificationStatus.SENDING, claimed_by=worker_id[:64])
    sent: dict[int, str] = {}
    with transaction.atomic():
        for note in notes:
            message = Outgoing(
                channel=note.channel,
                to=note.address,
                subject=note.subject or "",
                body=note.body,
                language=note.language,
                idempotency_key=note.idempotency_key,
            )
            try:
                with transaction.atomic():
                    sent[note.pk] = hand_over(message)[:128]
            except DeliveryError as exc:
                give_up = exc.permanent or note.attempts >= MAX_ATTEMPTS
                backoff = datetime.timedelta(seconds=min(30 * 2 ** max(note.attempts - 1, 0), 3600))
                mine.filter(pk=note.pk).update(
                    status=NotificationStatus.FAILED if give_up else NotificationStatus.PENDING,
                    lease_until=None if give_up else timezone.now() + backoff,
                    last_error=str(exc)[:200],
                )
                logger.warning("Safe-travel message %s not sent: %s", note.public_id, exc)
                if give_up:
                    report.failed += 1
                else:
                    report.retried += 1
        if sent:
            adapt = connection.ops.adapt_datetimefield_value
            now = adapt(timezone.now())
            table = Notification._meta.db_table
            sql = (
                f"UPDATE {table} SET status = %s, sent_at = %s, provider_message_id = %s, "  # noqa: S608
                "lease_until = NULL, last_error = '' "
                "WHERE id = %s AND status = %s AND claimed_by = %s"
            )
            with connection.cursor() as cursor:
                cursor.executemany(
                    sql,
                    [
                        (
                            NotificationStatus.SENT.value,
                            now,
                            provider_id,
                            pk,
                            NotificationStatus.SENDING.value,
                            worker_id[:64],
                        )
                        for pk, provider_id in sent.items()
                    ],
                )
    report.delivered += len(sent)


def _finish_steps(step_ids: set[int]) -> None:
    """Steps whose every message has been handed over (or has failed for good) are sent."""
    if not step_ids:
        return
    open_messages = Notification.objects.filter(
        step=OuterRef("pk"),
        status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING],
    )
    EscalationStep.objects.filter(pk__in=step_ids, status=StepStatus.SENDING).exclude(
        Exists(open_messages)
    ).update(status=StepStatus.SENT, sent_at=timezone.now())


def deliver_pending(
    *, worker_id: str, report: CycleReport, deadline: float | None = None, limit: int | None = None
) -> int:
    """Send waiting messages until none is left (or the deadline); returns how many claimed."""
    claimed_total = 0
    while deadline is None or time.monotonic() < deadline:
        ids = claim_notifications(worker_id, DELIVERY_BATCH if limit is None else limit)
        if not ids:
            break
        claimed_total += len(ids)
        notes = list(Notification.objects.filter(pk__in=ids).order_by("due_at", "id"))
        for start in range(0, len(notes), DELIVERY_CHUNK):
            _deliver_chunk(notes[start : start + DELIVERY_CHUNK], worker_id, report)
        _finish_steps({note.step_id for note in notes if note.step_id is not None})
        if limit is not None:
            break
    return claimed_total


# --- one cycle -------------------------------------------------------------------------------


def run_cycle(
    *,
    now: datetime.datetime | None = None,
    worker_id: str | None = None,
    deliver: bool = True,
    budget_seconds: float | None = None,
) -> CycleReport:
    """Advance every due trip as of `now` (default: the present), then send what is waiting.

    With `budget_seconds` the cycle stops taking new work after that long (the next cycle
    continues); delivery is interleaved with advancing so that the first steps go out early.
    """
    now = now or timezone.now()
    worker = worker_id or default_worker_id()
    report = CycleReport(now)
    deadline = time.monotonic() + budget_seconds if budget_seconds else None
    busy = 0
    while deadline is None or time.monotonic() < deadline:
        try:
            ids = due_trip_ids(now)
            if not ids:
                break
            advanced = advance_trips(ids, now, report)
            if deliver:
                deliver_pending(worker_id=worker, report=report, deadline=deadline)
        except OperationalError as exc:
            # SQLite said "locked" (another writer, past the busy timeout, or a shared-cache
            # test database): nothing was written; try again shortly.
            if not is_locked_database_exception(exc) or busy >= MAX_BUSY_RETRIES:
                raise
            busy += 1
            time.sleep(0.02 * busy)
            continue
        if advanced == 0:
            break  # another worker holds these trips
    while deliver:
        try:
            deliver_pending(worker_id=worker, report=report, deadline=deadline)
            break
        except OperationalError as exc:
            if not is_locked_database_exception(exc) or busy >= MAX_BUSY_RETRIES:
                raise
            busy += 1
            time.sleep(0.02 * busy)
    return report


def scheduler_health(now: datetime.datetime | None = None) -> dict[str, Any]:
    """Figures for operators: how far behind the scheduler is, what is waiting."""
    now = now or timezone.now()
    oldest = (
        Trip.objects.filter(next_action_at__lte=now)
        .order_by("next_action_at")
        .values_list("next_action_at", flat=True)
        .first()
    )
    waiting = Notification.objects.filter(
        status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
    ).count()
    counts = {
        row["status"]: row["n"] for row in Trip.objects.values("status").annotate(n=Count("id"))
    }
    return {
        "now": now.isoformat(),
        "behind_seconds": (now - oldest).total_seconds() if oldest else 0.0,
        "messages_waiting": waiting,
        "trips": dict(counts),
    }
