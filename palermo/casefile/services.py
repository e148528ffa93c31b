"""Every write to a case file. Each is atomic and writes its audit event alongside.

Callers get the `CaseFile` through `access.casefile_for_actor(actor, case_id, "edit")`; each
service checks again that the actor may write the section (`access.require_write`), so no
caller can skip it. Audit events name the item and the case, never their content.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation
from palermo.audit.services import audit_record
from palermo.errors import ApplicationError, NotFound, invalid
from palermo.referrals.models import LIVE_STATES, Referral, ReferralState

from . import documents
from .access import CaseFile, item_key, require_section, require_write, write_refused
from .field_groups import SECTION_GROUPS, Section, document_group
from .models import (
    CarePlanItem,
    CarePlanProgress,
    CaseDocument,
    CaseNote,
    NeedRating,
    NeedsAssessment,
    Perpetrator,
    TraffickingEvent,
)
from .validation import (
    check_care_plan_dates,
    clean_assessment,
    clean_care_plan_item,
    clean_document_fields,
    clean_event,
    clean_note,
    clean_perpetrator,
    clean_progress,
)

# Referrals whose receiver may be named responsible for a support: live ones and done ones.
RESPONSIBLE_STATES = (*LIVE_STATES, ReferralState.DONE)


def _same_actor(actor: Actor, casefile: CaseFile) -> Organisation:
    """The actor's organisation, when the case file was built for this actor."""
    if casefile.actor != actor or actor.organisation is None:
        raise write_refused()
    return actor.organisation


def _audit(
    actor: Actor,
    casefile: CaseFile,
    action: str,
    object_type: str,
    object_id: Any,
    group: str,
    **details: Any,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        field_groups=[group],
        details={"case": str(casefile.public_id), **details},
        subject_organisation=casefile.case.owner_organisation,
    )


def responsible_organisations(casefile: CaseFile) -> list[Organisation]:
    """Who the actor may name responsible for a support.

    The owner names itself or an organisation the case is (or was successfully) referred to;
    a receiver names only itself (it records the help it gives).
    """
    actor_org = casefile.actor.organisation
    if not casefile.owner:
        return [actor_org] if actor_org is not None else []
    referred = Referral.objects.filter(
        case=casefile.case, state__in=RESPONSIBLE_STATES, receiving_organisation__isnull=False
    ).values("receiving_organisation_id")
    return list(
        Organisation.objects.filter(
            Q(pk=casefile.case.owner_organisation_id) | Q(pk__in=referred)
        ).order_by("name")
    )


# --- needs assessment -------------------------------------------------------------------------


@transaction.atomic
def assessment_create(*, actor: Actor, casefile: CaseFile, data: dict[str, Any]) -> NeedsAssessment:
    """A new version of the needs assessment (the earlier ones stay); audited."""
    organisation = _same_actor(actor, casefile)
    require_write(casefile, Section.NEEDS)
    cleaned = clean_assessment(data)
    # Lock the case row so two assessors saving at once get consecutive versions.
    case = type(casefile.case).objects.select_for_update().get(pk=casefile.case.pk)
    latest = NeedsAssessment.objects.filter(case=case).aggregate(v=Max("version"))["v"] or 0
    assessment = NeedsAssessment.objects.create(
        case=case,
        version=latest + 1,
        assessed_on=cleaned["assessed_on"],
        assessor=actor.user,
        assessor_organisation=organisation,
        summary=cleaned["summary"],
        created_at=timezone.now(),
    )
    NeedRating.objects.bulk_create(
        NeedRating(assessment=assessment, **need) for need in cleaned["needs"]
    )
    _audit(
        actor,
        casefile,
        "needs_assessment.create",
        "needs_assessment",
        assessment.public_id,
        SECTION_GROUPS[Section.NEEDS],
        version=assessment.version,
        areas=len(cleaned["needs"]),
    )
    return assessment


# --- care plan --------------------------------------------------------------------------------


def _organisation_choices(casefile: CaseFile) -> dict[str, int]:
    return {str(o.public_id): o.pk for o in responsible_organisations(casefile)}


