"""Every write of safe travel. Each is atomic and writes its audit event alongside.

The traveller is not a User: services take the `traveller` (the public pages find it from the
session) and audit as `traveller_actor(traveller)`. Hotline operators act as an `actor`.

For the public pages (their views, forms and SMS handler call these):

    trip_create(*, traveller, data) -> Trip                         (draft)
    trip_update(*, traveller, trip, data) -> Trip
    contact_add(*, traveller, trip, data) -> TrustedContact
    contact_invite(*, traveller, contact, confirm_url_for) -> None   (link + SMS/email)
    contact_remove(*, traveller, contact) -> None
    contact_confirm(*, token, at=None) / contact_decline(*, token, at=None) -> TrustedContact
    contact_answer_by_sms(*, phone, accept, at=None) -> list[TrustedContact]
    trip_arm(*, traveller, trip, at=None) -> Trip                   (≥ 1 confirmed contact)
    trip_pause / trip_resume / trip_end(*, traveller, trip, pin_kind="normal", at=None) -> Trip
    trip_extend(*, traveller, trip, by, pin_kind="normal", at=None) -> Trip
    checkin_record(*, trip, channel, pin_kind, at=None, ip=None, welfare_answers=None,
                   next_due_in=None) -> CheckInResult
    activity_record(*, traveller, at=None, ip=None) -> int          (usual activity, if opted in)
    silent_alert_raise(*, trip, at=None) -> None                     (duress PIN used elsewhere)
    deliver_after_commit() -> None                                   (send queued Notifications)
    access_point_record(*, traveller, ip, at=None) -> None
    traveller_settings_update(*, traveller, data) -> Traveller
    traveller_export(*, traveller) -> dict                           (JSON-able)
    traveller_delete(*, traveller) -> None

`pin_kind` is what `pins.pin_check` returned ("normal" or "duress"). A duress PIN does the
same thing as the normal one, with the same result and the same reply, and raises a silent
alert to the hotline and the confirmed contacts. Nothing the traveller can see differs.

For the hotline queue: travel_alert_acknowledge / travel_alert_open_person /
travel_alert_close(*, actor, alert). For the worker: trips_purge(*, now=None).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.roles import FieldGroup, Perm, Purpose
from palermo.audit.services import audit_record
from palermo.errors import ApplicationError, NotFound, invalid
from palermo.vault.blind_index import normalise_email, normalise_phone
from palermo.vault.fields import blind_index

from . import geo, messages, rules, scheduler
from .hotline import travel_alert_raise
from .models import (
    TRIP_TRANSITIONS,
    CheckIn,
    EscalationStep,
    Notification,
    NotificationPurpose,
    NotificationStatus,
    RecipientKind,
    StepKind,
    StepStatus,
    TravelAlert,
    TravelAlertKind,
    TravelAlertStatus,
    Traveller,
    Trip,
    TripEvent,
    TripEventKind,
    TripStatus,
    TrustedContact,
)
from .validation import (
    TRIP_FIELDS,
    clean_contact_input,
    clean_language,
    clean_time_zone,
    clean_trip_input,
)

NORMAL = "normal"
DURESS = "duress"
PIN_KINDS = (NORMAL, DURESS)


# --- helpers ---------------------------------------------------------------------------------


def traveller_actor(traveller: Traveller) -> Actor:
    """The actor a traveller's own actions are audited as."""
    return Actor.system(f"traveller {traveller.reference}", purpose=Purpose.ASSISTANCE)


def phone_index(phone: str, default_region: str | None = None) -> str:
    return blind_index("phone", normalise_phone(phone, default_region))


def email_index(email: str) -> str:
    return blind_index("email", normalise_email(email))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now(at: datetime.datetime | None) -> datetime.datetime:
    return at or timezone.now()


def _own(traveller: Traveller, trip: Trip) -> None:
    if trip.traveller_id != traveller.pk:
        raise NotFound()


def _lock(trip: Trip) -> Trip:
    """The trip, re-read under a row lock (the scheduler takes the same lock)."""
    return Trip.objects.select_for_update().select_related("traveller").get(pk=trip.pk)


def _transition(trip: Trip, status: str) -> None:
    if status not in TRIP_TRANSITIONS[trip.status]:
        raise ApplicationError(
            _("This trip cannot be changed that way now."), code="invalid_transition"
        )
    trip.status = status


def _event(
    trip: Trip,
    kind: str,
    at: datetime.datetime,
    details: dict[str, Any] | None = None,
    *,
    visible: bool = True,
) -> None:
    TripEvent.objects.create(
        trip=trip, at=at, kind=kind, details=details or {}, traveller_visible=visible
    )


def _audit(
    traveller: Traveller,
    action: str,
    trip: Trip | None = None,
    *,
    groups: tuple[str, ...] = (),
    details: dict[str, Any] | None = None,
) -> None:
    audit_record(
        actor=traveller_actor(traveller),
        action=action,
        object_type="trip" if trip is not None else "traveller",
        object_id=str(trip.public_id if trip is not None else traveller.public_id),
        field_groups=groups,
        details=details,
    )


