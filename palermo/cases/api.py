"""The cases API: the same services and selectors as the pages.

A case the caller may not see is 404 (never a hint that it exists); an action its role may not
take on a case it sees is 403. Lists are paged by cursor: pass `next_cursor` back as `cursor`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm

from . import selectors, services
from .access import require_permission
from .lifecycle import lifecycle_for, lifecycle_in_force
from .models import AnonymousNotification, Case
from .schemas import (
    AnonymousNotificationIn,
    AnonymousNotificationOut,
    AssignIn,
    CaseDetailOut,
    CaseOpenIn,
    CaseOut,
    CasePageOut,
    CloseIn,
    DeadlineOut,
    DecisionIn,
    DecisionOut,
    ErrorOut,
    LifecycleOut,
    OrganisationRef,
    OverdueOut,
    PersonRef,
)

router = Router(tags=["cases"])

_READ_ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
}
_WRITE_ERRORS: dict[int, type[ErrorOut]] = {**_READ_ERRORS, 409: ErrorOut, 413: ErrorOut}


class CaseQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    status: str = Field("open", max_length=20, description="open, all, or an HTCDS cas_Status.")
    stage: str = Field("", max_length=40, description="A stage key of the lifecycle in force.")
    mine: bool = Field(False, description="Only cases the caller is the case worker of.")
    overdue: bool = Field(False, description="Only open cases with a deadline past its day.")
    cursor: str = Field("", max_length=64, description="`next_cursor` of the previous page.")
    per_page: int = Field(selectors.PER_PAGE, ge=1, le=selectors.MAX_PER_PAGE)


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


def _organisation(org: Any) -> OrganisationRef | None:
    return None if org is None else OrganisationRef(id=str(org.public_id), name=org.name)


def _case_fields(case: Case, name: str | None) -> dict[str, Any]:
    person = PersonRef(id=str(case.person.public_id), reference=case.person.reference)
    if name is not None:
        person = PersonRef(id=person.id, reference=person.reference, name=name)
    return {
        "id": str(case.public_id),
        "reference": case.reference,
        "person": person,
        "owner_organisation": _organisation(case.owner_organisation),
        "competent_organisation": _organisation(case.competent_organisation),
        "case_worker": case.case_worker.username if case.case_worker else None,
        "country": case.country,
        "stage": case.stage,
        "stage_label": lifecycle_for(case.country).stage_label(case.stage),
        "status": case.status,
        "closure_reason": case.closure_reason,
        "is_child": case.is_child,
        "next_deadline": case.next_deadline,
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
    }


def _detail_out(actor: Actor, public_id: Any) -> CaseDetailOut:
    detail = selectors.case_detail(actor=actor, public_id=public_id)
    case = detail.case
    name = detail.person.display_name if detail.person.can_see("identity") else None
    data = _case_fields(case, name)
    decisions = []
    for entry in selectors.timeline(detail):
        decision = entry.decision
        if decision is None:
            continue
        stage = detail.lifecycle.stage(decision.stage)
        item: dict[str, Any] = {
            "id": str(decision.public_id),
            "stage": decision.stage,
            "decision": stage.decision.key if stage and stage.decision else decision.stage,
            "label": entry.label,
            "outcome": decision.outcome,
            "decided_by": decision.decided_by.username if decision.decided_by else None,
            "organisation": _organisation(decision.decided_by_organisation),
            "decided_at": decision.decided_at,
        }
        if detail.narrative_visible:
            item["reason"] = decision.reason
        decisions.append(DecisionOut(**item))
    data["deadlines"] = [
        DeadlineOut(
            stage=d.deadline.stage,
            kind=d.deadline.kind,
            label=d.label,
            due_on=d.deadline.due_on,
            met_at=d.deadline.met_at,
            state=d.state,
        )
        for d in detail.deadlines
    ]
    data["decisions"] = decisions
    if detail.narrative_visible:
        data["summary"] = case.summary
    return CaseDetailOut(**data)


@router.get(
    "",
    response={200: CasePageOut, **_READ_ERRORS},
    exclude_unset=True,
    summary="List cases",
)
def list_cases(request: HttpRequest, query: Query[CaseQuery]) -> CasePageOut:
    actor = _actor(request)
    filters = selectors.clean_filters(
        {"status": query.status, "stage": query.stage, "mine": query.mine, "overdue": query.overdue}
    )
    page = selectors.case_list(
        actor=actor, filters=filters, cursor=query.cursor, per_page=query.per_page
    )
    results = [
        CaseOut(**_case_fields(row.case, row.person_name if row.name_shown else None))
        for row in page.rows
    ]
    return CasePageOut(
        count=page.count,
        count_capped=page.count_capped,
        next_cursor=page.next_cursor or None,
        results=results,
    )


@router.post(
    "",
    response={201: CaseDetailOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Open a case (refer a person into the mechanism)",
)
def open_case(request: HttpRequest, payload: CaseOpenIn) -> Status:
    actor = _actor(request)
    case = services.case_open(
        actor=actor,
        person_id=payload.person or "",
        summary=payload.summary or "",
        screening_id=payload.screening or "",
        contact_id=payload.contact or "",
        situation_id=payload.situation or "",
        competent_organisation_id=payload.competent_organisation or "",
    )
    return Status(201, _detail_out(actor, case.public_id))


@router.get(
    "/lifecycle",
    response={200: LifecycleOut, 401: ErrorOut, 403: ErrorOut},
    summary="The lifecycle configuration in force",
)
def lifecycle(request: HttpRequest) -> LifecycleOut:
    require_permission(_actor(request), Perm.CASE_VIEW)
    return LifecycleOut(**lifecycle_in_force().describe())


@router.get(
    "/overdue",
    response={200: list[OverdueOut], 401: ErrorOut, 403: ErrorOut},
    summary="Overdue deadlines of the caller's organisation",
)
def overdue(request: HttpRequest) -> list[OverdueOut]:
    rows, _more = selectors.overdue_deadlines(actor=_actor(request))
    return [
        OverdueOut(
            case=str(row.deadline.case.public_id),
            reference=row.deadline.case.reference,
            stage=row.deadline.stage,
            label=row.label,
            due_on=row.deadline.due_on,
            days_overdue=row.days_overdue,
        )
        for row in rows
    ]


def _notification_out(n: AnonymousNotification) -> AnonymousNotificationOut:
    return AnonymousNotificationOut(
        id=str(n.public_id),
        gender=n.gender,
        nationality=n.nationality,
        has_contact=n.contact is not None,
        notified_at=n.notified_at,
    )


@router.get(
    "/anonymous-notifications",
    response={200: list[AnonymousNotificationOut], 401: ErrorOut, 403: ErrorOut},
    summary="The caller's organisation's anonymous notifications",
)
def list_anonymous(request: HttpRequest) -> list[AnonymousNotificationOut]:
    actor = _actor(request)
    rows = list(
        AnonymousNotification.objects.filter(
            pk__in=[n.pk for n in selectors.anonymous_notifications(actor=actor)]
        )
    )
    return [_notification_out(n) for n in sorted(rows, key=lambda n: n.notified_at, reverse=True)]


@router.post(
    "/anonymous-notifications",
    response={201: AnonymousNotificationOut, **_WRITE_ERRORS},
    summary="Notify an adult who refused to enter the mechanism, anonymously",
)
def create_anonymous(request: HttpRequest, payload: AnonymousNotificationIn) -> Status:
    notification = services.anonymous_notification_create(
        actor=_actor(request),
        gender=payload.gender,
        nationality=payload.nationality or "",
        contact=payload.contact or "",
    )
    return Status(201, _notification_out(notification))


@router.get(
    "/{public_id}",
    response={200: CaseDetailOut, **_READ_ERRORS},
    exclude_unset=True,
    summary="One case, with its deadlines and decisions",
)
def get_case(request: HttpRequest, public_id: str) -> CaseDetailOut:
    return _detail_out(_actor(request), public_id)


@router.post(
    "/{public_id}/decisions",
    response={201: CaseDetailOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Record the decision due at the case's stage",
)
def decide(request: HttpRequest, public_id: str, payload: DecisionIn) -> Status:
    actor = _actor(request)
    services.case_decide(
        actor=actor, case_id=public_id, outcome=payload.outcome, reason=payload.reason
    )
    return Status(201, _detail_out(actor, public_id))


@router.post(
    "/{public_id}/assign",
    response={200: CaseDetailOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Assign the case worker",
)
def assign(request: HttpRequest, public_id: str, payload: AssignIn) -> CaseDetailOut:
    actor = _actor(request)
    services.case_assign(actor=actor, case_id=public_id, username=payload.case_worker)
    return _detail_out(actor, public_id)


@router.post(
    "/{public_id}/advance",
    response={200: CaseDetailOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Move the case to the stage that follows (e.g. to follow-up)",
)
def advance(request: HttpRequest, public_id: str) -> CaseDetailOut:
    actor = _actor(request)
    services.case_advance(actor=actor, case_id=public_id)
    return _detail_out(actor, public_id)


@router.post(
    "/{public_id}/close",
    response={200: CaseDetailOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Close the case with an HTCDS reason",
)
def close(request: HttpRequest, public_id: str, payload: CloseIn) -> CaseDetailOut:
    actor = _actor(request)
    services.case_close(actor=actor, case_id=public_id, reason=payload.reason)
    return _detail_out(actor, public_id)


@router.post(
    "/{public_id}/reopen",
    response={200: CaseDetailOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Reopen a closed case, if the rules allow",
)
def reopen(request: HttpRequest, public_id: str) -> CaseDetailOut:
    actor = _actor(request)
    services.case_reopen(actor=actor, case_id=public_id)
    return _detail_out(actor, public_id)
