"""The case-file API: the same access layer, services and selectors as the pages.

A case the caller may not see is 404 (never a hint it exists). A section whose field group is
withheld from the caller is absent from the overview and 403 (`group_withheld`) when asked for
directly. Errors have the one envelope of config/api.py.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from palermo.accounts.actors import Actor

from . import documents, selectors, services
from .access import CaseFile, casefile_for_actor
from .field_groups import Section
from .schemas import (
    AssessmentIn,
    AssessmentOut,
    CarePlanItemIn,
    CarePlanItemOut,
    CaseFileOut,
    DocumentOut,
    ErrorOut,
    EventIn,
    EventOut,
    NoteIn,
    NoteOut,
    NotePage,
    PerpetratorIn,
    PerpetratorOut,
    ProgressIn,
)
from .validation import MAX_DESCRIPTION

router = Router(tags=["casefile"])
_NO_FILE = File(None)  # an absent file is refused by the service, with its translated message

_READ: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
_WRITE: dict[int, type[ErrorOut]] = {**_READ, 413: ErrorOut}


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100000)


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


def _view(request: HttpRequest, case_id: str) -> CaseFile:
    return casefile_for_actor(_actor(request), case_id, "view")


def _edit(request: HttpRequest, case_id: str) -> CaseFile:
    return casefile_for_actor(_actor(request), case_id, "edit")


def _note_page(casefile: CaseFile, page_number: int) -> NotePage:
    page = selectors.note_page(casefile, page_number)
    return NotePage(
        count=page.paginator.count,
        page=page.number,
        pages=page.paginator.num_pages,
        results=[NoteOut.of(n) for n in page.object_list],
    )


@router.get(
    "/{case_id}",
    response={200: CaseFileOut, **_READ},
    exclude_unset=True,
    summary="A case file: every section the caller may see",
)
def get_casefile(request: HttpRequest, case_id: str) -> CaseFileOut:
    casefile = _view(request, case_id)
    data: dict[str, Any] = {
        "case": str(casefile.public_id),
        "reference": casefile.reference,
        "visible_groups": sorted(casefile.groups),
        "sections": [str(s) for s in Section if casefile.sees(s)],
        "writable": [str(s) for s in Section if casefile.may_write(s)],
    }
    if casefile.sees(Section.NEEDS):
        versions = selectors.assessment_list(casefile)
        data["needs"] = AssessmentOut.of(versions[0]) if versions else None
    if casefile.sees(Section.CARE_PLAN):
        data["care_plan"] = [CarePlanItemOut.of(i) for i in selectors.care_plan_list(casefile)]
    if casefile.sees(Section.NOTES):
        data["notes"] = _note_page(casefile, 1)
    if casefile.sees(Section.EVENTS):
        data["events"] = [EventOut.of(e) for e in selectors.event_list(casefile)]
    if casefile.sees(Section.PERPETRATORS):
        data["perpetrators"] = [PerpetratorOut.of(p) for p in selectors.perpetrator_list(casefile)]
    if casefile.sees(Section.DOCUMENTS):
        data["documents"] = [
            DocumentOut.of(d, casefile.public_id) for d in selectors.document_list(casefile)
        ]
    return CaseFileOut(**data)


# --- needs assessment -------------------------------------------------------------------------


@router.get(
    "/{case_id}/needs",
    response={200: list[AssessmentOut], **_READ},
    summary="Every version of the needs assessment, newest first",
)
def list_assessments(request: HttpRequest, case_id: str) -> list[AssessmentOut]:
    return [AssessmentOut.of(a) for a in selectors.assessment_list(_view(request, case_id))]


@router.post(
    "/{case_id}/needs",
    response={201: AssessmentOut, **_WRITE},
    summary="Record a new version of the needs assessment",
)
def create_assessment(request: HttpRequest, case_id: str, payload: AssessmentIn) -> Status:
    casefile = _edit(request, case_id)
    row = services.assessment_create(
        actor=_actor(request), casefile=casefile, data=payload.submitted()
    )
    return Status(201, AssessmentOut.of(selectors.assessment_detail(casefile, row.public_id)))


@router.get(
    "/{case_id}/needs/{item_id}",
    response={200: AssessmentOut, **_READ},
    summary="One version of the needs assessment",
)
def get_assessment(request: HttpRequest, case_id: str, item_id: str) -> AssessmentOut:
    return AssessmentOut.of(selectors.assessment_detail(_view(request, case_id), item_id))


# --- care plan --------------------------------------------------------------------------------


@router.get(
    "/{case_id}/care-plan",
    response={200: list[CarePlanItemOut], **_READ},
    summary="The care plan's supports, with their progress",
)
def list_care_plan(request: HttpRequest, case_id: str) -> list[CarePlanItemOut]:
    return [CarePlanItemOut.of(i) for i in selectors.care_plan_list(_view(request, case_id))]


@router.post(
    "/{case_id}/care-plan",
    response={201: CarePlanItemOut, **_WRITE},
    summary="Add a support to the care plan",
)
def create_care_plan_item(request: HttpRequest, case_id: str, payload: CarePlanItemIn) -> Status:
    casefile = _edit(request, case_id)
    item = services.care_plan_item_create(
        actor=_actor(request), casefile=casefile, data=payload.submitted()
    )
    return Status(201, CarePlanItemOut.of(selectors.care_plan_detail(casefile, item.public_id)))


@router.get(
    "/{case_id}/care-plan/{item_id}",
    response={200: CarePlanItemOut, **_READ},
    summary="One support of the care plan",
)
def get_care_plan_item(request: HttpRequest, case_id: str, item_id: str) -> CarePlanItemOut:
    return CarePlanItemOut.of(selectors.care_plan_detail(_view(request, case_id), item_id))


@router.patch(
    "/{case_id}/care-plan/{item_id}",
    response={200: CarePlanItemOut, **_WRITE},
    summary="Change some fields of a support (the owner organisation only)",
)
def update_care_plan_item(
    request: HttpRequest, case_id: str, item_id: str, payload: CarePlanItemIn
) -> CarePlanItemOut:
    casefile = _edit(request, case_id)
    item = services.care_plan_item_for(casefile, item_id)
    services.care_plan_item_update(
        actor=_actor(request), casefile=casefile, item=item, data=payload.submitted()
    )
    return CarePlanItemOut.of(selectors.care_plan_detail(casefile, item.public_id))


@router.post(
    "/{case_id}/care-plan/{item_id}/progress",
    response={201: CarePlanItemOut, **_WRITE},
    summary="Record progress on a support",
)
def add_progress(request: HttpRequest, case_id: str, item_id: str, payload: ProgressIn) -> Status:
    casefile = _edit(request, case_id)
    item = services.care_plan_item_for(casefile, item_id)
    services.care_plan_progress_add(
        actor=_actor(request), casefile=casefile, item=item, data=payload.submitted()
    )
    return Status(201, CarePlanItemOut.of(selectors.care_plan_detail(casefile, item.public_id)))


# --- notes ------------------------------------------------------------------------------------


@router.get(
    "/{case_id}/notes",
    response={200: NotePage, **_READ},
    summary="Notes, newest first, a page at a time",
)
def list_notes(request: HttpRequest, case_id: str, query: Query[PageQuery]) -> NotePage:
    return _note_page(_view(request, case_id), query.page)


@router.post(
    "/{case_id}/notes",
    response={201: NoteOut, **_WRITE},
    summary="Add a note, or a correction of an earlier note (notes are never edited)",
)
def create_note(request: HttpRequest, case_id: str, payload: NoteIn) -> Status:
    casefile = _edit(request, case_id)
    note = services.note_create(actor=_actor(request), casefile=casefile, data=payload.submitted())
    return Status(201, NoteOut.of(selectors.note_detail(casefile, note.public_id)))


@router.get("/{case_id}/notes/{item_id}", response={200: NoteOut, **_READ}, summary="One note")
def get_note(request: HttpRequest, case_id: str, item_id: str) -> NoteOut:
    return NoteOut.of(selectors.note_detail(_view(request, case_id), item_id))


# --- documents --------------------------------------------------------------------------------


@router.get(
    "/{case_id}/documents",
    response={200: list[DocumentOut], **_READ},
    summary="Documents of the types the caller may see",
)
def list_documents(request: HttpRequest, case_id: str) -> list[DocumentOut]:
    casefile = _view(request, case_id)
    return [DocumentOut.of(d, casefile.public_id) for d in selectors.document_list(casefile)]


@router.post(
    "/{case_id}/documents",
    response={201: DocumentOut, **_WRITE},
    summary="Upload a document (multipart: document_type, description, file)",
    description="PDF, JPEG, PNG or plain text, checked on the content; at most "
    "PALERMO_CASEFILE_MAX_DOCUMENT_BYTES (10 MB by default). Stored encrypted.",
)
def upload_document(
    request: HttpRequest,
    case_id: str,
    document_type: str = Form("", max_length=20),
    description: str = Form("", max_length=MAX_DESCRIPTION),
    file: UploadedFile | None = _NO_FILE,
) -> Status:
    casefile = _edit(request, case_id)
    document = services.document_add(
        actor=_actor(request),
        casefile=casefile,
        data={"document_type": document_type, "description": description},
        upload=file,
    )
    row = selectors.document_detail(casefile, document.public_id)
    return Status(201, DocumentOut.of(row, casefile.public_id))


@router.get(
    "/{case_id}/documents/{item_id}",
    response={200: DocumentOut, **_READ},
    summary="One document's description",
)
def get_document(request: HttpRequest, case_id: str, item_id: str) -> DocumentOut:
    casefile = _view(request, case_id)
    return DocumentOut.of(selectors.document_detail(casefile, item_id), casefile.public_id)


@router.get(
    "/{case_id}/documents/{item_id}/content",
    response={200: None, **_READ},
    url_name="casefile_document_content",
    summary="Download a document (decrypted; the download is audited)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as an attachment named after the document.",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def download_document(request: HttpRequest, case_id: str, item_id: str) -> HttpResponse:
    casefile = _view(request, case_id)
    row, data = selectors.document_content(casefile, item_id)
    return document_response(row.public_id.hex[:8].upper(), row.content_type, data)


def document_response(reference: str, content_type: str, data: bytes) -> HttpResponse:
    """A download that no browser renders in place or second-guesses."""
    response = HttpResponse(data, content_type=content_type)
    name = documents.download_name(f"D-{reference}", content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- trafficking events -----------------------------------------------------------------------


@router.get(
    "/{case_id}/events",
    response={200: list[EventOut], **_READ},
    summary="The trafficking history (recruitment, transit, exploitation)",
)
def list_events(request: HttpRequest, case_id: str) -> list[EventOut]:
    return [EventOut.of(e) for e in selectors.event_list(_view(request, case_id))]


@router.post(
    "/{case_id}/events",
    response={201: EventOut, **_WRITE},
    summary="Add a step of the trafficking history",
)
def create_event(request: HttpRequest, case_id: str, payload: EventIn) -> Status:
    casefile = _edit(request, case_id)
    event = services.event_create(
        actor=_actor(request), casefile=casefile, data=payload.submitted()
    )
    return Status(201, EventOut.of(selectors.event_detail(casefile, event.public_id)))


@router.get("/{case_id}/events/{item_id}", response={200: EventOut, **_READ}, summary="One event")
def get_event(request: HttpRequest, case_id: str, item_id: str) -> EventOut:
    return EventOut.of(selectors.event_detail(_view(request, case_id), item_id))


# --- perpetrators -----------------------------------------------------------------------------


@router.get(
    "/{case_id}/perpetrators",
    response={200: list[PerpetratorOut], **_READ},
    summary="Perpetrator context (HTCDS per_)",
)
def list_perpetrators(request: HttpRequest, case_id: str) -> list[PerpetratorOut]:
    return [PerpetratorOut.of(p) for p in selectors.perpetrator_list(_view(request, case_id))]


@router.post(
    "/{case_id}/perpetrators",
    response={201: PerpetratorOut, **_WRITE},
    summary="Record someone involved in the trafficking",
)
def create_perpetrator(request: HttpRequest, case_id: str, payload: PerpetratorIn) -> Status:
    casefile = _edit(request, case_id)
    row = services.perpetrator_create(
        actor=_actor(request), casefile=casefile, data=payload.submitted()
    )
    return Status(201, PerpetratorOut.of(selectors.perpetrator_detail(casefile, row.public_id)))


@router.get(
    "/{case_id}/perpetrators/{item_id}",
    response={200: PerpetratorOut, **_READ},
    summary="One perpetrator",
)
def get_perpetrator(request: HttpRequest, case_id: str, item_id: str) -> PerpetratorOut:
    return PerpetratorOut.of(selectors.perpetrator_detail(_view(request, case_id), item_id))