def _pin_kind(pin_kind: str) -> str:
    if pin_kind not in PIN_KINDS:
        raise ValueError(f"pin_kind must be one of {PIN_KINDS}")
    return pin_kind


def _schedule_next_due(trip: Trip, after: datetime.datetime, *, covers: bool) -> datetime.datetime:
    early = datetime.timedelta(minutes=settings.PALERMO_TRAVEL_EARLY_CHECKIN_MINUTES)
    due = rules.next_due_at(
        schedule_kind=trip.schedule_kind,
        interval_hours=trip.interval_hours,
        fixed_times=list(trip.fixed_times or []),
        time_zone=trip.traveller.time_zone,
        after=after,
        covers=early if covers else datetime.timedelta(0),
    )
    if due is None:
        raise invalid({"schedule_kind": [_("Set a check-in schedule first.")]})
    return due


def _max_ahead() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.PALERMO_TRAVEL_MAX_EXTEND_HOURS)


# --- trips -----------------------------------------------------------------------------------

_TRIP_GROUPS = (FieldGroup.LOCATION, FieldGroup.NARRATIVE)


@transaction.atomic
def trip_create(*, traveller: Traveller, data: Mapping[str, Any]) -> Trip:
    """Register a draft trip for the traveller; ApplicationError (400) per field on bad input."""
    cleaned = clean_trip_input(data)
    trip = Trip(traveller=traveller)
    for name, value in cleaned.items():
        setattr(trip, name, value)
    if not trip.schedule_kind:
        trip.schedule_kind = "interval"
    trip.save()
    _event(trip, TripEventKind.CREATED, timezone.now())
    _audit(traveller, "trip.create", trip, groups=_TRIP_GROUPS, details={"test": trip.is_test})
    return trip


@transaction.atomic
def trip_update(*, traveller: Traveller, trip: Trip, data: Mapping[str, Any]) -> Trip:
    """Change a trip's details or schedule. On an armed trip a new schedule takes effect from
    now (the next due time is recomputed unless a check-in is already missed)."""
    _own(traveller, trip)
    trip = _lock(trip)
    if trip.status == TripStatus.ENDED:
        raise ApplicationError(_("This trip has ended."), code="trip_ended")
    current = {name: getattr(trip, name) for name in TRIP_FIELDS}
    cleaned = clean_trip_input(data, current=current)
    changed = [name for name, value in cleaned.items() if getattr(trip, name) != value]
    if not changed:
        return trip
    for name in changed:
        setattr(trip, name, cleaned[name])
    schedule = {"schedule_kind", "interval_hours", "fixed_times"} & set(changed)
    if trip.status == TripStatus.ARMED and schedule and trip.episode_due_at is None:
        trip.next_due_at = _schedule_next_due(trip, timezone.now(), covers=False)
        trip.next_action_at = trip.next_due_at
    trip.save()
    _audit(traveller, "trip.update", trip, groups=_TRIP_GROUPS, details={"fields": sorted(changed)})
    return trip


@transaction.atomic
def trip_arm(*, traveller: Traveller, trip: Trip, at: datetime.datetime | None = None) -> Trip:
    """Start the check-ins. Needs at least one confirmed contact and a schedule."""
    _own(traveller, trip)
    at = _now(at)
    trip = _lock(trip)
    if trip.status != TripStatus.DRAFT:
        raise ApplicationError(_("This trip has already started."), code="invalid_transition")
    if not trip.contacts.filter(confirmed_at__isnull=False, declined_at__isnull=True).exists():
        raise ApplicationError(
            _("At least one trusted contact must confirm before check-ins can start."),
            code="no_confirmed_contact",
        )
    # Whatever was saved as a draft must make a complete trip now.
    clean_trip_input({}, current={name: getattr(trip, name) for name in TRIP_FIELDS})
    _transition(trip, TripStatus.ARMED)
    trip.armed_at = at
    trip.next_due_at = _schedule_next_due(trip, at, covers=False)
    trip.next_action_at = trip.next_due_at
    trip.episode_due_at = None
    trip.ladder_stage = 0
    trip.episode_shift_seconds = 0
    trip.save()
    _event(trip, TripEventKind.ARMED, at, {"next_due_at": trip.next_due_at.isoformat()})
    _audit(traveller, "trip.arm", trip, details={"test": trip.is_test})
    return trip


