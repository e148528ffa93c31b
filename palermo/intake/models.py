"""Intake: the hotline's contacts, the situations they describe, and what they were found to name.

A *contact* is one call, SMS thread, chat, web form, email or walk-in (HTCDS-minded; after the
US national hotline's counting): it records the channel, the number or campaign it came
through, who called, in which language, its category and urgency, and a narrative. A
*situation* groups the contacts and persons of one case of concern. Everything that names,
reaches, locates or describes a person is encrypted; the rest (categories, counts, times) stays
in clear for the queue and for statistics.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from palermo.vault.fields import EncryptedTextField

from .statuses import SituationStatus, Status


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    CHAT = "chat", _("Chat")
    WEB_FORM = "web_form", _("Web form")
    EMAIL = "email", _("Email")
    WALK_IN = "walk_in", _("Walk-in")
    SAFE_TRAVEL = "safe_travel", _("Safe-travel alert")


class CallerType(models.TextChoices):
    PERSON_CONCERNED = "person_concerned", _("The person concerned")
    FAMILY = "family", _("Family member or friend")
    COMMUNITY = "community", _("Community member")
    PROFESSIONAL = "professional", _("Professional")
    ANONYMOUS = "anonymous", _("Anonymous")
    UNKNOWN = "unknown", _("Not known yet")


class Category(models.TextChoices):
    """After the US national hotline's categories (see docs/roles/hotline.md)."""

    CRISIS = "crisis", _("Crisis")
    TIP = "tip", _("Tip")
    REFERRAL_REQUEST = "referral_request", _("Referral request")
    GENERAL_INFORMATION = "general_information", _("General information")
    TRAINING = "training", _("Training or technical assistance")
    HIGH_RISK = "high_risk", _("High risk")
    TO_TRIAGE = "to_triage", _("To triage")


class Urgency(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    IMMEDIATE = 4, _("Immediate")


STATUS_CHOICES = [
    (Status.NEW.value, _("New")),
    (Status.CLAIMED.value, _("Claimed")),
    (Status.IN_PROGRESS.value, _("In progress")),
    (Status.CLOSED.value, _("Closed")),
]
SITUATION_STATUS_CHOICES = [
    (SituationStatus.OPEN.value, _("Open")),
    (SituationStatus.CLOSED.value, _("Closed")),
]


class EscalationBasis(models.TextChoices):
    """Why a contact may go to law enforcement: consent, or the two exceptions to it."""

    CONSENT = "consent", _("The person consented")
    CHILD = "child", _("A child may be harmed")
    IMMINENT_DANGER = "imminent_danger", _("Imminent danger")


class PersonRole(models.TextChoices):
    CONCERNED = "concerned", _("Person concerned")
    REPORTER = "reporter", _("Reporter")
    SUSPECT = "suspect", _("Suspected exploiter")
    OTHER = "other", _("Other")


class Campaign(models.Model):
    """What a contact came through: a published number, poster, code or the tip form.

    Attribution: an SMS or call to one of `numbers`, a tip sent with one of `codes` (the
    poster's QR code carries it), or the public tip form itself when `receives_web_tips`.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    numbers = models.JSONField(_("numbers and short codes"), default=list, blank=True)
    codes = models.JSONField(_("codes"), default=list, blank=True)
    posters = models.TextField(_("posters and where they hang"), blank=True)
    receives_web_tips = models.BooleanField(_("receives the public tip form"), default=False)
    active = models.BooleanField(_("active"), default=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_organisation", "name"], name="intake_campaign_unique_name"
            ),
            models.UniqueConstraint(
                fields=["receives_web_tips"],
                condition=Q(receives_web_tips=True),
                name="intake_campaign_one_tip_form",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Situation(models.Model):
    """One case of concern: the contacts that describe it and the persons it involves.

    Its status (statuses.py) says whether the hotline is still working on it; `updated_at`
    moves with every change to it, its contacts or its persons, and orders the list.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="situations"
    )
    summary = EncryptedTextField(_("summary"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=SITUATION_STATUS_CHOICES,
        default=SituationStatus.OPEN.value,
    )
    persons: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "people.Person", through="SituationPerson", related_name="situations", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("last change"), default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner_organisation", "status", "updated_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return "S-" + self.public_id.hex[:8].upper()


class Contact(models.Model):
    """One call, SMS thread, chat, web form, email or walk-in."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="contacts"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=ContactChannel.choices)
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        verbose_name=_("campaign"),
    )
    via_number = models.CharField(_("number or address it came through"), max_length=40, blank=True)
    caller_type = models.CharField(
        _("caller"), max_length=20, choices=CallerType.choices, default=CallerType.UNKNOWN
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    category = models.CharField(
        _("category"), max_length=24, choices=Category.choices, default=Category.TO_TRIAGE
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=STATUS_CHOICES, default=Status.NEW.value
    )
    # narrative group
    narrative = EncryptedTextField(_("what happened"), null=True, blank=True)
    location_text = EncryptedTextField(_("where"), null=True, blank=True)
    occurred_text = EncryptedTextField(_("when"), null=True, blank=True)
    # contact group: how to reach the caller or tipster
    reporter_name = EncryptedTextField(_("caller's name"), null=True, blank=True)
    reporter_phone = EncryptedTextField(_("caller's phone"), null=True, blank=True)
    reporter_email = EncryptedTextField(_("caller's email"), null=True, blank=True)
    bidx_reporter_phone = models.CharField(max_length=32, blank=True, db_index=True)
    bidx_reporter_email = models.CharField(max_length=32, blank=True, db_index=True)

    persons: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "people.Person", through="ContactPerson", related_name="contacts", blank=True
    )
    situation = models.ForeignKey(
        Situation, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    # The safe-travel alert this crisis contact was opened for (one contact per alert).
    travel_alert = models.OneToOneField(
        "safetravel.TravelAlert",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="intake_contact",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_contacts",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where an automatic source files into this contact ("sms:<conversation>", "tip:<ref>"):
    # unique, so filing twice finds the contact instead of making another.
    source_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    received_at = models.DateTimeField(_("arrived"), default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["owner_organisation", "status", "received_at"]),
            models.Index(fields=["owner_organisation", "received_at"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """A short, non-identifying label: 'C-1A2B3C4D'."""
        return "C-" + self.public_id.hex[:8].upper()


class ContactPerson(models.Model):
    """A person a contact is about (or from), linked through the people module's access checks."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="person_links")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=12, choices=PersonRole.choices, default=PersonRole.CONCERNED)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "person"], name="intake_contact_person_once")
        ]

    def __str__(self) -> str:
        return f"{self.contact} · {self.person} ({self.role})"


