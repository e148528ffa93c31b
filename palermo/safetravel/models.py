"""Safe travel: travellers, their trips and trusted contacts, check-ins, and the escalation ladder.

Everything that names, reaches, locates or describes a traveller or a contact is encrypted
(EncryptedTextField / EncryptedDateField); exact look-ups go through the `bidx_*` blind-index
columns. Scheduling columns (times, statuses, counters) are in clear because the scheduler scans
them: they say *when* something is due, never *who* or *where*.

The scheduler's state lives on the Trip (`next_action_at`, the one indexed column it scans;
`episode_due_at`, `ladder_stage`, `episode_shift_seconds`); each step of the ladder it handles
becomes an EscalationStep (unique per trip, episode and kind: a step exists once), and each
message a step sends becomes a Notification with a unique idempotency key (a message is handed
to the provider once). See `scheduler.py`.

Reads for pages: a traveller's own records are reached through `access.py`
(`trip_for_traveller` etc.), the hotline's alerts through `access.travel_alert_for_actor`.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from palermo.vault.fields import EncryptedDateField, EncryptedTextField


def _reference(prefix: str, public_id: uuid.UUID) -> str:
    return f"{prefix}-{public_id.hex[:8].upper()}"


# --- the traveller's account ----------------------------------------------------------------


class Traveller(models.Model):
    """A member of the public who registers trips. Not a User: no organisation, no role.

    Signs up with a phone number or an email (both encrypted, found through their blind
    index; at most one account per number and per address), proves it with a code, then
    checks in with a PIN. A second PIN, the duress PIN, checks in exactly like the first but
    raises a silent alert. PINs are argon2 hashes (see `pins.py`); wrong PINs count towards a
    lockout (`failed_pin_count`, `locked_until`).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = EncryptedTextField(_("name"), null=True, blank=True)
    phone = EncryptedTextField(_("phone"), null=True, blank=True)
    bidx_phone = models.CharField(max_length=32, blank=True, db_index=True)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    email = EncryptedTextField(_("email"), null=True, blank=True)
    bidx_email = models.CharField(max_length=32, blank=True, db_index=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)

    pin_hash = models.CharField(max_length=200, blank=True)
    duress_pin_hash = models.CharField(max_length=200, blank=True)
    failed_pin_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    # Optional TOTP second factor for signing in (django_otp.oath.TOTP over this hex key).
    totp_key = EncryptedTextField(null=True, blank=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_counter = models.BigIntegerField(null=True, blank=True)  # replay guard

    language = models.CharField(_("language"), max_length=8, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    usual_activity_opt_in = models.BooleanField(
        _("my usual activity counts as a check-in"), default=False
    )
    welfare_consent = models.BooleanField(
        _("worrying welfare answers may alert the hotline"), default=False
    )

    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bidx_phone"],
                condition=~Q(bidx_phone=""),
                name="safetravel_traveller_unique_phone",
            ),
            models.UniqueConstraint(
                fields=["bidx_email"],
                condition=~Q(bidx_email=""),
                name="safetravel_traveller_unique_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Traveller {self.reference}"

    @property
    def reference(self) -> str:
        """A short, non-identifying label for audit and support: 'T-1A2B3C4D'."""
        return _reference("T", self.public_id)

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None and bool(self.totp_key)

    @property
    def is_verified(self) -> bool:
        return self.phone_verified_at is not None or self.email_verified_at is not None


class VerificationChannel(models.TextChoices):
    SMS = "sms", _("Text message")
    EMAIL = "email", _("Email")


class VerificationPurpose(models.TextChoices):
    SIGN_UP = "sign_up", _("Sign up")
    SIGN_IN = "sign_in", _("Sign in")
    PIN_RESET = "pin_reset", _("Reset the PIN")
    ADDRESS_CHANGE = "address_change", _("Change the phone or email")


class TravellerVerification(models.Model):
    """A one-time code sent to a phone or an email to prove it is the traveller's.

    Only a hash of the code is kept; `attempts` bounds guessing, `expires_at` its life,
    `used_at` makes it single-use. `traveller` may be empty while a sign-up is not finished.
    The public pages own the flow; this table only remembers it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    traveller = models.ForeignKey(
        Traveller, null=True, blank=True, on_delete=models.CASCADE, related_name="verifications"
    )
    purpose = models.CharField(max_length=20, choices=VerificationPurpose.choices)
    channel = models.CharField(max_length=8, choices=VerificationChannel.choices)
    address = EncryptedTextField(null=True, blank=True)
    bidx_address = models.CharField(max_length=32, blank=True, db_index=True)
    code_hash = models.CharField(max_length=200)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Verification {self.public_id}"


# --- trips -----------------------------------------------------------------------------------


class TripStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ARMED = "armed", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


# The one place the allowed status changes are written down (services check it).
TRIP_TRANSITIONS: dict[str, frozenset[str]] = {
    TripStatus.DRAFT: frozenset({TripStatus.ARMED, TripStatus.ENDED}),
    TripStatus.ARMED: frozenset({TripStatus.PAUSED, TripStatus.ENDED}),
    TripStatus.PAUSED: frozenset({TripStatus.ARMED, TripStatus.ENDED}),
    TripStatus.ENDED: frozenset(),
}


class ScheduleKind(models.TextChoices):
    INTERVAL = "interval", _("Every few hours")
    FIXED_TIMES = "fixed_times", _("At fixed times of day")


class TravelMode(models.TextChoices):
    """Suggested answers for `Trip.travel_mode`, which is free text (and encrypted)."""

    BUS = "bus", _("Bus or minibus")
    CAR = "car", _("Car")
    TRAIN = "train", _("Train")
    PLANE = "plane", _("Plane")
    BOAT = "boat", _("Boat")
    ORGANISED = "organised", _("Transport organised by the employer or agency")
    OTHER = "other", _("Other")


class Trip(models.Model):
    """One journey abroad for work, with its check-in schedule and its escalation state.

    Status: draft → armed (needs at least one confirmed contact) → paused ⇄ armed → ended.

    Schedule: every `interval_hours`, or at `fixed_times` ("HH:MM", in the traveller's time
    zone). `next_due_at` (UTC) is when the next check-in is due. `grace_minutes` is how long
    after a missed check-in the contacts are alerted (empty: the deployment's ladder).

    Scheduler state (see scheduler.py): `next_action_at` is when the scheduler must next look
    at this trip — the due time while all is well, the next ladder step while a check-in is
    missed, empty when the trip is not armed. `episode_due_at` is the missed due time of the
    open episode (empty when none), `ladder_stage` how many of its steps are handled, and
    `episode_shift_seconds` how far an outage pushed the rest of the ladder.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    traveller = models.ForeignKey(Traveller, on_delete=models.CASCADE, related_name="trips")
    status = models.CharField(
        _("status"), max_length=10, choices=TripStatus.choices, default=TripStatus.DRAFT
    )
    is_test = models.BooleanField(_("test trip"), default=False)

    # the journey (encrypted: it locates and describes the traveller)
    destination_country = EncryptedTextField(_("destination country"), null=True, blank=True)
    destination_city = EncryptedTextField(_("destination city"), null=True, blank=True)
    start_date = EncryptedDateField(_("departure date"), null=True, blank=True)
    end_date = EncryptedDateField(_("expected return date"), null=True, blank=True)
    employer = EncryptedTextField(_("employer"), null=True, blank=True)
    recruiter = EncryptedTextField(_("recruiter or agency"), null=True, blank=True)
    address_abroad = EncryptedTextField(_("address abroad"), null=True, blank=True)
    travel_mode = EncryptedTextField(_("how you travel"), null=True, blank=True)
    notes = EncryptedTextField(_("notes for your contacts"), null=True, blank=True)

    # the schedule
    schedule_kind = models.CharField(
        _("check-in schedule"),
        max_length=12,
        choices=ScheduleKind.choices,
        default=ScheduleKind.INTERVAL,
    )
    interval_hours = models.PositiveSmallIntegerField(_("every (hours)"), null=True, blank=True)
    fixed_times = models.JSONField(_("check-in times"), default=list, blank=True)
    grace_minutes = models.PositiveIntegerField(_("grace period (minutes)"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next check-in due"), null=True, blank=True)

    # the scheduler's state
    next_action_at = models.DateTimeField(null=True, blank=True)
    episode_due_at = models.DateTimeField(null=True, blank=True)
    ladder_stage = models.PositiveSmallIntegerField(default=0)
    episode_shift_seconds = models.IntegerField(default=0)
    last_checkin_at = models.DateTimeField(null=True, blank=True)

    # the last known access point (IP address, where it resolves to offline, and when)
    last_access_ip = EncryptedTextField(null=True, blank=True)
    last_access_country = EncryptedTextField(null=True, blank=True)
    last_access_city = EncryptedTextField(null=True, blank=True)
    last_access_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    armed_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The scheduler's scan: `next_action_at <= now`, armed trips only (others are NULL
            # and left out of the partial index, so it holds just the trips that can fall due).
            models.Index(
                fields=["next_action_at"],
                name="safetravel_trip_next_action",
                condition=Q(next_action_at__isnull=False),
            ),
            # The purge: ended trips by end time.
            models.Index(
                fields=["ended_at"],
                name="safetravel_trip_ended",
                condition=Q(ended_at__isnull=False),
            ),
            models.Index(fields=["traveller", "-created_at"], name="safetravel_trip_traveller"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_action_at__isnull=True) | Q(status="armed"),
                name="safetravel_trip_scheduled_only_when_armed",
            ),
        ]

    def __str__(self) -> str:
        return f"Trip {self.reference}"

    @property
    def reference(self) -> str:
        """The reference contacts and the hotline quote: 'TR-1A2B3C4D'."""
        return _reference("TR", self.public_id)

    @property
    def is_overdue(self) -> bool:
        """A check-in was missed and the ladder is running (never shown to contacts)."""
        return self.episode_due_at is not None


class ContactStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")


class TrustedContact(models.Model):
    """Someone the traveller trusts, alerted when check-ins stop.

    Receives nothing from the ladder until they confirm, by the link in their invitation or by
    answering it by SMS; only a hash of the link's token is kept. Alerts reach them in their
    own `language`.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="contacts")
    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"), null=True, blank=True)
    bidx_phone = models.CharField(max_length=32, blank=True, db_index=True)
    email = EncryptedTextField(_("email"), null=True, blank=True)
    bidx_email = models.CharField(max_length=32, blank=True, db_index=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    confirmation_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Contact {self.public_id}"

    @property
    def status(self) -> str:
        if self.declined_at is not None:
            return ContactStatus.DECLINED
        if self.confirmed_at is not None:
            return ContactStatus.CONFIRMED
        return ContactStatus.PENDING

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None and self.declined_at is None


# --- check-ins and the ladder ----------------------------------------------------------------


class CheckInChannel(models.TextChoices):
    WEB = "web", _("Web")
    SMS = "sms", _("Text message")
    ACTIVITY = "activity", _("Usual activity")


class CheckIn(models.Model):
    """A sign of life. `duress` is set when the duress PIN was used: nothing shown to the
    traveller (pages, replies, export, history) may ever differ because of it."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="checkins")
    at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=CheckInChannel.choices)
    duress = models.BooleanField(default=False)
    ip = EncryptedTextField(null=True, blank=True)
    welfare_answers_text = EncryptedTextField(null=True, blank=True)
    closed_episode_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["trip", "-at"], name="safetravel_checkin_trip")]

    def __str__(self) -> str:
        return f"Check-in {self.pk}"

    @property
    def welfare_answers(self) -> dict[str, Any]:
        if not self.welfare_answers_text:
            return {}
        value = json.loads(self.welfare_answers_text)
        return value if isinstance(value, dict) else {}


class StepKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder to the traveller")
    SECOND_REMINDER = "second_reminder", _("Second reminder to the traveller")
    CONTACTS_ALERT = "contacts_alert", _("Trusted contacts alerted")
    URGENT_ALERT = "urgent_alert", _("Urgent alert to contacts and the hotline")
    # not on the ladder itself:
    OUTAGE_NOTICE = "outage_notice", _("Traveller re-notified after a service interruption")
    ALL_CLEAR = "all_clear", _("All clear sent")
    DURESS_ALERT = "duress_alert", _("Silent alert")


# The ladder, in order; offsets come from settings (see ladder.py).
LADDER_KINDS: tuple[str, ...] = (
    StepKind.REMINDER,
    StepKind.SECOND_REMINDER,
    StepKind.CONTACTS_ALERT,
    StepKind.URGENT_ALERT,
)
# Steps a traveller must never learn about (pages, export, history, SMS replies): the silent
# alert, and the all clear — which follows a normal check-in and never a duress one, so that
# seeing it (or not) would tell anyone holding the traveller's phone which PIN was used.
HIDDEN_FROM_TRAVELLER: frozenset[str] = frozenset({StepKind.DURESS_ALERT, StepKind.ALL_CLEAR})


class StepStatus(models.TextChoices):
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")