def _close_episode(trip: Trip, at: datetime.datetime, *, all_clear: bool) -> int:
    """End a missed check-in's ladder: cancel what was not sent yet and, when `all_clear`,
    tell everyone already alerted. Returns how many all-clear messages were queued."""
    episode = trip.episode_due_at
    if episode is None:
        return 0
    Notification.objects.filter(
        trip=trip, step__episode_due_at=episode, status=NotificationStatus.PENDING
    ).update(status=NotificationStatus.CANCELLED, last_error="the traveller checked in first")
    EscalationStep.objects.filter(
        trip=trip, episode_due_at=episode, status=StepStatus.SENDING
    ).exclude(notifications__status__in=[NotificationStatus.SENDING]).update(
        status=StepStatus.SENT, sent_at=at
    )
    trip.episode_due_at = None
    trip.ladder_stage = 0
    trip.episode_shift_seconds = 0
    if not all_clear:
        return 0
    TravelAlert.objects.filter(trip=trip, episode_due_at=episode, cleared_at__isnull=True).update(
        cleared_at=at
    )
    alerted = list(
        Notification.objects.filter(
            trip=trip,
            step__episode_due_at=episode,
            step__kind__in=[StepKind.CONTACTS_ALERT, StepKind.URGENT_ALERT],
            recipient_kind__in=[RecipientKind.CONTACT, RecipientKind.HOTLINE],
            status__in=[NotificationStatus.SENT, NotificationStatus.SENDING],
        ).select_related("contact")
    )
    if not alerted:
        return 0
    seen: set[tuple[str, str]] = set()
    recipients = []
    for note in alerted:
        if (note.channel, note.address) in seen:
            continue
        seen.add((note.channel, note.address))
        key = note.contact.public_id.hex[:16] if note.contact is not None else "h"
        recipients.append(
            scheduler.Recipient(
                note.recipient_kind, key, note.channel, note.address, note.language, note.contact
            )
        )
    batch = scheduler.Batch(at)
    batch.step(
        trip,
        StepKind.ALL_CLEAR,
        episode_due_at=episode,
        scheduled_at=at,
        recipients=recipients,
        at=at,
    )
    # Hidden from the traveller: a duress check-in sends no all clear, so its presence would
    # tell a normal check-in from a duress one (the contacts and the hotline still have it).
    batch.event(trip, TripEventKind.ALL_CLEAR, {"messages": len(recipients)}, visible=False)
    batch.audit.clear()
    batch.flush()
    _after_commit_deliver()
    return len(recipients)


def deliver_after_commit() -> None:
    """Send queued Notifications once this transaction commits (the scheduler sweeps them
    too, so a lost enqueue only delays them by one tick)."""
    from .tasks import deliver_messages

    transaction.on_commit(lambda: deliver_messages.enqueue())


_after_commit_deliver = deliver_after_commit


@transaction.atomic
def silent_alert_raise(*, trip: Trip, at: datetime.datetime | None = None) -> None:
    """The duress PIN was used for something other than a check-in or a status change (those
    raise it themselves): alert the hotline and the confirmed contacts, changing nothing the
    traveller can see. Once per trip and second."""
    _silent_alert(_lock(trip), _now(at))


def duress_repeat_window() -> datetime.timedelta:
    """How long a silent alert still open at the hotline covers later uses of the duress PIN
    on the same trip (PALERMO_TRAVEL_DURESS_REPEAT_MINUTES, default 30)."""
    return datetime.timedelta(
        minutes=int(getattr(settings, "PALERMO_TRAVEL_DURESS_REPEAT_MINUTES", 30))
    )


def _silent_alert(trip: Trip, at: datetime.datetime) -> None:
    """The duress PIN was used: alert the hotline and the confirmed contacts, silently.

    A traveller under duress may use the duress PIN several times in a row (signing in, then
    checking in; one SMS command after another): while a silent alert of the trip raised less
    than `duress_repeat_window()` ago is still open at the hotline, a new use only adds to the
    trip's (hidden) history instead of messaging the contacts and the hotline again."""
    recent = (
        TravelAlert.objects.filter(
            trip=trip, kind=TravelAlertKind.DURESS, raised_at__gte=at - duress_repeat_window()
        )
        .exclude(status=TravelAlertStatus.CLOSED)
        .order_by("-raised_at")
        .first()
    )
    if recent is not None:
        TripEvent.objects.create(
            trip=trip,
            at=at,
            kind=TripEventKind.SILENT_ALERT,
            details={"repeat_of": recent.reference},
            traveller_visible=False,
        )
        return
    contacts = list(trip.contacts.filter(confirmed_at__isnull=False, declined_at__isnull=True))
    batch = scheduler.Batch(at)
    batch.step(
        trip,
        StepKind.DURESS_ALERT,
        episode_due_at=at,
        scheduled_at=at,
        recipients=scheduler.recipients_for(StepKind.DURESS_ALERT, trip, contacts),
        at=at,
    )
    batch.event(trip, TripEventKind.SILENT_ALERT, {}, visible=False)
    batch.audit.clear()
    try:
        with transaction.atomic():
            batch.flush()
    except IntegrityError:  # the same second twice: one alert is enough
        return
    travel_alert_raise(trip=trip, kind=TravelAlertKind.DURESS, at=at, episode_due_at=at)
    _after_commit_deliver()


