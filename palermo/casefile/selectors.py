"""Reads of case files for pages, the case page's sections and the API.

Every read of a section is audited as a read of its field group, with the case's owner
organisation as the subject (so its supervisors see who read what). Lists load in a fixed
number of queries, whatever their length.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Prefetch, QuerySet

from palermo.accounts.actors import Actor
from palermo.audit.services import audit_read
from palermo.errors import NotFound

from .access import CaseFile, casefile_for_actor, item_key, require_section
from .field_groups import SECTION_GROUPS, Section, document_group
from .models import (
    CarePlanItem,
    CarePlanProgress,
    CarePlanStatus,
    CaseDocument,
    CaseNote,
    NeedLevel,
    NeedsAssessment,
    Perpetrator,
    TraffickingEvent,
    Urgency,
)

NOTES_PER_PAGE = 25
# Where `health_summary` leaves the latest assessment (with its needs) on the case object.
LATEST_ASSESSMENT_KEY = "_casefile_latest_assessment"
SUMMARY_ITEMS = 3


def casefile_detail(*, actor: Actor, public_id: UUID | str) -> CaseFile:
    """The case file as the actor may see it (no content read yet, so nothing audited)."""
    return casefile_for_actor(actor, public_id, "view")


def _audit_section(
    casefile: CaseFile, section: Section, groups: set[str] | None = None, **details: Any
) -> None:
    audit_read(
        actor=casefile.actor,
        object_type="case",
        object_id=str(casefile.public_id),
        field_groups=groups if groups is not None else {SECTION_GROUPS[section]},
        details={"section": str(section), **details},
        subject_organisation=casefile.case.owner_organisation,
    )


# --- querysets (no audit) ---------------------------------------------------------------------


def _assessments(casefile: CaseFile) -> QuerySet[NeedsAssessment]:
    return (
        NeedsAssessment.objects.filter(case=casefile.case)
        .select_related("assessor", "assessor_organisation")
        .prefetch_related("needs")
    )


def _care_plan(casefile: CaseFile) -> QuerySet[CarePlanItem]:
    progress = CarePlanProgress.objects.select_related("author", "author_organisation")
    return (
        CarePlanItem.objects.filter(case=casefile.case)
        .select_related("responsible_organisation", "created_by_organisation")
        .prefetch_related(Prefetch("progress", queryset=progress))
    )


def _notes(casefile: CaseFile) -> QuerySet[CaseNote]:
    return (
        CaseNote.objects.filter(case=casefile.case)
        .select_related("author", "author_organisation", "corrects")
        .prefetch_related(
            Prefetch(
                "corrections",
                queryset=CaseNote.objects.only("public_id", "corrects_id", "created_at"),
            )
        )
    )


def _documents(casefile: CaseFile) -> QuerySet[CaseDocument]:
    return CaseDocument.objects.filter(
        case=casefile.case, document_type__in=casefile.document_types()
    ).select_related("uploaded_by", "uploaded_by_organisation")


def _events(casefile: CaseFile) -> QuerySet[TraffickingEvent]:
    return TraffickingEvent.objects.filter(case=casefile.case).select_related(
        "recorded_by_organisation"
    )


def _perpetrators(casefile: CaseFile) -> QuerySet[Perpetrator]:
    return Perpetrator.objects.filter(case=casefile.case).select_related("recorded_by_organisation")


# --- lists and items (audited) ----------------------------------------------------------------


def assessment_list(casefile: CaseFile) -> list[NeedsAssessment]:
    """Every version of the needs assessment, newest first."""
    require_section(casefile, Section.NEEDS)
    rows = list(_assessments(casefile))
    _audit_section(casefile, Section.NEEDS, items=len(rows))
    return rows


def assessment_detail(casefile: CaseFile, public_id: UUID | str) -> NeedsAssessment:
    require_section(casefile, Section.NEEDS)
    row = _assessments(casefile).filter(public_id=item_key(public_id)).first()
    if row is None:
        raise NotFound()
    _audit_section(casefile, Section.NEEDS, item=str(row.public_id))
    return row


def care_plan_list(casefile: CaseFile) -> list[CarePlanItem]:
    require_section(casefile, Section.CARE_PLAN)
    rows = list(_care_plan(casefile))
    _audit_section(casefile, Section.CARE_PLAN, items=len(rows))
    return rows


def care_plan_detail(casefile: CaseFile, public_id: UUID | str) -> CarePlanItem:
    require_section(casefile, Section.CARE_PLAN)
    row = _care_plan(casefile).filter(public_id=item_key(public_id)).first()
    if row is None:
        raise NotFound()
    _audit_section(casefile, Section.CARE_PLAN, item=str(row.public_id))
    return row


def note_page(casefile: CaseFile, page_number: int | str = 1) -> Page[CaseNote]:
    """Notes, newest first, one page at a time."""
    require_section(casefile, Section.NOTES)
    paginator = Paginator(_notes(casefile), NOTES_PER_PAGE)
    page = paginator.get_page(page_number)
    rows = list(page.object_list)
    _audit_section(casefile, Section.NOTES, items=len(rows), page=page.number)
    return Page(rows, page.number, paginator)  # type: ignore[arg-type]


def note_detail(casefile: CaseFile, public_id: UUID | str) -> CaseNote:
    require_section(casefile, Section.NOTES)
    row = _notes(casefile).filter(public_id=item_key(public_id)).first()
    if row is None:
        raise NotFound()
    _audit_section(casefile, Section.NOTES, item=str(row.public_id))
    return row


def document_list(casefile: CaseFile) -> list[CaseDocument]:
    """The documents of the types the actor may see (the others are left out entirely)."""
    require_section(casefile, Section.DOCUMENTS)
    rows = list(_documents(casefile))
    groups = {document_group(d.document_type) for d in rows}
    # Even an empty list tells what there is not: audited as a read of every group shown.
    if not groups:
        groups = {document_group(t) for t in casefile.document_types()}
    _audit_section(casefile, Section.DOCUMENTS, groups, items=len(rows))
    return rows


def document_detail(casefile: CaseFile, public_id: UUID | str) -> CaseDocument:
    """One document's description (not its content); NotFound for a type the actor can't see."""
    require_section(casefile, Section.DOCUMENTS)
    row = _documents(casefile).filter(public_id=item_key(public_id)).first()
    if row is None:
        raise NotFound()
    _audit_section(
        casefile, Section.DOCUMENTS, {document_group(row.document_type)}, item=str(row.public_id)
    )
    return row


def document_content(casefile: CaseFile, public_id: UUID | str) -> tuple[CaseDocument, bytes]:
    """A document and its decrypted bytes, for a download; audited as case_document.read."""
    from . import documents

    require_section(casefile, Section.DOCUMENTS)
    row = _documents(casefile).filter(public_id=item_key(public_id)).first()
    if row is None:
        raise NotFound()
    data = documents.load(row.storage_name)
    audit_read(
        actor=casefile.actor,
        object_type="case_document",
        object_id=str(row.public_id),
        field_groups=[document_group(row.document_type)],
        details={"case": str(casefile.public_id), "download": True},
        subject_organisation=casefile.case.owner_organisation,
    )
    return row, data


def event_list(casefile: CaseFile) -> list[TraffickingEvent]:
    require_section(casefile, Section.EVENTS)
    rows = list(_events(casefile))
    _audit_section(casefile, Section.EVENTS, items=len(rows))
    return rows


def event_detail(casefile: CaseFile, public_id: UUID | str) -> TraffickingEvent:
    require_section(casefile, Section.EVENTS)
    row = _events(casefile).filter(public_id=item_key(public_id)).first()
    if row is None:
        raise NotFound()
    _audit_section(casefile, Section.EVENTS, item=str(row.public_id))
    return row


def perpetrator_list(casefile: CaseFile) -> list[Perpetrator]:
    require_section(casefile, Section.PERPETRATORS)
    rows = list(_perpetrators(casefile))
    _audit_section(casefile, Section.PERPETRATORS, items=len(rows))
    return rows


def perpetrator_detail(casefile: CaseFile, public_id: UUID | str) -> Perpetrator:
    require_section(casefile, Section.PERPETRATORS)
    row = _perpetrators(casefile).filter(public_id=item_key(public_id)).first()
    if row is None:
        raise NotFound()
    _audit_section(casefile, Section.PERPETRATORS, item=str(row.public_id))
    return row


# --- summaries for the case page --------------------------------------------------------------


@dataclass(frozen=True)
class HealthSummary:
    latest: NeedsAssessment | None
    pressing: list[Any]  # the latest assessment's needs rated significant or severe
    items: int
    by_status: dict[str, int]
    upcoming: list[CarePlanItem]


def health_summary(casefile: CaseFile) -> HealthSummary:
    """The latest needs and the plan's state, in four queries; audited as a health read."""
    latest = _assessments(casefile).first()
    # Kept on the case object the page loaded: the directory's section matches on it next.
    casefile.case.__dict__[LATEST_ASSESSMENT_KEY] = latest
    pressing: list[Any] = []
    if latest is not None:
        order = {Urgency.IMMEDIATE: 0, Urgency.DAYS: 1, Urgency.WEEKS: 2}
        pressing = sorted(
            (n for n in latest.needs.all() if n.level in (NeedLevel.MEDIUM, NeedLevel.HIGH)),
            key=lambda n: (order.get(n.urgency, 3), n.level != NeedLevel.HIGH),
        )
    items = list(
        CarePlanItem.objects.filter(case=casefile.case)
        .select_related("responsible_organisation")
        .only(
            "public_id",
            "support_type",
            "status",
            "planned_start",
            "planned_end",
            "responsible_other",
            "responsible_organisation__name",
            "created_at",
        )
    )
    by_status = Counter(i.status for i in items)
    open_items = [
        i for i in items if i.status in (CarePlanStatus.PLANNED, CarePlanStatus.IN_PROGRESS)
    ]
    _audit_section(casefile, Section.NEEDS, summary=True)
    return HealthSummary(
        latest=latest,
        pressing=pressing,
        items=len(items),
        by_status=dict(by_status),
        upcoming=open_items[:SUMMARY_ITEMS],
    )


