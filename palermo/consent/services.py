"""Every write of consent decisions and legal bases: atomic, audited, history kept.

A decision is never edited: a change of mind is a new record (a withdrawal, or a new decision),
so the history shows what was in force when. Audit details name purposes, decisions and who
decided (person, guardian, best interest) but never the free texts, which are encrypted.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation
from palermo.accounts.roles import Perm
from palermo.audit.services import audit_record
from palermo.errors import ApplicationError, Forbidden, invalid
from palermo.people.access import persons_visible_to
from palermo.people.models import Person

from .access import consent_state
from .models import ConsentRecord, ConsentSource, LegalBasis
from .rules import ConsentPurpose, Decision, GivenBy, receiver_key
from .validation import (
    ReferralReceiver,
    clean_consent_input,
    clean_legal_basis_input,
    clean_revocation_reason,
    clean_withdrawal_input,
)


def _require(actor: Actor, person: Person, permission: Perm) -> Organisation:
    """The caller got `person` through the access layer; check again so no caller skips it.

    Returns the organisation the actor acts for (the one recording).
    """
    if actor.user is None or actor.organisation is None or not actor.can(permission):
        raise Forbidden()
    if not persons_visible_to(actor).filter(pk=person.pk).exists():
        raise Forbidden()
    return actor.organisation


@transaction.atomic
def consent_record(
    *,
    actor: Actor,
    person: Person,
    data: dict[str, Any],
    source: str = ConsentSource.PERSON_PAGE,
    source_reference: str = "",
) -> list[ConsentRecord]:
    """Record the person's decisions (given or refused), one record per purpose decided.

    `data`: language, given_by, decisions {purpose: "given"|"refused"}, referral_organisation
    (a public id, for a referral), guardian_name (for a guardian), decided_by and reason (for a
    best-interest decision). ApplicationError (400) per field for bad input; nothing is saved.
    """
    organisation = _require(actor, person, Perm.CONSENT_RECORD)
    state = consent_state(person)
    cleaned = clean_consent_input(data, is_child=state.is_child)
    now = timezone.now()
    records = []
    for purpose, decision in cleaned.decisions.items():
        records.append(
            ConsentRecord(
                person=person,
                purpose=purpose,
                decision=decision,
                given_by=cleaned.given_by,
                **(
                    _receiver_fields(cleaned.referral_receiver)
                    if purpose == ConsentPurpose.REFERRAL
                    else {}
                ),
                language=cleaned.language,
                guardian_name=cleaned.guardian_name,
                decided_by=cleaned.decided_by,
                reason=cleaned.reason,
                source=source,
                source_reference=source_reference,
                recorded_by=actor.user,
                recording_organisation=organisation,
                recorded_at=now,
            )
        )
    for record in records:
        record.save()
    free_text = any((cleaned.guardian_name, cleaned.decided_by, cleaned.reason))
    audit_record(
        actor=actor,
        action="consent.record",
        object_type="person",
        object_id=str(person.public_id),
        field_groups={"narrative"} if free_text else set(),
        details={
            "decisions": {str(p): str(d) for p, d in sorted(cleaned.decisions.items())},
            "given_by": str(cleaned.given_by),
            "language": cleaned.language,
            "referral_organisation": cleaned.referral_receiver.audit_label(),
            "source": str(source),
            "records": [str(r.public_id) for r in records],
        },
    )
    return records


def _receiver_fields(receiver: ReferralReceiver) -> dict[str, Any]:
    """The columns that name a referral's receiver on a consent record."""
    return {
        "organisation": receiver.organisation,
        "partner": receiver.partner,
        "external_receiver": receiver.external,
    }