def _change_status(
    *,
    traveller: Traveller,
    trip: Trip,
    to: str,
    pin_kind: str,
    at: datetime.datetime | None,
    event: str,
    action: str,
) -> Trip:
    _own(traveller, trip)
    _pin_kind(pin_kind)
    at = _now(at)
    trip = _lock(trip)
    _transition(trip, to)
    _close_episode(trip, at, all_clear=pin_kind == NORMAL)
    if to == TripStatus.ARMED:  # resuming: a fresh schedule from now
        trip.paused_at = None
        trip.next_due_at = _schedule_next_due(trip, at, covers=False)
        trip.next_action_at = trip.next_due_at
    else:
        trip.next_action_at = None
        if to == TripStatus.PAUSED:
            trip.paused_at = at
        if to == TripStatus.ENDED:
            trip.ended_at = at
            trip.next_due_at = None
    trip.save()
    _event(trip, event, at)
    if pin_kind == DURESS:
        _silent_alert(trip, at)
    _audit(traveller, action, trip)
    return trip


@transaction.atomic
def trip_pause(
    *, traveller: Traveller, trip: Trip, pin_kind: str = NORMAL, at: datetime.datetime | None = None
) -> Trip:
    """Pause check-ins (no reminders, no alerts) until resumed."""
    return _change_status(
        traveller=traveller,
        trip=trip,
        to=TripStatus.PAUSED,
        pin_kind=pin_kind,
        at=at,
        event=TripEventKind.PAUSED,
        action="trip.pause",
    )


@transaction.atomic
def trip_resume(
    *, traveller: Traveller, trip: Trip, pin_kind: str = NORMAL, at: datetime.datetime | None = None
) -> Trip:
    """Resume a paused trip: the schedule starts again from now."""
    return _change_status(
        traveller=traveller,
        trip=trip,
        to=TripStatus.ARMED,
        pin_kind=pin_kind,
        at=at,
        event=TripEventKind.RESUMED,
        action="trip.resume",
    )


@transaction.atomic
def trip_end(
    *, traveller: Traveller, trip: Trip, pin_kind: str = NORMAL, at: datetime.datetime | None = None
) -> Trip:
    """End the trip: no more check-ins; contacts already alerted get the all clear. Its data
    is purged PALERMO_TRAVEL_PURGE_AFTER_DAYS later."""
    return _change_status(
        traveller=traveller,
        trip=trip,
        to=TripStatus.ENDED,
        pin_kind=pin_kind,
        at=at,
        event=TripEventKind.ENDED,
        action="trip.end",
    )


@transaction.atomic
def trip_extend(
    *,
    traveller: Traveller,
    trip: Trip,
    by: datetime.timedelta,
    pin_kind: str = NORMAL,
    at: datetime.datetime | None = None,
) -> Trip:
    """Move the next check-in later by `by`, at most PALERMO_TRAVEL_MAX_EXTEND_HOURS ahead.

    While a check-in is missed, extending (with the PIN) is a sign of life: it counts as a
    check-in and the next one is due `by` from now.
    """
    _own(traveller, trip)
    _pin_kind(pin_kind)
    at = _now(at)
    if by <= datetime.timedelta(0) or by > _max_ahead():
        raise invalid(
            {
                "by": [
                    _("You can extend by at most %(hours)d hours.")
                    % {"hours": settings.PALERMO_TRAVEL_MAX_EXTEND_HOURS}
                ]
            }
        )
    locked = _lock(trip)
    if locked.status != TripStatus.ARMED:
        raise ApplicationError(_("This trip is not active."), code="trip_not_active")
    if locked.episode_due_at is not None:
        checkin_record(trip=locked, channel="web", pin_kind=pin_kind, at=at, next_due_in=by)
        return Trip.objects.get(pk=locked.pk)
    base = max(locked.next_due_at or at, at)
    locked.next_due_at = min(base + by, at + _max_ahead())
    locked.next_action_at = locked.next_due_at
    locked.save()
    _event(locked, TripEventKind.EXTENDED, at, {"next_due_at": locked.next_due_at.isoformat()})
    if pin_kind == DURESS:
        _silent_alert(locked, at)
    _audit(traveller, "trip.extend", locked)
    return locked


# --- check-ins -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInResult:
    """What the page or the SMS reply may show: identical for the normal and the duress PIN."""

    trip: Trip
    at: datetime.datetime
    next_due_at: datetime.datetime | None