@transaction.atomic
def care_plan_item_create(
    *, actor: Actor, casefile: CaseFile, data: dict[str, Any]
) -> CarePlanItem:
    """A support in the plan. A receiver may add only supports its own organisation gives."""
    organisation = _same_actor(actor, casefile)
    require_write(casefile, Section.CARE_PLAN)
    values = dict(data)
    if not casefile.owner and actor.organisation is not None:
        values["responsible_organisation"] = str(actor.organisation.public_id)
        values.pop("responsible_other", None)
    cleaned = clean_care_plan_item(values, organisations=_organisation_choices(casefile))
    check_care_plan_dates(cleaned)
    now = timezone.now()
    item = CarePlanItem.objects.create(
        case=casefile.case,
        created_by=actor.user,
        created_by_organisation=organisation,
        created_at=now,
        updated_at=now,
        **cleaned,
    )
    _audit(
        actor,
        casefile,
        "care_plan_item.create",
        "care_plan_item",
        item.public_id,
        SECTION_GROUPS[Section.CARE_PLAN],
        support_type=item.support_type,
    )
    return item


def care_plan_item_for(casefile: CaseFile, public_id: Any) -> CarePlanItem:
    """A support of this case, for a write (nothing shown, nothing read audited)."""
    require_section(casefile, Section.CARE_PLAN)
    item = (
        CarePlanItem.objects.select_related("responsible_organisation")
        .filter(case=casefile.case, public_id=item_key(public_id))
        .first()
    )
    if item is None:
        raise NotFound()
    return item


def _may_change_item(casefile: CaseFile, item: CarePlanItem) -> bool:
    return casefile.owner or (
        casefile.actor.organisation_id is not None
        and item.responsible_organisation_id == casefile.actor.organisation_id
    )


@transaction.atomic
def care_plan_item_update(
    *, actor: Actor, casefile: CaseFile, item: CarePlanItem, data: dict[str, Any]
) -> CarePlanItem:
    """Change some fields of a support (the owner only); the fields changed are audited."""
    _same_actor(actor, casefile)
    require_write(casefile, Section.CARE_PLAN)
    if not casefile.owner or item.case_id != casefile.case.pk:
        raise write_refused()
    cleaned = clean_care_plan_item(
        data, organisations=_organisation_choices(casefile), partial=True
    )
    merged = {
        name: cleaned.get(name, getattr(item, name))
        for name in ("planned_start", "planned_end", "actual_start", "actual_end", "status")
    }
    check_care_plan_dates(merged)
    changed = sorted(name for name, value in cleaned.items() if getattr(item, name) != value)
    if not changed:
        return item
    for name in changed:
        setattr(item, name, cleaned[name])
    item.updated_at = timezone.now()
    item.save()
    _audit(
        actor,
        casefile,
        "care_plan_item.update",
        "care_plan_item",
        item.public_id,
        SECTION_GROUPS[Section.CARE_PLAN],
        fields=changed,
    )
    return item


@transaction.atomic
def care_plan_progress_add(
    *, actor: Actor, casefile: CaseFile, item: CarePlanItem, data: dict[str, Any]
) -> CarePlanProgress:
    """Record a step of a support: its status, when it began or ended, a note.

    The owner records progress on any support; a receiver on the supports its own
    organisation is responsible for.
    """
    organisation = _same_actor(actor, casefile)
    require_write(casefile, Section.CARE_PLAN)
    if item.case_id != casefile.case.pk or not _may_change_item(casefile, item):
        raise write_refused()
    cleaned = clean_progress(data)
    merged = {
        "planned_start": item.planned_start,
        "planned_end": item.planned_end,
        "actual_start": cleaned["actual_start"] or item.actual_start,
        "actual_end": cleaned["actual_end"] or item.actual_end,
        "status": cleaned["status"],
    }
    check_care_plan_dates(merged)
    if (
        cleaned["status"] == item.status
        and not cleaned["note"]
        and merged["actual_start"] == item.actual_start
        and merged["actual_end"] == item.actual_end
    ):
        raise invalid({"note": [_("Nothing changed: give a new status, a date or a note.")]})
    now = timezone.now()
    progress = CarePlanProgress.objects.create(
        item=item,
        status=cleaned["status"],
        actual_start=cleaned["actual_start"],
        actual_end=cleaned["actual_end"],
        note=cleaned["note"],
        author=actor.user,
        author_organisation=organisation,
        recorded_at=now,
    )
    item.status = merged["status"]
    item.actual_start = merged["actual_start"]
    item.actual_end = merged["actual_end"]
    item.updated_at = now
    item.save(update_fields=["status", "actual_start", "actual_end", "updated_at"])
    _audit(
        actor,
        casefile,
        "care_plan_progress.create",
        "care_plan_item",
        item.public_id,
        SECTION_GROUPS[Section.CARE_PLAN],
        progress=str(progress.public_id),
        status=progress.status,
    )
    return progress


# --- notes ------------------------------------------------------------------------------------