@transaction.atomic
def consent_withdraw(*, actor: Actor, person: Person, data: dict[str, Any]) -> ConsentRecord:
    """Record that a consent in force is withdrawn: a new record; the history stays.

    For a child whose consent rests on a best-interest decision, only a new best-interest
    decision ends it (a guardian's or the child's word does not override it).
    """
    organisation = _require(actor, person, Perm.CONSENT_RECORD)
    cleaned = clean_withdrawal_input(data)
    state = consent_state(person)
    organisation_id: int | None = None
    receiver = ""
    if cleaned.purpose == ConsentPurpose.REFERRAL:
        named = cleaned.receiver
        organisation_id = named.organisation.pk if named.organisation else None
        receiver = receiver_key(
            partner_id=named.partner.pk if named.partner else None, external_name=named.external
        )
    current = state.effective(cleaned.purpose, organisation_id, receiver)
    if current is None or current.decision != Decision.GIVEN:
        raise invalid({"purpose": [_("There is no consent in force for this purpose.")]})
    if (
        state.presumed_child
        and current.given_by == GivenBy.BEST_INTEREST
        and cleaned.given_by != GivenBy.BEST_INTEREST
    ):
        raise invalid(
            {
                "given_by": [
                    _(
                        "A best-interest decision stands for this child: only a new "
                        "best-interest decision can end it."
                    )
                ]
            }
        )
    record = ConsentRecord.objects.create(
        person=person,
        purpose=cleaned.purpose,
        decision=Decision.WITHDRAWN,
        given_by=cleaned.given_by,
        **(
            _receiver_fields(cleaned.receiver) if cleaned.purpose == ConsentPurpose.REFERRAL else {}
        ),
        language=cleaned.language,
        reason=cleaned.reason,
        source=ConsentSource.PERSON_PAGE,
        recorded_by=actor.user,
        recording_organisation=organisation,
    )
    audit_record(
        actor=actor,
        action="consent.withdraw",
        object_type="person",
        object_id=str(person.public_id),
        field_groups={"narrative"} if cleaned.reason else set(),
        details={
            "purpose": str(cleaned.purpose),
            "given_by": str(cleaned.given_by),
            "record": str(record.public_id),
        },
    )
    return record


@transaction.atomic
def legal_basis_record(*, actor: Actor, person: Person, data: dict[str, Any]) -> LegalBasis:
    """Record a legal basis that stands in for consent (law enforcement or evidence).

    Only a holder of CONSENT_OVERRIDE may; the audit event names the purpose, the kind of
    basis (court order, prosecutor's order, provision of law) and whom it allows. The
    reference and the reasons are kept encrypted in the record the event points at.
    """
    organisation = _require(actor, person, Perm.CONSENT_OVERRIDE)
    cleaned = clean_legal_basis_input(data)
    basis = LegalBasis.objects.create(
        person=person,
        purpose=cleaned.purpose,
        kind=cleaned.kind,
        reference=cleaned.reference,
        reason=cleaned.reason,
        organisation=cleaned.organisation,
        valid_until=cleaned.valid_until,
        recorded_by=actor.user,
        recording_organisation=organisation,
    )
    audit_record(
        actor=actor,
        action="consent.legal_basis_record",
        object_type="person",
        object_id=str(person.public_id),
        field_groups={"legal"},
        details={
            "legal_basis": str(basis.public_id),
            "purpose": str(cleaned.purpose),
            "kind": cleaned.kind,
            "allows": str(cleaned.organisation.public_id) if cleaned.organisation else "any",
            "valid_until": cleaned.valid_until.isoformat() if cleaned.valid_until else None,
        },
    )
    return basis


@transaction.atomic
def legal_basis_revoke(*, actor: Actor, basis: LegalBasis, data: dict[str, Any]) -> LegalBasis:
    """End a legal basis (it stays in the history, marked revoked)."""
    _require(actor, basis.person, Perm.CONSENT_OVERRIDE)
    reason = clean_revocation_reason(data)
    basis = LegalBasis.objects.select_for_update().get(pk=basis.pk)
    if basis.revoked_at is not None:
        raise ApplicationError(_("This legal basis is already revoked."), code="already_revoked")
    basis.revoked_at = timezone.now()
    basis.revoked_by = actor.user
    basis.revocation_reason = reason
    basis.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    audit_record(
        actor=actor,
        action="consent.legal_basis_revoke",
        object_type="person",
        object_id=str(basis.person.public_id),
        field_groups={"legal"},
        details={"legal_basis": str(basis.public_id), "purpose": basis.purpose},
    )
    return basis