@transaction.atomic
def checkin_record(
    *,
    trip: Trip,
    channel: str,
    pin_kind: str,
    at: datetime.datetime | None = None,
    ip: str | None = None,
    welfare_answers: Mapping[str, Any] | None = None,
    next_due_in: datetime.timedelta | None = None,
) -> CheckInResult:
    """Record a sign of life: stops any running ladder (all clear to whoever was alerted),
    sets the next due time (by the schedule, or `next_due_in` from now, bounded).

    Duress: the same record, result and next due time; the ladder stops without an all
    clear, and a silent alert goes to the hotline and the confirmed contacts.
    Welfare answers: a worrying one alerts the hotline only if the traveller consented.
    Raises ApplicationError (code trip_not_active) for a trip that is not armed.
    """
    _pin_kind(pin_kind)
    at = _now(at)
    trip = _lock(trip)
    if trip.status != TripStatus.ARMED:
        raise ApplicationError(_("This trip is not active."), code="trip_not_active")
    if next_due_in is not None and (
        next_due_in <= datetime.timedelta(0) or next_due_in > _max_ahead()
    ):
        raise invalid(
            {
                "next_due_in": [
                    _("Choose a time within the next %(hours)d hours.")
                    % {"hours": settings.PALERMO_TRAVEL_MAX_EXTEND_HOURS}
                ]
            }
        )
    answers = rules.clean_welfare_answers(welfare_answers)
    episode = trip.episode_due_at
    checkin = CheckIn.objects.create(
        trip=trip,
        at=at,
        channel=channel,
        duress=pin_kind == DURESS,
        ip=ip or None,
        welfare_answers_text=json.dumps(answers) if answers else None,
        closed_episode_due_at=episode,
    )
    _close_episode(trip, at, all_clear=pin_kind == NORMAL)
    if ip:
        _set_access_point(trip, ip, at)
    trip.last_checkin_at = at
    if next_due_in is not None:
        trip.next_due_at = at + next_due_in
    else:
        trip.next_due_at = _schedule_next_due(trip, at, covers=True)
    trip.next_action_at = trip.next_due_at
    trip.save()
    _event(
        trip,
        TripEventKind.CHECKED_IN,
        at,
        {"channel": channel, "next_due_at": trip.next_due_at.isoformat()},
    )
    if pin_kind == DURESS:
        _silent_alert(trip, at)
    worrying = rules.worrying_welfare(answers)
    if worrying and trip.traveller.welfare_consent:
        travel_alert_raise(
            trip=trip, kind=TravelAlertKind.WELFARE, at=at, episode_due_at=None, welfare=answers
        )
    _audit(
        trip.traveller,
        "trip.checkin",
        trip,
        groups=(FieldGroup.LOCATION,) if ip else (),
        details={"channel": channel, "checkin": checkin.pk},
    )
    return CheckInResult(trip=trip, at=at, next_due_at=trip.next_due_at)


def _set_access_point(trip: Trip, ip: str, at: datetime.datetime) -> None:
    place = geo.resolve(ip)
    trip.last_access_ip = place.ip
    trip.last_access_country = place.country_code or None
    trip.last_access_city = place.city or None
    trip.last_access_at = at


@transaction.atomic
def access_point_record(
    *, traveller: Traveller, ip: str, at: datetime.datetime | None = None
) -> None:
    """Remember where the traveller last connected from, on each trip that is not over."""
    at = _now(at)
    if not ip:
        return
    for trip in Trip.objects.select_for_update().filter(
        traveller=traveller, status__in=[TripStatus.ARMED, TripStatus.PAUSED, TripStatus.DRAFT]
    ):
        _set_access_point(trip, ip, at)
        trip.save(
            update_fields=[
                "last_access_ip",
                "last_access_country",
                "last_access_city",
                "last_access_at",
                "updated_at",
            ]
        )
    Traveller.objects.filter(pk=traveller.pk).update(last_seen_at=at)


@transaction.atomic
def activity_record(
    *, traveller: Traveller, at: datetime.datetime | None = None, ip: str | None = None
) -> int:
    """The traveller's usual activity (signing in, any SMS from their number): a check-in on
    each active trip if they opted in. Returns how many trips it counted for."""
    at = _now(at)
    if ip:
        access_point_record(traveller=traveller, ip=ip, at=at)
    if not traveller.usual_activity_opt_in:
        return 0
    counted = 0
    for trip in Trip.objects.filter(traveller=traveller, status=TripStatus.ARMED):
        checkin_record(trip=trip, channel="activity", pin_kind=NORMAL, at=at, ip=ip)
        counted += 1
    return counted


# --- trusted contacts ------------------------------------------------------------------------


def _default_region(traveller: Traveller) -> str | None:
    import phonenumbers

    if not traveller.phone:
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(traveller.phone, None))
    except phonenumbers.NumberParseException:
        return None


@transaction.atomic
def contact_add(*, traveller: Traveller, trip: Trip, data: Mapping[str, Any]) -> TrustedContact:
    """Add a trusted contact (pending until they confirm). At most 10 per trip."""
    _own(traveller, trip)
    if trip.status == TripStatus.ENDED:
        raise ApplicationError(_("This trip has ended."), code="trip_ended")
    if trip.contacts.count() >= 10:
        raise ApplicationError(_("A trip can have at most 10 trusted contacts."), code="too_many")
    cleaned = clean_contact_input(data, default_region=_default_region(traveller))
    contact = TrustedContact.objects.create(
        trip=trip,
        name=cleaned["name"],
        phone=cleaned["phone"] or None,
        bidx_phone=phone_index(cleaned["phone"]) if cleaned["phone"] else "",
        email=cleaned["email"] or None,
        bidx_email=email_index(cleaned["email"]) if cleaned["email"] else "",
        language=cleaned["language"],
    )
    _audit(traveller, "trip.contact_add", trip, groups=(FieldGroup.IDENTITY, FieldGroup.CONTACT))
    return contact


