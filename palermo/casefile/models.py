"""The content of a case: needs, care plan, notes, documents, trafficking history, perpetrators.

Each kind of content belongs to one personal field group (see `field_groups.py`), shown,
shared and audited as a unit. What names, locates or describes a person in words is
encrypted; the structured values that statistics and dashboards need (need areas and levels,
support types and dates, event countries and dates, perpetrator roles) stay in clear: on
their own they identify no one.

Nothing here is silently overwritten: a needs assessment is versioned (a new one does not
replace the previous), a note is corrected by a later note that points at it, and the
progress of a care-plan item is a list of entries.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.people.models import Gender
from palermo.vault.fields import EncryptedTextField

# --- needs assessment -------------------------------------------------------------------------


class NeedArea(models.TextChoices):
    """Areas of need, after the NRM's support list and the HTCDS assessment sections."""

    ACCOMMODATION = "Accommodation", _("Accommodation")
    MEDICAL = "Medical", _("Medical care")
    PSYCHOLOGICAL = "Psychological", _("Psychological support")
    LEGAL = "Legal", _("Legal aid")
    INTERPRETATION = "Interpretation", _("Interpretation")
    FINANCIAL = "Financial", _("Financial support")
    EDUCATION = "Education", _("Education")
    LIVELIHOOD = "Livelihood", _("Employment and livelihood")
    SAFETY = "Safety", _("Safety and risk")
    FAMILY = "Family", _("Family and children")
    DOCUMENTS = "Documents", _("Identity and travel documents")


class NeedLevel(models.TextChoices):
    NONE = "none", _("No need")
    LOW = "low", _("Some need")
    MEDIUM = "medium", _("Significant need")
    HIGH = "high", _("Severe need")


class Urgency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAYS = "days", _("Within days")
    WEEKS = "weeks", _("Within weeks")
    NOT_URGENT = "not_urgent", _("Not urgent")


class NeedsAssessment(models.Model):
    """One assessment of a case's needs; a later one is a new version, never an overwrite."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="assessments")
    version = models.PositiveIntegerField()
    assessed_on = models.DateField(_("date of the assessment"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessor_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    # The assessor's overall reading of the situation: describes the person, so encrypted.
    summary = EncryptedTextField(_("summary"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="casefile_assessment_version")
        ]

    def __str__(self) -> str:
        return f"Needs assessment v{self.version} of case {self.case_id}"


class NeedRating(models.Model):
    """One area of one assessment: how great the need is, how urgent, and a note."""

    assessment = models.ForeignKey(NeedsAssessment, on_delete=models.CASCADE, related_name="needs")
    area = models.CharField(_("area"), max_length=20, choices=NeedArea.choices)
    level = models.CharField(_("level"), max_length=10, choices=NeedLevel.choices)
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices, blank=True)
    note = EncryptedTextField(_("note"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "area"], name="casefile_need_area_once")
        ]

    def __str__(self) -> str:
        return f"{self.area}: {self.level}"


# --- care plan --------------------------------------------------------------------------------


class SupportType(models.TextChoices):
    """HTCDS `spl_Type`."""

    EDUCATION = "Education", _("Education")
    FINANCIAL = "Financial", _("Financial")
    HEALTH = "Health", _("Health")
    LABOUR_REHABILITATION = (
        "LabourExploitationRehabilitation",
        _("Labour exploitation rehabilitation"),
    )
    LEGAL = "Legal", _("Legal")
    LIVELIHOOD = "Livelihood", _("Livelihood")
    RIGHTS_TRAINING = "RightsBasedTraining", _("Rights-based training")
    SEXUAL_REHABILITATION = (
        "SexualExploitationRehabilitation",
        _("Sexual exploitation rehabilitation"),
    )
    SOCIAL_CARE = "SocialCare", _("Social care")


class CarePlanStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class CarePlanItem(models.Model):
    """One support in the case's plan (HTCDS `spl_`), and who gives it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="care_plan")
    support_type = models.CharField(
        _("type of support"), max_length=40, choices=SupportType.choices
    )
    # spl_Objectives and spl_ActionPlan: they describe the person's situation, so encrypted.
    objective = EncryptedTextField(_("objective"))
    action_plan = EncryptedTextField(_("action plan"), null=True, blank=True)
    # A coalition organisation (the owner, or one the case was referred to), or one outside
    # Palermo named in clear (an organisation's name is not personal data).
    responsible_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_plan_items",
    )
    responsible_other = models.CharField(
        _("other organisation"), max_length=200, blank=True, default=""
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=CarePlanStatus.choices, default=CarePlanStatus.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["planned_start", "created_at", "id"]
        indexes = [models.Index(fields=["case", "status"])]

    def __str__(self) -> str:
        return f"{self.support_type} for case {self.case_id}"

    @property
    def latest_progress(self) -> CarePlanProgress | None:
        """The last progress entry (from the prefetched list when there is one)."""
        steps = list(self.progress.all())
        return steps[-1] if steps else None

    @property
    def responsible_name(self) -> str:
        if self.responsible_organisation is not None:
            return self.responsible_organisation.name
        return self.responsible_other


class CarePlanProgress(models.Model):
    """One step of a care-plan item: a status, the dates it began or ended, and a note."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(CarePlanItem, on_delete=models.CASCADE, related_name="progress")
    status = models.CharField(_("status"), max_length=12, choices=CarePlanStatus.choices)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    note = EncryptedTextField(_("note"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.status} ({self.recorded_at:%Y-%m-%d})"


# --- notes ------------------------------------------------------------------------------------


class CaseNote(models.Model):
    """A case comment (HTCDS `cco_CaseComment`). Append-only: a mistake is fixed by a
    correction, a later note that points at the one it corrects; both stay readable."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="notes")
    text = EncryptedTextField(_("note"))
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "-created_at"])]

    def __str__(self) -> str:
        return f"Note {self.public_id}"