class EscalationStep(models.Model):
    """One step handled for one episode (one missed due time) of a trip: exists once.

    `scheduled_at` is when the ladder said it was due, `handled_at` when the scheduler took
    it, `sent_at` when the last of its messages was handed to a provider. A step skipped
    (superseded by a later one, or stale after an outage) says why in `skip_reason`.
    """

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="steps")
    episode_due_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    status = models.CharField(max_length=10, choices=StepStatus.choices)
    skip_reason = models.CharField(max_length=40, blank=True)
    scheduled_at = models.DateTimeField()
    handled_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    is_test = models.BooleanField(default=False)

    class Meta:
        ordering = ["scheduled_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["trip", "episode_due_at", "kind"], name="safetravel_step_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.scheduled_at:%Y-%m-%d %H:%M}"


class RecipientKind(models.TextChoices):
    TRAVELLER = "traveller", _("Traveller")
    CONTACT = "contact", _("Trusted contact")
    HOTLINE = "hotline", _("Hotline")


class NotificationPurpose(models.TextChoices):
    STEP = "step", _("Escalation step")
    INVITATION = "invitation", _("Invitation of a trusted contact")
    MESSAGE = "message", _("Other message")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being handed over")
    SENT = "sent", _("Handed to the provider")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled: the traveller checked in first")