@transaction.atomic
def contact_invite(
    *,
    traveller: Traveller,
    contact: TrustedContact,
    confirm_url_for: Callable[[str], str],
    at: datetime.datetime | None = None,
) -> None:
    """Send (or send again) the invitation: a fresh link, by SMS and/or email. The previous
    link stops working."""
    trip = contact.trip
    _own(traveller, trip)
    at = _now(at)
    token = secrets.token_urlsafe(24)
    contact.confirmation_token_hash = token_hash(token)
    contact.invited_at = at
    contact.save(update_fields=["confirmation_token_hash", "invited_at"])
    text = messages.compose_invitation(
        trip=trip, language=contact.language, confirm_url=confirm_url_for(token)
    )
    stamp = int(at.timestamp())
    notes = []
    for channel, address in (("sms", contact.phone), ("email", contact.email)):
        if not address:
            continue
        notes.append(
            Notification(
                trip=trip,
                purpose=NotificationPurpose.INVITATION,
                recipient_kind=RecipientKind.CONTACT,
                contact=contact,
                channel=channel,
                address=address,
                language=messages.supported_language(contact.language),
                subject=text.subject,
                body=text.body,
                idempotency_key=f"inv:{contact.public_id.hex}:{stamp}:{channel}",
                due_at=at,
                is_test=trip.is_test,
            )
        )
    Notification.objects.bulk_create(notes, ignore_conflicts=True)
    _audit(traveller, "trip.contact_invite", trip)
    _after_commit_deliver()


def contact_by_token(token: str) -> TrustedContact | None:
    """The contact a confirmation link is for (None for an unknown or replaced link)."""
    if not token or len(token) > 100:
        return None
    return (
        TrustedContact.objects.select_related("trip", "trip__traveller")
        .filter(confirmation_token_hash=token_hash(token))
        .exclude(trip__status=TripStatus.ENDED)
        .first()
    )


def _answer(contact: TrustedContact, accept: bool, at: datetime.datetime) -> TrustedContact:
    if accept:
        contact.confirmed_at = contact.confirmed_at or at
        contact.declined_at = None
    else:
        contact.declined_at = at
        contact.confirmed_at = None
    contact.save(update_fields=["confirmed_at", "declined_at"])
    audit_record(
        actor=Actor.system(f"contact of {contact.trip.reference}", purpose=Purpose.ASSISTANCE),
        action="trip.contact_confirm" if accept else "trip.contact_decline",
        object_type="trip",
        object_id=str(contact.trip.public_id),
    )
    return contact


@transaction.atomic
def contact_confirm(*, token: str, at: datetime.datetime | None = None) -> TrustedContact:
    """The contact accepts, by the link's token. NotFound for an unknown link."""
    contact = contact_by_token(token)
    if contact is None:
        raise NotFound()
    return _answer(contact, True, _now(at))


@transaction.atomic
def contact_decline(*, token: str, at: datetime.datetime | None = None) -> TrustedContact:
    """The contact declines: they receive nothing more."""
    contact = contact_by_token(token)
    if contact is None:
        raise NotFound()
    return _answer(contact, False, _now(at))


@transaction.atomic
def contact_answer_by_sms(
    *, phone: str, accept: bool, at: datetime.datetime | None = None
) -> list[TrustedContact]:
    """A YES or NO by SMS from a number invited as a contact: answers every open invitation
    to that number (on trips not ended). Returns the contacts answered (may be empty)."""
    at = _now(at)
    digest = phone_index(phone)
    if not digest:
        return []
    pending = (
        TrustedContact.objects.select_related("trip", "trip__traveller")
        .filter(bidx_phone=digest, invited_at__isnull=False)
        .exclude(trip__status=TripStatus.ENDED)
    )
    if accept:
        pending = pending.filter(confirmed_at__isnull=True)
    return [_answer(contact, accept, at) for contact in pending]


@transaction.atomic
def contact_remove(*, traveller: Traveller, contact: TrustedContact) -> None:
    """Remove a contact. An active trip keeps at least one confirmed contact."""
    trip = contact.trip
    _own(traveller, trip)
    if trip.status in (TripStatus.ARMED, TripStatus.PAUSED) and contact.is_confirmed:
        others = trip.contacts.filter(confirmed_at__isnull=False, declined_at__isnull=True).exclude(
            pk=contact.pk
        )
        if not others.exists():
            raise ApplicationError(
                _("An active trip needs at least one confirmed contact. Add another first."),
                code="last_contact",
            )
    contact.delete()
    _audit(traveller, "trip.contact_remove", trip)


