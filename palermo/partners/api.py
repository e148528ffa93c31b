"""The partners API: the registry (administrators) and referrals from abroad (receivers).

The inbox that partner deployments post packages to is not here: it is /partners/inbox/,
outside the API's authentication, because a package's signature is its credential.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from palermo.accounts.actors import Actor
from palermo.errors import Forbidden, NotFound, invalid

from . import selectors, services
from .access import (
    incoming_for_actor,
    may_see_incoming,
    partner_for_manager,
    require_partner_manager,
)
from .models import IncomingReferral, PartnerDeployment
from .schemas import (
    AcceptIn,
    DeploymentKeyOut,
    ErrorOut,
    IncomingDetailOut,
    IncomingOut,
    NoteIn,
    PartnerIn,
    PartnerOut,
)

router = Router(tags=["partners"])

_ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
}


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


def _partner_out(partner: PartnerDeployment) -> PartnerOut:
    organisation = services.designated_organisation(partner)
    return PartnerOut(
        id=str(partner.public_id),
        name=partner.name,
        url=partner.url,
        country=partner.country,
        fingerprint=services.fingerprint_of(partner),
        active=partner.active,
        receiving_organisation=str(organisation.public_id) if organisation else None,
        created_at=partner.created_at,
    )


def _incoming_fields(incoming: IncomingReferral) -> dict[str, object]:
    return {
        "id": str(incoming.public_id),
        "reference": incoming.reference,
        "partner": str(incoming.partner.public_id),
        "remote_reference": incoming.remote_reference,
        "remote_case_reference": incoming.remote_case_reference,
        "sender_organisation": incoming.sender_organisation_name,
        "sender_country": incoming.sender_country,
        "reason": incoming.reason,
        "respond_by": incoming.respond_by,
        "shared_groups": list(incoming.shared_groups),
        "state": incoming.state,
        "received_at": incoming.received_at,
        "responded_at": incoming.responded_at,
        "revoked_at": incoming.revoked_at,
        "case": str(incoming.case.public_id) if incoming.case else None,
        "person": str(incoming.person.public_id) if incoming.person else None,
    }


@router.get(
    "/keys", response={200: DeploymentKeyOut, **_ERRORS}, summary="This deployment's public keys"
)
def deployment_keys(request: HttpRequest) -> DeploymentKeyOut:
    require_partner_manager(_actor(request))
    info = selectors.deployment_key_info()
    if info is None:
        raise NotFound()
    return DeploymentKeyOut(key_string=info.key_string, fingerprint=info.fingerprint)


@router.get("", response={200: list[PartnerOut], **_ERRORS}, summary="List partner deployments")
def list_partners(request: HttpRequest) -> list[PartnerOut]:
    rows = selectors.partner_rows(actor=_actor(request))
    return [_partner_out(row.partner) for row in rows]


@router.post("", response={201: PartnerOut, **_ERRORS}, summary="Register a partner deployment")
def add_partner(request: HttpRequest, payload: PartnerIn) -> Status:
    actor = _actor(request)
    require_partner_manager(actor)
    organisation = services.resolve_organisation(payload.receiving_organisation)
    if payload.receiving_organisation and organisation is None:
        raise invalid({"receiving_organisation": ["Choose one of the listed options."]})
    partner = services.partner_add(
        actor=actor,
        name=payload.name,
        url=payload.url,
        public_key=payload.public_key,
        country=payload.country,
        receiving_organisation=organisation,
    )
    return Status(201, _partner_out(partner))


@router.post(
    "/{public_id}/deactivate", response={200: PartnerOut, **_ERRORS}, summary="Deactivate a partner"
)
def deactivate_partner(request: HttpRequest, public_id: str) -> PartnerOut:
    actor = _actor(request)
    partner = partner_for_manager(actor, public_id)
    services.partner_set_active(actor=actor, partner=partner, active=False)
    return _partner_out(partner)


@router.post(
    "/{public_id}/activate", response={200: PartnerOut, **_ERRORS}, summary="Activate a partner"
)
def activate_partner(request: HttpRequest, public_id: str) -> PartnerOut:
    actor = _actor(request)
    partner = partner_for_manager(actor, public_id)
    services.partner_set_active(actor=actor, partner=partner, active=True)
    return _partner_out(partner)


def _receiver(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not may_see_incoming(actor):
        raise Forbidden()
    return actor


@router.get(
    "/incoming",
    response={200: list[IncomingOut], **_ERRORS},
    summary="Referrals from partner deployments to my organisation",
)
def list_incoming(request: HttpRequest, state: str = "") -> list[IncomingOut]:
    actor = _receiver(request)
    rows = selectors.incoming_list(actor=actor, state=state)
    return [IncomingOut(**_incoming_fields(row)) for row in rows]  # type: ignore[arg-type]


def _detail(actor: Actor, public_id: str) -> IncomingDetailOut:
    view = selectors.incoming_detail(actor=actor, public_id=public_id)
    return IncomingDetailOut(
        **_incoming_fields(view.incoming),  # type: ignore[arg-type]
        details=view.details,
        case_summary=view.case_summary,
        revocation_note=view.incoming.revocation_note or "",
        is_child=view.incoming.is_child,
        visible_groups=sorted(view.visible_groups),
        person_fields=view.person,
        answers=list(view.answers),
    )


@router.get(
    "/incoming/{public_id}",
    response={200: IncomingDetailOut, **_ERRORS},
    summary="One referral from a partner, with the shared person fields your role may see",
)
def get_incoming(request: HttpRequest, public_id: str) -> IncomingDetailOut:
    return _detail(_receiver(request), public_id)


@router.post(
    "/incoming/{public_id}/accept",
    response={200: IncomingDetailOut, **_ERRORS},
    summary="Accept: registers the person and opens a case here; the partner is told",
)
def accept_incoming(request: HttpRequest, public_id: str, payload: AcceptIn) -> IncomingDetailOut:
    actor = _receiver(request)
    incoming = incoming_for_actor(actor, public_id, "accept")
    services.incoming_accept(
        actor=actor, incoming=incoming, consent_confirmed=payload.consent_confirmed
    )
    return _detail(actor, public_id)


@router.post(
    "/incoming/{public_id}/decline",
    response={200: IncomingDetailOut, **_ERRORS},
    summary="Decline, with the reason; the partner is told",
)
def decline_incoming(request: HttpRequest, public_id: str, payload: NoteIn) -> IncomingDetailOut:
    actor = _receiver(request)
    incoming = incoming_for_actor(actor, public_id, "answer")
    services.incoming_decline(actor=actor, incoming=incoming, note=payload.note)
    return _detail(actor, public_id)


@router.post(
    "/incoming/{public_id}/{answer}",
    response={200: IncomingDetailOut, **_ERRORS},
    summary="Report an accepted referral in progress (start) or done (done); the partner is told",
)
def progress_incoming(
    request: HttpRequest, public_id: str, answer: str, payload: NoteIn
) -> IncomingDetailOut:
    actor = _receiver(request)
    if answer not in ("start", "done"):
        raise NotFound()
    incoming = incoming_for_actor(actor, public_id, "answer")
    services.incoming_progress(actor=actor, incoming=incoming, answer=answer, note=payload.note)
    return _detail(actor, public_id)
