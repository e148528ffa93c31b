from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import PURPOSE_LABELS, ROLE_LABELS, Purpose, Role


class OrganisationType(models.TextChoices):
    """HTCDS `org_Type`."""

    NGO = "NGO", _("Non-governmental organisation")
    LAW_ENFORCEMENT = "LawEnforcement", _("Law enforcement")
    HEALTH_SERVICE = "HealthServiceOrganisation", _("Health service organisation")
    CENTRAL_GOVERNMENT = "CentralGovernmentOrganisation", _("Central government organisation")
    LOCAL_GOVERNMENT = "LocalGovernmentOrganisation", _("Local government organisation")
    IMMIGRATION_SERVICE = "ImmigrationService", _("Immigration service")
    LEGAL_SERVICE = "LegalService", _("Legal service")
    CORPORATE_BUSINESS = "CorporateBusiness", _("Corporate business")
    SCHOOL_OR_COLLEGE = "SchoolOrCollege", _("School or college")


# Plain choice lists: the enums and their labels live in roles.py, the one place for them.
ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]
PURPOSE_CHOICES = [(p.value, PURPOSE_LABELS[p]) for p in Purpose]


class Organisation(models.Model):
    """A member of the coalition (HTCDS `org_` fields). Its address is not personal data."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    org_type = models.CharField(_("type"), max_length=40, choices=OrganisationType.choices)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 alpha-2"))
    city = models.CharField(_("city"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "country"], name="organisation_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


ENROLMENT_WINDOW_DAYS_DEFAULT = 7


def second_factor_enrolment_deadline() -> datetime:
    """Until when a new (or reset) account may set up its authenticator app."""
    days = getattr(settings, "PALERMO_TOTP_ENROLMENT_DAYS", ENROLMENT_WINDOW_DAYS_DEFAULT)
    return timezone.now() + timedelta(days=days)


class User(AbstractUser):
    """A person who signs in. Lockout state lives here so it survives restarts."""

    preferred_language = models.CharField(max_length=8, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Whoever first signs in to an account without an authenticator sets one up, so that is
    # possible only for a while after the account is created or its second factor is reset;
    # None once enrolled (a device removed later does not reopen it: a reset does).
    second_factor_enrolment_until = models.DateTimeField(
        null=True, blank=True, default=second_factor_enrolment_deadline
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    """A user's role in one organisation; a user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=ROLE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.role}"


class ApiToken(models.Model):
    """A machine credential acting for one membership, for one purpose.

    Members create tokens for their own membership only (operators, from the command line,
    for anyone); administrators may list and revoke their organisation's tokens. Only a
    SHA-256 digest of the secret is stored; the secret is shown once, at creation.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(_("purpose"), max_length=32, choices=PURPOSE_CHOICES)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    # Who created it as the audit log names them: the member themself, or the operator's
    # command (kept as text: an operator is not a user, and a user may be deleted later).
    created_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