# --- the traveller's settings, export and deletion -------------------------------------------


@transaction.atomic
def traveller_settings_update(*, traveller: Traveller, data: Mapping[str, Any]) -> Traveller:
    """Name, language, time zone, usual-activity opt-in, welfare consent."""
    from .validation import NAME_MAX, Refused, clean_text

    errors: dict[str, list[str]] = {}
    updates: dict[str, Any] = {}
    for name, cleaner in (
        ("display_name", lambda v: clean_text(v, NAME_MAX) or None),
        ("language", clean_language),
        ("time_zone", clean_time_zone),
    ):
        if name in data:
            try:
                updates[name] = cleaner(data[name])
            except Refused as exc:
                errors[name] = [exc.message]
    for name in ("usual_activity_opt_in", "welfare_consent"):
        if name in data:
            value = data[name]
            updates[name] = value is True or value in ("on", "true", "1", "yes")
    if errors:
        raise invalid(errors)
    for name, value in updates.items():
        setattr(traveller, name, value)
    traveller.save()
    _audit(traveller, "traveller.update", details={"fields": sorted(updates)})
    return traveller


def traveller_export(*, traveller: Traveller) -> dict[str, Any]:
    """Everything kept about the traveller, as JSON-able data, for them to download.

    Shows check-ins as the traveller made them; the duress flag, silent alerts and the all
    clear (which only a normal check-in sends) are never included: an export must not tell a
    duress check-in from a normal one, nor be made under duress look any different.
    """
    from .selectors import traveller_history

    trips = []
    for trip in Trip.objects.filter(traveller=traveller).order_by("created_at"):
        trips.append(
            {
                "reference": trip.reference,
                "status": trip.status,
                "test": trip.is_test,
                "destination_country": trip.destination_country,
                "destination_city": trip.destination_city,
                "start_date": trip.start_date.isoformat() if trip.start_date else None,
                "end_date": trip.end_date.isoformat() if trip.end_date else None,
                "employer": trip.employer,
                "recruiter": trip.recruiter,
                "address_abroad": trip.address_abroad,
                "travel_mode": trip.travel_mode,
                "notes": trip.notes,
                "schedule": {
                    "kind": trip.schedule_kind,
                    "interval_hours": trip.interval_hours,
                    "fixed_times": list(trip.fixed_times or []),
                    "grace_minutes": trip.grace_minutes,
                },
                "next_due_at": trip.next_due_at.isoformat() if trip.next_due_at else None,
                "last_access": {
                    "ip": trip.last_access_ip,
                    "country": trip.last_access_country,
                    "city": trip.last_access_city,
                    "at": trip.last_access_at.isoformat() if trip.last_access_at else None,
                },
                "contacts": [
                    {
                        "name": c.name,
                        "phone": c.phone,
                        "email": c.email,
                        "language": c.language,
                        "status": c.status,
                    }
                    for c in trip.contacts.all()
                ],
                "checkins": [
                    {
                        "at": c.at.isoformat(),
                        "channel": c.channel,
                        "ip": c.ip,
                        "welfare_answers": c.welfare_answers,
                    }
                    for c in trip.checkins.order_by("at")
                ],
                "history": [
                    {"at": e.at.isoformat(), "event": e.kind, "details": e.details}
                    for e in traveller_history(traveller=traveller, trip=trip)
                ],
            }
        )
    _audit(traveller, "traveller.export", groups=tuple(str(g) for g in FieldGroup))
    return {
        "exported_at": timezone.now().isoformat(),
        "traveller": {
            "reference": traveller.reference,
            "name": traveller.display_name,
            "phone": traveller.phone,
            "email": traveller.email,
            "language": traveller.language,
            "time_zone": traveller.time_zone,
            "usual_activity_counts_as_check_in": traveller.usual_activity_opt_in,
            "welfare_consent": traveller.welfare_consent,
            "totp_enabled": traveller.has_totp,
            "created_at": traveller.created_at.isoformat(),
        },
        "trips": trips,
    }


@transaction.atomic
def traveller_delete(*, traveller: Traveller, at: datetime.datetime | None = None) -> None:
    """Delete the traveller and everything about them.

    Trips still running are ended first, so contacts already alerted get the all clear.
    Alerts already handed to the hotline stay in its queue (the hotline's record of a
    possible emergency), detached from the deleted trip.
    """
    at = _now(at)
    for trip in Trip.objects.filter(
        traveller=traveller, status__in=[TripStatus.ARMED, TripStatus.PAUSED]
    ):
        trip_end(traveller=traveller, trip=trip, at=at)
    # The all clear just queued for the contacts already alerted must outlive the trips it is
    # about (deleted below with their messages): detached from them it is still sent after
    # commit, and purged a day later (trips_purge).
    Notification.objects.filter(
        trip__traveller=traveller,
        step__kind=StepKind.ALL_CLEAR,
        status=NotificationStatus.PENDING,
    ).update(trip=None, step=None, contact=None)
    trips = Trip.objects.filter(traveller=traveller)
    count = trips.count()
    audit_record(
        actor=traveller_actor(traveller),
        action="traveller.delete",
        object_type="traveller",
        object_id=str(traveller.public_id),
        details={"trips": count},
    )
    traveller.delete()


