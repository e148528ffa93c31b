"""The referrals API: the same services and selectors as the pages, under /api/referrals/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from palermo.accounts.actors import Actor
from palermo.people.schemas import PersonOut

from . import selectors, services
from .models import Referral
from .schemas import (
    DocumentOut,
    ErrorOut,
    EventOut,
    ListFilter,
    ReferralDetailOut,
    ReferralIn,
    ReferralOut,
    ReferralPage,
    TransitionIn,
)

router = Router(tags=["referrals"])

_READ_ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
_WRITE_ERRORS: dict[int, type[ErrorOut]] = {
    **_READ_ERRORS,
    403: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
}


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


def _detail(actor: Actor, public_id: str) -> ReferralDetailOut:
    view = selectors.referral_detail(actor, public_id)
    referral = view.referral
    events = [
        EventOut(
            from_state=e.from_state,
            to_state=e.to_state,
            at=e.at,
            organisation=str(e.actor_organisation.public_id) if e.actor_organisation else None,
            actor=e.actor_label or (e.actor_user.username if e.actor_user else ""),
            consent_basis=e.consent_basis,
            shared_groups=[str(g) for g in e.shared_groups],
            note=e.note if view.show_details else None,
        )
        for e in view.events
    ]
    return ReferralDetailOut(
        referral=ReferralOut.of(referral),
        details=referral.details if view.show_details else None,
        response_note=referral.response_note if view.show_details else None,
        actions=view.actions,  # type: ignore[arg-type]
        events=events,
        person=PersonOut.of(view.person.as_dict()) if view.person else None,
        case_summary=view.summary,
        withheld_groups=sorted(view.withheld),
    )


@router.get(
    "", response={200: ReferralPage, 403: ErrorOut, **_READ_ERRORS}, summary="List referrals"
)
def list_referrals(request: HttpRequest, filters: Query[ListFilter]) -> ReferralPage:
    """`box=received`: to your organisation, those waiting for your answer first (by
    deadline); `box=sent`: those your organisation sent, newest first."""
    actor = _actor(request)
    if filters.box == "received":
        page = selectors.received(actor, state=filters.state, page_number=filters.page)
    else:
        page = selectors.sent(actor, state=filters.state, page_number=filters.page)
    return ReferralPage(
        count=page.paginator.count,
        page=page.number,
        pages=page.paginator.num_pages,
        results=[ReferralOut.of(r) for r in page.object_list],
    )


@router.post(
    "",
    response={201: ReferralDetailOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Refer or transfer a case",
)
def send_referral(request: HttpRequest, payload: ReferralIn) -> Status:
    """Consent is checked: without a referral consent naming the receiver (a best-interest
    decision for a child), only a member allowed to override consent may send, with
    `override_reason`."""
    actor = _actor(request)
    data: dict[str, Any] = payload.model_dump(exclude={"case"})
    data["kind"] = str(payload.kind)
    data["reason"] = str(payload.reason)
    referral: Referral = services.referral_send(actor=actor, case_public_id=payload.case, data=data)
    return Status(201, _detail(actor, str(referral.public_id)))


@router.get(
    "/{public_id}",
    response={200: ReferralDetailOut, **_READ_ERRORS},
    exclude_unset=True,
    summary="One referral",
)
def get_referral(request: HttpRequest, public_id: str) -> ReferralDetailOut:
    return _detail(_actor(request), public_id)


@router.get(
    "/{public_id}/document",
    response={200: DocumentOut, 403: ErrorOut, **_READ_ERRORS},
    exclude_unset=True,
    summary="The printable document's data",
)
def get_document(request: HttpRequest, public_id: str) -> DocumentOut:
    """For the sending side of a live referral (for a receiver outside Palermo): only the
    shared groups. Audited as a read."""
    document = selectors.referral_document(_actor(request), public_id)
    referral = document.referral
    return DocumentOut(
        referral=ReferralOut.of(referral),
        details=referral.details,
        person=PersonOut.of(document.person.as_dict()),
        case_summary=document.summary,
        groups=sorted(document.groups),
        sender=document.printed_by,
        printed_at=document.printed_at,
    )


def _transition(
    request: HttpRequest, public_id: str, action: str, payload: TransitionIn
) -> ReferralDetailOut:
    actor = _actor(request)
    services.referral_transition(
        actor=actor, public_id=public_id, action=action, data=payload.model_dump()
    )
    return _detail(actor, public_id)


_TRANSITION = {"response": {200: ReferralDetailOut, **_WRITE_ERRORS}, "exclude_unset": True}


@router.post("/{public_id}/accept", summary="Accept (receiver)", **_TRANSITION)  # type: ignore[arg-type]
def accept(request: HttpRequest, public_id: str, payload: TransitionIn) -> ReferralDetailOut:
    """A transfer moves the case (and the person) to your organisation and is then done."""
    return _transition(request, public_id, "accept", payload)


@router.post("/{public_id}/decline", summary="Decline, with a reason (receiver)", **_TRANSITION)  # type: ignore[arg-type]
def decline(request: HttpRequest, public_id: str, payload: TransitionIn) -> ReferralDetailOut:
    return _transition(request, public_id, "decline", payload)


@router.post("/{public_id}/start", summary="The service started (receiver)", **_TRANSITION)  # type: ignore[arg-type]
def start(request: HttpRequest, public_id: str, payload: TransitionIn) -> ReferralDetailOut:
    return _transition(request, public_id, "start", payload)


@router.post("/{public_id}/done", summary="The service is done (receiver)", **_TRANSITION)  # type: ignore[arg-type]
def done(request: HttpRequest, public_id: str, payload: TransitionIn) -> ReferralDetailOut:
    return _transition(request, public_id, "done", payload)


@router.post("/{public_id}/revoke", summary="Revoke (sender)", **_TRANSITION)  # type: ignore[arg-type]
def revoke(request: HttpRequest, public_id: str, payload: TransitionIn) -> ReferralDetailOut:
    return _transition(request, public_id, "revoke", payload)
