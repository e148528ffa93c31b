from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.vault.fields import EncryptedDateField, EncryptedDecimalField, EncryptedTextField


class Gender(models.TextChoices):
    """HTCDS `prs_Gender`."""

    FEMININE = "Feminine", _("Female")
    MASCULINE = "Masculine", _("Male")
    TRANSGENDER_FEMININE = "TransgenderFeminine", _("Transgender female")
    TRANSGENDER_MASCULINE = "TransgenderMasculine", _("Transgender male")
    NON_CONFORMING = "NonConforming", _("Gender non-conforming")
    UNKNOWN = "NonSpecifiedUnknown", _("Not specified / unknown")


class MaritalStatus(models.TextChoices):
    """HTCDS `prs_MaritalStatus`."""

    SINGLE = "Single", _("Single")
    MARRIED = "Married", _("Married")
    WIDOWED = "Widowed", _("Widowed")
    DIVORCED = "Divorced", _("Divorced")
    SEPARATED = "Separated", _("Separated")
    REGISTERED_PARTNERSHIP = "RegisteredPartnership", _("Registered partnership")


class Education(models.TextChoices):
    """HTCDS `prs_HighestLevelOfEducation` (ISCED levels)."""

    EARLY_CHILDHOOD = "EarlyChildhoodEducation", _("Early childhood education")
    PRIMARY = "PrimaryEducation", _("Primary education")
    LOWER_SECONDARY = "LowerSecondaryEducation", _("Lower secondary education")
    UPPER_SECONDARY = "UpperSecondaryEducation", _("Upper secondary education")
    POST_SECONDARY = "PostSecondaryNonTertiaryEducation", _("Post-secondary non-tertiary")
    SHORT_TERTIARY = "ShortCycleTertiaryEducation", _("Short-cycle tertiary education")
    BACHELORS = "BachelorsOrEquivalentLevel", _("Bachelor's or equivalent")
    MASTERS = "MastersOrEquivalentLevel", _("Master's or equivalent")
    DOCTORAL = "DoctoralOrEquivalentLevel", _("Doctoral or equivalent")


class Person(models.Model):
    """A person known to the coalition: HTCDS `prs_` fields.

    Everything that names, reaches or locates the person is encrypted (see
    `palermo.people.fields.PERSON_FIELD_GROUPS`); the `bidx_*` columns are keyed blind
    indexes that allow exact search without decrypting. Demographic fields stay in clear
    because statistics need them and they do not identify anyone alone.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="persons"
    )
    assigned_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_persons"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # identity
    salutation = EncryptedTextField(_("salutation"), null=True, blank=True)
    first_name = EncryptedTextField(_("first name"), null=True, blank=True)
    middle_name = EncryptedTextField(_("middle name"), null=True, blank=True)
    second_name = EncryptedTextField(_("last name"), null=True, blank=True)
    birthdate = EncryptedDateField(_("date of birth"), null=True, blank=True)
    identity_number = EncryptedTextField(_("identity document number"), null=True, blank=True)
    title = EncryptedTextField(_("position or title"), null=True, blank=True)
    # contact
    email = EncryptedTextField(_("email"), null=True, blank=True)
    home_phone = EncryptedTextField(_("home phone"), null=True, blank=True)
    mobile_phone = EncryptedTextField(_("mobile phone"), null=True, blank=True)
    # location
    mailing_street = EncryptedTextField(_("street"), null=True, blank=True)
    mailing_city = EncryptedTextField(_("city"), null=True, blank=True)
    mailing_state = EncryptedTextField(_("region or state"), null=True, blank=True)
    mailing_postal_code = EncryptedTextField(_("postal code"), null=True, blank=True)
    mailing_country = EncryptedTextField(_("country of residence"), null=True, blank=True)
    mailing_latitude = EncryptedDecimalField(_("latitude"), null=True, blank=True)
    mailing_longitude = EncryptedDecimalField(_("longitude"), null=True, blank=True)

    # demographic, in clear
    gender = models.CharField(
        _("gender"), max_length=24, choices=Gender.choices, default=Gender.UNKNOWN
    )
    marital_status = models.CharField(
        _("marital status"), max_length=24, choices=MaritalStatus.choices, blank=True
    )
    number_of_children = models.PositiveSmallIntegerField(
        _("number of children"), null=True, blank=True
    )
    primary_language = models.CharField(_("primary language"), max_length=8, blank=True)
    secondary_language = models.CharField(_("secondary language"), max_length=8, blank=True)
    highest_education = models.CharField(
        _("highest level of education"), max_length=40, choices=Education.choices, blank=True
    )
    citizenship = models.JSONField(_("citizenship"), default=list, blank=True)
    deceased = models.BooleanField(_("deceased"), default=False)

    # blind indexes for exact search
    bidx_first_name = models.CharField(max_length=32, blank=True, db_index=True)
    bidx_second_name = models.CharField(max_length=32, blank=True, db_index=True)
    bidx_full_name = models.CharField(max_length=32, blank=True, db_index=True)
    bidx_birthdate = models.CharField(max_length=32, blank=True, db_index=True)
    bidx_identity_number = models.CharField(max_length=32, blank=True, db_index=True)
    bidx_email = models.CharField(max_length=32, blank=True, db_index=True)
    bidx_mobile_phone = models.CharField(max_length=32, blank=True, db_index=True)
    bidx_home_phone = models.CharField(max_length=32, blank=True, db_index=True)
    # sound-alike keys (see field_groups.phonetic_digests): pre-select registration candidates
    bidx_phonetic_names = models.CharField(max_length=32, blank=True, db_index=True)
    bidx_phonetic_first_year = models.CharField(max_length=32, blank=True, db_index=True)
    bidx_phonetic_last_year = models.CharField(max_length=32, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner_organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"Person {self.reference}"

    @property
    def reference(self) -> str:
        """A short, non-identifying label for lists and audit: 'P-1A2B3C4D'."""
        return "P-" + self.public_id.hex[:8].upper()