# --- the hotline queue -----------------------------------------------------------------------


def _require_alert_permission(actor: Actor) -> None:
    from palermo.errors import Forbidden

    if actor.user is None or actor.organisation is None or not actor.can(Perm.TRAVEL_ALERT_VIEW):
        raise Forbidden()


@transaction.atomic
def travel_alert_acknowledge(*, actor: Actor, alert: TravelAlert) -> TravelAlert:
    """An operator takes the alert."""
    _require_alert_permission(actor)
    alert = TravelAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != TravelAlertStatus.OPEN:
        return alert
    alert.status = TravelAlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor.user
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    audit_record(
        actor=actor,
        action="travel_alert.acknowledge",
        object_type="travel_alert",
        object_id=str(alert.public_id),
    )
    return alert


@transaction.atomic
def travel_alert_open_person(*, actor: Actor, alert: TravelAlert) -> Any:
    """Register the traveller as a person (palermo.people) owned by the operator's
    organisation and link it to the alert. Returns the Person (the existing one if done)."""
    from palermo.people.models import Person
    from palermo.people.services import person_create

    _require_alert_permission(actor)
    alert = TravelAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.person_id is not None:
        return Person.objects.get(pk=alert.person_id)
    traveller = alert.snapshot.get("traveller", {})
    name = (traveller.get("name") or "").strip()
    first, _sep, last = name.partition(" ")
    data: dict[str, Any] = {}
    if first:
        data["first_name"] = first
    if last:
        data["second_name"] = last
    if traveller.get("phone"):
        data["mobile_phone"] = traveller["phone"]
    if traveller.get("email"):
        data["email"] = traveller["email"]
    if traveller.get("language"):
        data["primary_language"] = traveller["language"]
    person = person_create(actor=actor, data=data)
    alert.person = person
    alert.person_opened_at = timezone.now()
    if alert.status in (TravelAlertStatus.OPEN, TravelAlertStatus.ACKNOWLEDGED):
        alert.status = TravelAlertStatus.PERSON_OPENED
    if alert.acknowledged_at is None:
        alert.acknowledged_at = alert.person_opened_at
        alert.acknowledged_by = actor.user
    alert.save()
    audit_record(
        actor=actor,
        action="travel_alert.open_person",
        object_type="travel_alert",
        object_id=str(alert.public_id),
        details={"person": str(person.public_id)},
    )
    return person


@transaction.atomic
def travel_alert_close(*, actor: Actor, alert: TravelAlert) -> TravelAlert:
    """Close the alert (handled)."""
    _require_alert_permission(actor)
    alert = TravelAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == TravelAlertStatus.CLOSED:
        return alert
    alert.status = TravelAlertStatus.CLOSED
    alert.closed_at = timezone.now()
    alert.closed_by = actor.user
    alert.save(update_fields=["status", "closed_at", "closed_by"])
    audit_record(
        actor=actor,
        action="travel_alert.close",
        object_type="travel_alert",
        object_id=str(alert.public_id),
    )
    return alert


# --- privacy ---------------------------------------------------------------------------------


def trips_purge(*, now: datetime.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Delete trips ended more than PALERMO_TRAVEL_PURGE_AFTER_DAYS ago (with their contacts,
    check-ins, steps, messages and history), and expired verification codes. Audited with
    counts only."""
    from .models import TravellerVerification

    now = _now(now)
    cutoff = now - datetime.timedelta(days=settings.PALERMO_TRAVEL_PURGE_AFTER_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            ids = list(
                Trip.objects.filter(status=TripStatus.ENDED, ended_at__lt=cutoff).values_list(
                    "id", flat=True
                )[:batch]
            )
            if not ids:
                break
            Trip.objects.filter(pk__in=ids).delete()
            purged += len(ids)
    codes, _detail = TravellerVerification.objects.filter(
        expires_at__lt=now - datetime.timedelta(days=1)
    ).delete()
    # Messages that outlived their trip (the all clear of a deleted account) or belong to none
    # (sign-up codes), once they are no longer waiting to be sent.
    Notification.objects.filter(
        trip__isnull=True,
        created_at__lt=now - datetime.timedelta(days=1),
        status__in=[
            NotificationStatus.SENT,
            NotificationStatus.FAILED,
            NotificationStatus.CANCELLED,
        ],
    ).delete()
    from .sms_conversation import expire_conversations

    expire_conversations(now=now)
    with transaction.atomic():
        audit_record(
            actor=scheduler.SCHEDULER,
            action="trip.purge",
            object_type="trip",
            details={
                "trips": purged,
                "verification_codes": codes,
                "ended_before": cutoff.isoformat(),
            },
        )
    return {"trips": purged, "verification_codes": codes}