# --- documents --------------------------------------------------------------------------------


class DocumentType(models.TextChoices):
    IDENTITY = "identity", _("Identity paper")
    MEDICAL = "medical", _("Medical")
    LEGAL = "legal", _("Legal or court")
    OTHER = "other", _("Other")


class CaseDocument(models.Model):
    """A file of the case, stored encrypted under a random name (see `documents.py`)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="documents")
    document_type = models.CharField(_("type"), max_length=12, choices=DocumentType.choices)
    # Random: the original name is in `original_name`, encrypted.
    storage_name = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = EncryptedTextField(null=True, blank=True)
    description = EncryptedTextField(_("description"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["case", "document_type"])]

    def __str__(self) -> str:
        return f"Document {self.public_id}"


# --- historic trafficking events -------------------------------------------------------------


class EventKind(models.TextChoices):
    """HTCDS `hte_Type`."""

    RECRUITMENT = "Recruitment", _("Recruitment")
    TRANSIT = "Transit", _("Transit")
    EXPLOITATION = "Exploitation", _("Exploitation")


class DatePrecision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class Transport(models.TextChoices):
    ROAD = "road", _("Car, bus or lorry")
    RAIL = "rail", _("Train")
    AIR = "air", _("Plane")
    SEA = "sea", _("Boat or ship")
    ON_FOOT = "on_foot", _("On foot")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not known")


class TraffickingEvent(models.Model):
    """One step of what happened (HTCDS `hte_`): the routes of the insights module.

    The country and the dates stay in clear so routes and periods can be counted; the city or
    locality and the description are encrypted. A date may be known to the day, the month or
    the year (`date_precision`, the first day of the period is stored), may be a range, and
    may be approximate.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="trafficking_events"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    country = models.CharField(_("country"), max_length=2, db_index=True)
    locality = EncryptedTextField(_("city or locality"), null=True, blank=True)
    date_from = models.DateField(_("from"), null=True, blank=True, db_index=True)
    date_to = models.DateField(_("until"), null=True, blank=True)
    date_precision = models.CharField(
        max_length=6, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    date_approximate = models.BooleanField(_("approximate"), default=False)
    transport = models.CharField(
        _("means of transport"), max_length=10, choices=Transport.choices, blank=True
    )
    note = EncryptedTextField(_("description"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["date_from", "created_at", "id"]
        indexes = [models.Index(fields=["kind", "country", "date_from"])]

    def __str__(self) -> str:
        return f"{self.kind} in {self.country}"

    @property
    def period(self) -> str:
        """The dates as they were given: '2023', '2023-05 – 2023-08', 'about 2023-05-14'."""
        if self.date_from is None:
            return ""
        formats = {DatePrecision.YEAR: "%Y", DatePrecision.MONTH: "%Y-%m"}
        fmt = formats.get(DatePrecision(self.date_precision), "%Y-%m-%d")
        text = self.date_from.strftime(fmt)
        if self.date_to is not None and self.date_to.strftime(fmt) != text:
            text = f"{text} – {self.date_to.strftime(fmt)}"
        if self.date_approximate:
            text = str(_("about %(date)s") % {"date": text})
        return text


# --- perpetrator context ----------------------------------------------------------------------


class PerpetratorRole(models.TextChoices):
    """HTCDS `per_RoleInProcess` (multi-select)."""

    TRAVELLING_PARTNER = "TravellingPartner", _("Travelling partner")
    TRANSPORTER = "Transporter", _("Transporter")
    RECRUITER = "RecruiterOrIntermediary", _("Recruiter or intermediary")
    BROKER = "BrokerTravelAgent", _("Broker or travel agent")
    TRANSFERRED = "TransferredIndividual", _("Transferred the person")
    HARBOURED = "HarbouredIndividual", _("Harboured the person")
    SOLD = "SoldIndividual", _("Sold the person")
    BOUGHT = "BoughtIndividual", _("Bought the person")
    RECEIVED = "ReceivedIndividual", _("Received the person")
    CONTROLLED = "ControlledIndividual", _("Controlled the person")
    SMUGGLER = "Smuggler", _("Smuggler")
    ABUSER = "Abuser", _("Abuser")
    KIDNAPPER = "Kidnapper", _("Kidnapper")
    EXPLOITER = "Exploiter", _("Exploiter")
    OTHER = "Other", _("Other")


class Relationship(models.TextChoices):
    """HTCDS `vic_RelationshipToTrafficker`, with 'not known'."""

    FAMILIAL = "Familial", _("Family member or partner")
    ACQUAINTED = "Acquainted", _("Someone the person knew")
    UNACQUAINTED = "Unacquainted", _("A stranger")
    UNKNOWN = "Unknown", _("Not known")


class Perpetrator(models.Model):
    """Someone involved in the trafficking of the case's person (HTCDS `per_` context).

    Roles, relationship, gender and nationality stay in clear for the statistics of who
    traffics whom; names, the organisation they acted for and anything else that identifies
    them are encrypted.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="perpetrators")
    roles = models.JSONField(_("role in the trafficking"), default=list)
    relationship = models.CharField(
        _("relationship to the person"),
        max_length=16,
        choices=Relationship.choices,
        default=Relationship.UNKNOWN,
    )
    gender = models.CharField(
        _("gender"), max_length=24, choices=Gender.choices, default=Gender.UNKNOWN
    )
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    name = EncryptedTextField(_("name or alias"), null=True, blank=True)
    # per_Organisation: the business or group they acted for.
    organisation = EncryptedTextField(_("organisation or group"), null=True, blank=True)
    identifying_details = EncryptedTextField(_("identifying details"), null=True, blank=True)
    # per_RoleDetails
    role_details = EncryptedTextField(_("what they did"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Perpetrator {self.public_id}"

    @property
    def role_labels(self) -> list[str]:
        labels = dict(PerpetratorRole.choices)
        return [str(labels.get(r, r)) for r in self.roles]
