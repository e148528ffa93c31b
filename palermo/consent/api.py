"""The consent API: the same services and selectors as the pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.people.schemas import ErrorOut

from . import access, selectors, services
from .models import ConsentSource, LegalBasis
from .schemas import (
    ConsentIn,
    ConsentOut,
    ConsentRowOut,
    LegalBasisIn,
    LegalBasisOut,
    RevocationIn,
    WithdrawalIn,
)

router = Router(tags=["consent"])

_ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
}


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


def _basis_out(basis: LegalBasis) -> LegalBasisOut:
    return LegalBasisOut(
        id=str(basis.public_id),
        purpose=basis.purpose,
        kind=basis.kind,
        organisation=str(basis.organisation.public_id) if basis.organisation else None,
        valid_until=basis.valid_until,
        recorded_at=basis.recorded_at,
        revoked_at=basis.revoked_at,
        in_force=basis.in_force(),
    )


def _consent_out(actor: Actor, person_id: str) -> ConsentOut:
    page = selectors.consent_page(actor=actor, public_id=person_id)
    summary = page.summary
    return ConsentOut(
        person=str(summary.person.public_id),
        reference=summary.person.reference,
        presumed_child=summary.presumed_child,
        in_force=[ConsentRowOut(**row.as_dict()) for row in summary.rows],
        legal_bases=[_basis_out(b) for b in page.legal_bases],
        your_access=str(summary.permission.basis),
    )


@router.get(
    "/persons/{person_id}",
    response={200: ConsentOut, **_ERRORS},
    summary="A person's consent decisions in force and legal bases",
)
def get_consent(request: HttpRequest, person_id: str) -> ConsentOut:
    return _consent_out(_actor(request), person_id)


@router.post(
    "/persons/{person_id}/decisions",
    response={201: ConsentOut, **_ERRORS},
    summary="Record consent decisions (given or refused) for some purposes",
)
def record_consent(request: HttpRequest, person_id: str, payload: ConsentIn) -> Status:
    actor = _actor(request)
    person = access.person_for_consent(actor, person_id, Perm.CONSENT_RECORD)
    screening = str(access.public_key(payload.screening)) if payload.screening else ""
    services.consent_record(
        actor=actor,
        person=person,
        data=payload.submitted(),
        source=ConsentSource.SCREENING if screening else ConsentSource.API,
        source_reference=screening,
    )
    return Status(201, _consent_out(actor, person_id))


@router.post(
    "/persons/{person_id}/withdrawals",
    response={201: ConsentOut, **_ERRORS},
    summary="Withdraw a consent in force (a new record; the history stays)",
)
def withdraw_consent(request: HttpRequest, person_id: str, payload: WithdrawalIn) -> Status:
    actor = _actor(request)
    person = access.person_for_consent(actor, person_id, Perm.CONSENT_RECORD)
    services.consent_withdraw(actor=actor, person=person, data=payload.submitted())
    return Status(201, _consent_out(actor, person_id))


@router.post(
    "/persons/{person_id}/legal-bases",
    response={201: LegalBasisOut, **_ERRORS},
    summary="Record a legal basis standing in for consent (needs consent.override)",
)
def record_legal_basis(request: HttpRequest, person_id: str, payload: LegalBasisIn) -> Status:
    actor = _actor(request)
    person = access.person_for_consent(actor, person_id, Perm.CONSENT_OVERRIDE)
    basis = services.legal_basis_record(actor=actor, person=person, data=payload.submitted())
    return Status(201, _basis_out(basis))


@router.post(
    "/legal-bases/{basis_id}/revoke",
    response={200: LegalBasisOut, **_ERRORS},
    summary="Revoke a legal basis",
)
def revoke_legal_basis(request: HttpRequest, basis_id: str, payload: RevocationIn) -> LegalBasisOut:
    actor = _actor(request)
    basis = access.legal_basis_for_actor(actor, basis_id)
    revoked = services.legal_basis_revoke(actor=actor, basis=basis, data={"reason": payload.reason})
    return _basis_out(revoked)