@transaction.atomic
def note_create(*, actor: Actor, casefile: CaseFile, data: dict[str, Any]) -> CaseNote:
    """Add a note; with `corrects`, a correction of an earlier note of the actor's own
    organisation (notes are never edited: both stay, the earlier one marked corrected)."""
    organisation = _same_actor(actor, casefile)
    require_write(casefile, Section.NOTES)
    cleaned = clean_note(data)
    corrected = None
    if cleaned["corrects"]:
        try:
            key = item_key(cleaned["corrects"])
        except NotFound:
            key = None
        corrected = (
            CaseNote.objects.filter(case=casefile.case, public_id=key).first() if key else None
        )
        if corrected is None:
            raise invalid({"corrects": [_("There is no such note in this case.")]})
        if corrected.author_organisation_id != actor.organisation_id:
            raise invalid(
                {"corrects": [_("Only the organisation that wrote a note may correct it.")]}
            )
    note = CaseNote.objects.create(
        case=casefile.case,
        text=cleaned["text"],
        corrects=corrected,
        author=actor.user,
        author_organisation=organisation,
        created_at=timezone.now(),
    )
    details: dict[str, Any] = {}
    if corrected is not None:
        details["corrects"] = str(corrected.public_id)
    _audit(
        actor,
        casefile,
        "case_note.correct" if corrected is not None else "case_note.create",
        "case_note",
        note.public_id,
        SECTION_GROUPS[Section.NOTES],
        **details,
    )
    return note


# --- documents --------------------------------------------------------------------------------


@transaction.atomic
def document_add(
    *, actor: Actor, casefile: CaseFile, data: dict[str, Any], upload: UploadedFile | None
) -> CaseDocument:
    """Check, encrypt and store a document; its type must be one whose group the actor sees."""
    organisation = _same_actor(actor, casefile)
    require_write(casefile, Section.DOCUMENTS)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    try:
        cleaned = clean_document_fields(data, allowed_types=casefile.document_types())
    except ApplicationError as exc:
        errors.update({k: [str(m) for m in v] for k, v in exc.fields.items()})
    checked = None
    try:
        checked = documents.check_upload(upload)
    except documents.RefusedDocument as refused:
        errors["file"] = [refused.message]
    if errors or checked is None:
        raise invalid(errors)
    # The file is written before its row; if writing the row fails, the file goes too.
    storage_name = documents.store(checked.data)
    try:
        document = CaseDocument.objects.create(
            case=casefile.case,
            document_type=cleaned["document_type"],
            storage_name=storage_name,
            content_type=checked.content_type,
            size=len(checked.data),
            original_name=checked.name or None,
            description=cleaned["description"],
            uploaded_by=actor.user,
            uploaded_by_organisation=organisation,
            uploaded_at=timezone.now(),
        )
        _audit(
            actor,
            casefile,
            "case_document.create",
            "case_document",
            document.public_id,
            document_group(document.document_type),
            document_type=document.document_type,
            content_type=document.content_type,
            size=document.size,
        )
    except Exception:
        documents.discard(storage_name)
        raise
    return document


# --- trafficking events -----------------------------------------------------------------------


@transaction.atomic
def event_create(*, actor: Actor, casefile: CaseFile, data: dict[str, Any]) -> TraffickingEvent:
    """A step of the trafficking history (the owner only)."""
    organisation = _same_actor(actor, casefile)
    require_write(casefile, Section.EVENTS)
    cleaned = clean_event(data)
    event = TraffickingEvent.objects.create(
        case=casefile.case,
        recorded_by=actor.user,
        recorded_by_organisation=organisation,
        created_at=timezone.now(),
        **cleaned,
    )
    _audit(
        actor,
        casefile,
        "trafficking_event.create",
        "trafficking_event",
        event.public_id,
        SECTION_GROUPS[Section.EVENTS],
        kind=event.kind,
    )
    return event


# --- perpetrators -----------------------------------------------------------------------------


@transaction.atomic
def perpetrator_create(*, actor: Actor, casefile: CaseFile, data: dict[str, Any]) -> Perpetrator:
    """Someone involved in the trafficking (the owner only)."""
    organisation = _same_actor(actor, casefile)
    require_write(casefile, Section.PERPETRATORS)
    cleaned = clean_perpetrator(data)
    perpetrator = Perpetrator.objects.create(
        case=casefile.case,
        recorded_by=actor.user,
        recorded_by_organisation=organisation,
        created_at=timezone.now(),
        **cleaned,
    )
    _audit(
        actor,
        casefile,
        "perpetrator.create",
        "perpetrator",
        perpetrator.public_id,
        SECTION_GROUPS[Section.PERPETRATORS],
    )
    return perpetrator