@dataclass(frozen=True)
class NarrativeSummary:
    notes: int
    last_note_at: Any
    events: list[TraffickingEvent]


def narrative_summary(casefile: CaseFile) -> NarrativeSummary:
    """How many notes and when the last was written, and the route; audited."""
    notes = CaseNote.objects.filter(case=casefile.case).aggregate(
        count=Count("id"), last=Max("created_at")
    )
    events = list(
        TraffickingEvent.objects.filter(case=casefile.case).only(
            "public_id",
            "kind",
            "country",
            "date_from",
            "date_to",
            "date_precision",
            "date_approximate",
        )
    )
    _audit_section(casefile, Section.NOTES, summary=True)
    return NarrativeSummary(notes=notes["count"], last_note_at=notes["last"], events=events)


def perpetrator_summary(casefile: CaseFile) -> list[Perpetrator]:
    rows = list(
        Perpetrator.objects.filter(case=casefile.case).only(
            "public_id", "roles", "relationship", "gender", "nationality", "created_at"
        )
    )
    _audit_section(casefile, Section.PERPETRATORS, summary=True)
    return rows


def document_summary(casefile: CaseFile) -> dict[str, int]:
    """How many documents of each type the actor may see (no names or content); audited."""
    counts = Counter(_documents(casefile).values_list("document_type", flat=True))
    groups = {document_group(t) for t in casefile.document_types()}
    _audit_section(casefile, Section.DOCUMENTS, groups, summary=True)
    return dict(counts)
