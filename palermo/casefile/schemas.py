"""The case-file API's input and output shapes, as the OpenAPI document at /api/docs shows them.

Inputs are strict about types (a number is not a note); what a value means (a known area, a
real date, an end after its start) is checked by `validation.py`, shared with the pages, so
both answer with the same translated messages. Outputs are plain pydantic models built from
the rows; the overview leaves out (not null) every section the caller may not see.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.urls import reverse
from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, WithJsonSchema

from palermo.people.schemas import ErrorOut  # noqa: F401 - re-exported for api.py

from .models import (
    CarePlanItem,
    CarePlanProgress,
    CaseDocument,
    CaseNote,
    NeedArea,
    NeedsAssessment,
    Perpetrator,
    TraffickingEvent,
)
from .validation import MAX_LONG_TEXT, MAX_NOTE, MAX_SHORT_TEXT

IsoDate = Annotated[StrictStr, WithJsonSchema({"type": "string", "format": "date"})]
PartialDate = Annotated[
    StrictStr,
    WithJsonSchema(
        {"type": "string", "description": "A year (2023), a month (2023-05) or a day (2023-05-14)."}
    ),
]


def _long(description: str = "") -> Any:
    return Field(None, max_length=MAX_LONG_TEXT, description=description or None)


# --- inputs -----------------------------------------------------------------------------------


class _In(Schema):
    model_config = ConfigDict(extra="forbid")

    def submitted(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class NeedIn(_In):
    area: StrictStr = Field(description="Accommodation, Medical, Psychological, Legal, …")
    level: StrictStr = Field(description="none | low | medium | high")
    urgency: StrictStr | None = Field(
        None, description="immediate | days | weeks | not_urgent; required for medium and high."
    )
    note: StrictStr | None = _long()


class AssessmentIn(_In):
    """A new version of the needs assessment: the earlier versions stay."""

    assessed_on: IsoDate = Field(max_length=10, description="YYYY-MM-DD, not in the future.")
    summary: StrictStr | None = _long()
    needs: list[NeedIn] = Field(min_length=1, max_length=len(NeedArea.values))


class CarePlanItemIn(_In):
    """A support (HTCDS spl_). A receiving organisation is always the one responsible."""

    support_type: StrictStr | None = Field(None, description="HTCDS spl_Type.")
    objective: StrictStr | None = _long("HTCDS spl_Objectives.")
    action_plan: StrictStr | None = _long("HTCDS spl_ActionPlan.")
    responsible_organisation: StrictStr | None = Field(
        None,
        max_length=36,
        description="The id of the owner organisation or of one the case is referred to.",
    )
    responsible_other: StrictStr | None = Field(
        None, max_length=MAX_SHORT_TEXT, description="An organisation outside Palermo."
    )
    planned_start: IsoDate | None = Field(None, max_length=10)
    planned_end: IsoDate | None = Field(None, max_length=10)
    actual_start: IsoDate | None = Field(None, max_length=10)
    actual_end: IsoDate | None = Field(None, max_length=10)
    status: StrictStr | None = Field(
        None, description="planned | in_progress | on_hold | completed | cancelled"
    )


class ProgressIn(_In):
    status: StrictStr = Field(description="planned | in_progress | on_hold | completed | cancelled")
    actual_start: IsoDate | None = Field(None, max_length=10)
    actual_end: IsoDate | None = Field(None, max_length=10)
    note: StrictStr | None = _long()


class NoteIn(_In):
    text: StrictStr = Field(max_length=MAX_NOTE)
    corrects: StrictStr | None = Field(
        None, max_length=36, description="The id of a note of your organisation this corrects."
    )


class EventIn(_In):
    kind: StrictStr = Field(description="Recruitment | Transit | Exploitation (HTCDS hte_Type)")
    country: StrictStr = Field(max_length=2, description="ISO 3166-1 alpha-2.")
    locality: StrictStr | None = Field(None, max_length=MAX_SHORT_TEXT)
    date_from: PartialDate | None = Field(None, max_length=10)
    date_to: PartialDate | None = Field(None, max_length=10)
    date_approximate: StrictBool | None = None
    transport: StrictStr | None = Field(
        None, description="road | rail | air | sea | on_foot | other | unknown"
    )
    note: StrictStr | None = _long()


class PerpetratorIn(_In):
    roles: list[StrictStr] = Field([], max_length=15, description="HTCDS per_RoleInProcess.")
    relationship: StrictStr | None = Field(
        None, description="Familial | Acquainted | Unacquainted | Unknown"
    )
    gender: StrictStr | None = Field(None, description="HTCDS prs_Gender.")
    nationality: StrictStr | None = Field(None, max_length=2, description="ISO 3166-1 alpha-2.")
    name: StrictStr | None = Field(None, max_length=MAX_SHORT_TEXT)
    organisation: StrictStr | None = Field(None, max_length=MAX_SHORT_TEXT)
    identifying_details: StrictStr | None = _long()
    role_details: StrictStr | None = _long("HTCDS per_RoleDetails.")


# --- outputs ----------------------------------------------------------------------------------


def _user(user: Any) -> str | None:
    if user is None:
        return None
    return str(user.get_full_name() or user.username)


class NeedOut(BaseModel):
    area: str
    level: str
    urgency: str | None
    note: str | None


class AssessmentOut(BaseModel):
    id: str
    version: int
    assessed_on: datetime.date
    assessor: str | None
    assessor_organisation: str
    summary: str | None
    needs: list[NeedOut]
    created_at: datetime.datetime

    @classmethod
    def of(cls, row: NeedsAssessment) -> AssessmentOut:
        return cls(
            id=str(row.public_id),
            version=row.version,
            assessed_on=row.assessed_on,
            assessor=_user(row.assessor),
            assessor_organisation=row.assessor_organisation.name,
            summary=row.summary,
            needs=[
                NeedOut(area=n.area, level=n.level, urgency=n.urgency or None, note=n.note)
                for n in row.needs.all()
            ],
            created_at=row.created_at,
        )


class ProgressOut(BaseModel):
    id: str
    status: str
    actual_start: datetime.date | None
    actual_end: datetime.date | None
    note: str | None
    author: str | None
    author_organisation: str
    recorded_at: datetime.datetime

    @classmethod
    def of(cls, row: CarePlanProgress) -> ProgressOut:
        return cls(
            id=str(row.public_id),
            status=row.status,
            actual_start=row.actual_start,
            actual_end=row.actual_end,
            note=row.note,
            author=_user(row.author),
            author_organisation=row.author_organisation.name,
            recorded_at=row.recorded_at,
        )


class OrganisationRef(BaseModel):
    id: str
    name: str


class CarePlanItemOut(BaseModel):
    id: str
    support_type: str
    objective: str
    action_plan: str | None
    responsible_organisation: OrganisationRef | None
    responsible_other: str | None
    planned_start: datetime.date | None
    planned_end: datetime.date | None
    actual_start: datetime.date | None
    actual_end: datetime.date | None
    status: str
    created_by_organisation: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    progress: list[ProgressOut]

    @classmethod
    def of(cls, row: CarePlanItem) -> CarePlanItemOut:
        org = row.responsible_organisation
        return cls(
            id=str(row.public_id),
            support_type=row.support_type,
            objective=row.objective,
            action_plan=row.action_plan,
            responsible_organisation=(
                OrganisationRef(id=str(org.public_id), name=org.name) if org else None
            ),
            responsible_other=row.responsible_other or None,
            planned_start=row.planned_start,
            planned_end=row.planned_end,
            actual_start=row.actual_start,
            actual_end=row.actual_end,
            status=row.status,
            created_by_organisation=row.created_by_organisation.name,
            created_at=row.created_at,
            updated_at=row.updated_at,
            progress=[ProgressOut.of(p) for p in row.progress.all()],
        )


class NoteOut(BaseModel):
    id: str
    text: str
    corrects: str | None
    corrected_by: list[str]
    author: str | None
    author_organisation: str
    created_at: datetime.datetime

    @classmethod
    def of(cls, row: CaseNote) -> NoteOut:
        return cls(
            id=str(row.public_id),
            text=row.text,
            corrects=str(row.corrects.public_id) if row.corrects else None,
            corrected_by=[str(c.public_id) for c in row.corrections.all()],
            author=_user(row.author),
            author_organisation=row.author_organisation.name,
            created_at=row.created_at,
        )


class NotePage(BaseModel):
    count: int
    page: int
    pages: int
    results: list[NoteOut]


class DocumentOut(BaseModel):
    id: str
    document_type: str
    content_type: str
    size: int
    original_name: str | None = Field(description="As uploaded, without any path.")
    description: str | None
    uploaded_by: str | None
    uploaded_by_organisation: str
    uploaded_at: datetime.datetime
    download_url: str

    @classmethod
    def of(cls, row: CaseDocument, case_id: Any) -> DocumentOut:
        return cls(
            id=str(row.public_id),
            document_type=row.document_type,
            content_type=row.content_type,
            size=row.size,
            original_name=row.original_name,
            description=row.description,
            uploaded_by=_user(row.uploaded_by),
            uploaded_by_organisation=row.uploaded_by_organisation.name,
            uploaded_at=row.uploaded_at,
            download_url=reverse(
                "api:casefile_document_content",
                kwargs={"case_id": str(case_id), "item_id": str(row.public_id)},
            ),
        )


class EventOut(BaseModel):
    id: str
    kind: str
    country: str
    locality: str | None
    date_from: datetime.date | None
    date_to: datetime.date | None
    date_precision: str
    date_approximate: bool
    transport: str | None
    note: str | None
    recorded_by_organisation: str
    created_at: datetime.datetime

    @classmethod
    def of(cls, row: TraffickingEvent) -> EventOut:
        return cls(
            id=str(row.public_id),
            kind=row.kind,
            country=row.country,
            locality=row.locality,
            date_from=row.date_from,
            date_to=row.date_to,
            date_precision=row.date_precision,
            date_approximate=row.date_approximate,
            transport=row.transport or None,
            note=row.note,
            recorded_by_organisation=row.recorded_by_organisation.name,
            created_at=row.created_at,
        )


class PerpetratorOut(BaseModel):
    id: str
    roles: list[str]
    relationship: str
    gender: str
    nationality: str | None
    name: str | None
    organisation: str | None
    identifying_details: str | None
    role_details: str | None
    recorded_by_organisation: str
    created_at: datetime.datetime

    @classmethod
    def of(cls, row: Perpetrator) -> PerpetratorOut:
        return cls(
            id=str(row.public_id),
            roles=list(row.roles),
            relationship=row.relationship,
            gender=row.gender,
            nationality=row.nationality or None,
            name=row.name,
            organisation=row.organisation,
            identifying_details=row.identifying_details,
            role_details=row.role_details,
            recorded_by_organisation=row.recorded_by_organisation.name,
            created_at=row.created_at,
        )


class CaseFileOut(BaseModel):
    """A case file as the caller may see it: a section it may not see is absent, not empty."""

    case: str
    reference: str
    visible_groups: list[str]
    sections: list[str] = Field(description="The sections present in this answer.")
    writable: list[str] = Field(description="The sections the caller may add to.")
    needs: AssessmentOut | None = Field(None, description="The latest assessment.")
    care_plan: list[CarePlanItemOut] = []
    notes: NotePage | None = None
    events: list[EventOut] = []
    perpetrators: list[PerpetratorOut] = []
    documents: list[DocumentOut] = []