class Notification(models.Model):
    """One message to one recipient on one channel; handed to a provider once.

    `idempotency_key` (trip, episode, kind, recipient, channel) is unique, and the provider
    is given it too, so a retry after a crash never delivers twice. A sender claims the row
    (status `sending`, `lease_until`); a lease that runs out means the sender died, and
    another may claim it again. Address, subject and body are encrypted.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    trip = models.ForeignKey(
        Trip, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    step = models.ForeignKey(
        EscalationStep,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    purpose = models.CharField(
        max_length=12, choices=NotificationPurpose.choices, default=NotificationPurpose.STEP
    )
    recipient_kind = models.CharField(max_length=10, choices=RecipientKind.choices)
    contact = models.ForeignKey(
        TrustedContact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    channel = models.CharField(max_length=8, choices=VerificationChannel.choices)
    address = EncryptedTextField()
    language = models.CharField(max_length=8)
    subject = EncryptedTextField(null=True, blank=True)
    body = EncryptedTextField()
    idempotency_key = models.CharField(max_length=128, unique=True)
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    is_test = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The senders' queue: what is waiting, or being sent under a lease.
            models.Index(
                fields=["status", "lease_until"],
                name="safetravel_notification_queue",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"Notification {self.idempotency_key}"


class TripEventKind(models.TextChoices):
    CREATED = "created", _("Trip registered")
    ARMED = "armed", _("Check-ins started")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    EXTENDED = "extended", _("Next check-in moved later")
    CHECKED_IN = "checked_in", _("Checked in")
    MISSED = "missed", _("Check-in missed")
    STEP_SENT = "step_sent", _("Escalation step sent")
    STEP_SKIPPED = "step_skipped", _("Escalation step skipped")
    OUTAGE = "outage", _("Service interruption: traveller re-notified, fresh grace period")
    ALL_CLEAR = "all_clear", _("All clear sent")
    ENDED = "ended", _("Trip ended")
    SILENT_ALERT = "silent_alert", _("Silent alert")


# Events of the trip's history a traveller must never see, whatever `traveller_visible` says
# (rows written before the all clear was hidden have it set): see HIDDEN_FROM_TRAVELLER.
EVENTS_HIDDEN_FROM_TRAVELLER: frozenset[str] = frozenset(
    {TripEventKind.SILENT_ALERT, TripEventKind.ALL_CLEAR}
)


class TripEvent(models.Model):
    """The trip's history as the service tells it. `details` holds no personal data.

    Events with `traveller_visible=False` (the silent alert, the all clear) never reach the
    traveller's pages, export or SMS replies; the hotline and the contacts still have them.
    """

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=TripEventKind.choices)
    details = models.JSONField(default=dict, blank=True)
    traveller_visible = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["trip", "at"], name="safetravel_event_trip")]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"


# --- the SMS conversation --------------------------------------------------------------------


class SmsConversation(models.Model):
    """Where a conversation by text message with one phone number stands (see
    sms_conversation.py): signing up, the set-up questions of a trip, a deletion waiting to be
    confirmed, or the language asked for before signing up.

    Found by the blind index of the sender's number, one per number. `state_text` (encrypted
    JSON) holds the answers given so far, which can name and locate the traveller; the sign-up
    code is kept as a keyed hash. A conversation lives `SESSION_LIFETIME` after its last
    message (`expires_at`): an expired one is deleted when next touched and by the purge.
    """

    bidx_phone = models.CharField(max_length=32, unique=True)
    traveller = models.ForeignKey(
        Traveller,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sms_conversations",
    )
    step = models.CharField(max_length=12, blank=True)
    language = models.CharField(max_length=8, blank=True)
    state_text = EncryptedTextField(null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    delete_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"SMS conversation {self.pk} ({self.step or 'idle'})"

    @property
    def state(self) -> dict[str, Any]:
        value = json.loads(self.state_text) if self.state_text else {}
        return value if isinstance(value, dict) else {}

    @state.setter
    def state(self, value: dict[str, Any]) -> None:
        self.state_text = json.dumps(value, ensure_ascii=False) if value else None


# --- the hotline's queue ---------------------------------------------------------------------


class TravelAlertKind(models.TextChoices):
    URGENT = "urgent", _("Urgent: check-ins stopped")
    DURESS = "duress", _("Silent alert (duress code)")
    WELFARE = "welfare", _("Worrying welfare check")


class TravelAlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Taken by an operator")
    PERSON_OPENED = "person_opened", _("Person record opened")
    CLOSED = "closed", _("Closed")


class TravelAlert(models.Model):
    """An entry in the hotline's alerts queue, with the trip attached.

    `snapshot_text` (encrypted JSON) is what the hotline needs even if the trip is later
    purged or deleted: the traveller's name and contact, the trip summary, the last known
    access point and, for a welfare alert, the answers. Opening a person record links
    `person` (palermo.people). `dedupe_key` makes each alert exist once.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=TravelAlertKind.choices)
    status = models.CharField(
        max_length=16, choices=TravelAlertStatus.choices, default=TravelAlertStatus.OPEN
    )
    is_test = models.BooleanField(default=False)
    trip = models.ForeignKey(
        Trip, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="travel_alerts",
    )
    dedupe_key = models.CharField(max_length=128, unique=True)
    episode_due_at = models.DateTimeField(null=True, blank=True)
    raised_at = models.DateTimeField()
    snapshot_text = EncryptedTextField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person_opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    intake_reference = models.CharField(max_length=64, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)  # the traveller checked in since

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "-raised_at"], name="safetravel_alert_q")
        ]

    def __str__(self) -> str:
        return f"Travel alert {self.reference}"

    @property
    def reference(self) -> str:
        return _reference("TA", self.public_id)

    @property
    def snapshot(self) -> dict[str, Any]:
        value = json.loads(self.snapshot_text) if self.snapshot_text else {}
        return value if isinstance(value, dict) else {}


def as_utc(value: datetime.datetime) -> datetime.datetime:
    """Aware UTC datetime (the scheduler's only time zone)."""
    return value.astimezone(datetime.UTC)