class SituationPerson(models.Model):
    """A person a situation involves, linked through the people module's access checks."""

    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="person_links")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=12, choices=PersonRole.choices, default=PersonRole.CONCERNED)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["situation", "person"], name="intake_situation_person_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.situation} · {self.person} ({self.role})"


class Escalation(models.Model):
    """A contact passed to law enforcement, with the basis that allowed it."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="escalations")
    to_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    basis = models.CharField(max_length=20, choices=EscalationBasis.choices)
    note = EncryptedTextField(_("note"), null=True, blank=True)
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-escalated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.contact} → {self.to_organisation} ({self.basis})"


class FiledMessage(models.Model):
    """An SMS filed into a contact; its uniqueness makes filing the same message a no-op."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="filed_messages")
    message_id = models.BigIntegerField(unique=True)
    message_public_id = models.UUIDField()
    received_at = models.DateTimeField()
    filed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"message {self.message_public_id} in {self.contact}"


class IdentifierSource(models.TextChoices):
    NARRATIVE = "narrative", _("Narrative")
    MESSAGE = "message", _("Message")
    FOLLOW_UP = "follow_up", _("Tip follow-up")
    LOCATION = "location", _("Where")


class IdentifierKind(models.TextChoices):
    PHONE = "phone", _("Phone number")
    EMAIL = "email", _("Email")
    URL = "url", _("Web address")
    SOCIAL = "social", _("Social-media account")
    MONEY = "money", _("Amount of money")
    PLATE = "plate", _("Vehicle plate")
    PLACE = "place", _("Place")


class Identifier(models.Model):
    """Something a text names that can link it to other records, normalised, with its span.

    `value` is encrypted (a phone number or an account reaches a person); `value_index` is its
    blind index, in the same domains as the people module's ("phone", "email"), so a number in
    a tip matches a person's number without decrypting either.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identifiers")
    source = models.CharField(max_length=12, choices=IdentifierSource.choices)
    source_ref = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=8, choices=IdentifierKind.choices)
    value = EncryptedTextField()
    value_index = models.CharField(max_length=32, db_index=True)
    country = models.CharField(max_length=2, blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "source_ref", "start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "source", "source_ref", "kind", "start", "end"],
                name="intake_identifier_once_per_span",
            )
        ]
        indexes = [models.Index(fields=["kind", "value_index"])]

    def __str__(self) -> str:
        return f"{self.kind} in {self.contact} [{self.start}:{self.end}]"


class ContactDraft(models.Model):
    """The quick contact form as an operator is typing it, so a dropped call loses nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    data = EncryptedTextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="intake_one_draft")
        ]

    def __str__(self) -> str:
        return f"draft of user {self.user_id}"


class Tip(models.Model):
    """A tip from the public form: its reference, and the hash of the secret that reopens it."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="tip")
    reference = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    last_follow_up_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"tip T-{self.reference[:4]}-{self.reference[4:]}"


class TipFollowUp(models.Model):
    """What a tipster added later, with the reference and secret."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="follow_ups")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    text = EncryptedTextField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"follow-up {self.public_id}"


class Attachment(models.Model):
    """An uploaded image or PDF, stored encrypted (see attachments.py); the name too."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="attachments")
    follow_up = models.ForeignKey(
        TipFollowUp, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    storage_name = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = EncryptedTextField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"attachment {self.public_id}"
