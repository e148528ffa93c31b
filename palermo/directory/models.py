"""The service directory: who offers which help, to whom, where, and whether there is room.

A provider is a coalition organisation (HTCDS organisation types) or one outside Palermo that
is listed for the public "find help" page. A shelter's street address can put the people in it
in danger: it is always encrypted, and never shown on public pages when `confidential_address`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from palermo.vault.fields import EncryptedTextField


class ServiceType(models.TextChoices):
    """Kinds of help, aligned with HTCDS support-plan types and the NRM's support list."""

    SHELTER = "Shelter", _("Shelter / safe accommodation")
    HEALTH = "Health", _("Medical care")
    PSYCHOLOGICAL = "Psychological", _("Psychological support")
    LEGAL = "Legal", _("Legal aid")
    INTERPRETATION = "Interpretation", _("Interpretation")
    SOCIAL_CARE = "SocialCare", _("Social care")
    EDUCATION = "Education", _("Education")
    LIVELIHOOD = "Livelihood", _("Employment and livelihood")
    FINANCIAL = "Financial", _("Financial assistance")
    RETURN = "Return", _("Safe return and reintegration")
    CHILD_PROTECTION = "ChildProtection", _("Child protection")
    HOTLINE = "Hotline", _("Hotline / helpline")


class Provider(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Set when the provider is a coalition member (referrals to it go through Palermo).
    organisation = models.OneToOneField(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="provider",
    )
    name = models.CharField(_("name"), max_length=200)
    org_type = models.CharField(_("type"), max_length=40)
    country = models.CharField(_("country"), max_length=2)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    # Listed on the public "find help" page.
    public = models.BooleanField(_("listed publicly"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["country", "public"])]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="services")
    service_type = models.CharField(_("service"), max_length=24, choices=ServiceType.choices)
    description = models.TextField(_("description"), blank=True)
    # Language codes (ISO 639-1) the service is given in.
    languages = models.JSONField(_("languages"), default=list)
    # Populations served: HTCDS genders (empty: everyone), ages, nationalities (empty: any).
    genders = models.JSONField(_("genders served"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("youngest age served"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("oldest age served"), null=True, blank=True)
    nationalities = models.JSONField(_("nationalities served"), default=list, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    available_places = models.PositiveIntegerField(_("places available"), null=True, blank=True)
    availability_updated_at = models.DateTimeField(null=True, blank=True)
    # {"mon": [["09:00", "17:00"]], …} (see `opening_hours.py`); a weekday left out is closed.
    # Empty with `open_24_hours` off: the hours are not given (call first).
    opening_hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    open_24_hours = models.BooleanField(_("open 24 hours, every day"), default=False)
    # The number to call for this service when it is not the provider's (e.g. a hotline).
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Location: the administrative area and rounded coordinates for matching and the public map
    # are in clear; the street address is encrypted.
    admin_area = models.CharField(_("administrative area"), max_length=120, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    address = EncryptedTextField(_("address"), null=True, blank=True)
    confidential_address = models.BooleanField(_("confidential address"), default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider__name", "service_type"]
        indexes = [
            models.Index(fields=["service_type", "active"]),
            models.Index(fields=["provider", "active"]),
        ]

    def __str__(self) -> str:
        return f"{self.provider.name}: {self.service_type}"

    @property
    def availability_stale(self) -> bool:
        """The places count was reported too long ago to be trusted (or never)."""
        from .matching import STALE_AFTER_DAYS

        if self.availability_updated_at is None:
            return True
        return timezone.now() - self.availability_updated_at > timedelta(days=STALE_AFTER_DAYS)
