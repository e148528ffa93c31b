"""Reads of consent for pages and the API: the summary in force, the history, the legal bases.

The summary holds no personal data (purposes, decisions, who decided, organisations, dates) and
is shown wherever the person is. The history's free texts (a guardian's name, who took a
best-interest decision and why, a court order's reference) are shown only to an actor who may
see the person's narrative (or, for legal bases, legal) group, and that read is audited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.utils import timezone

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation
from palermo.accounts.roles import Perm
from palermo.audit.services import audit_read
from palermo.partners.models import PartnerDeployment
from palermo.people.models import Person

from .access import consent_state, permission_for, person_for_consent
from .models import (
    CONSENT_PURPOSE_LABELS,
    DECISION_LABELS,
    GIVEN_BY_LABELS,
    ConsentRecord,
    LegalBasis,
)
from .rules import (
    ConsentEntry,
    ConsentPurpose,
    ConsentState,
    Decision,
    GivenBy,
    Permission,
    current_decisions,
    receiver_key,
)


@dataclass(frozen=True)
class SummaryRow:
    """The decision in force for one purpose (and, for referrals, one organisation)."""

    purpose: ConsentPurpose
    organisation: Organisation | None
    decision: Decision | None
    given_by: GivenBy | None
    recorded_at: datetime.datetime | None
    # A referral to a partner deployment abroad, or to an organisation outside Palermo.
    partner: PartnerDeployment | None = None
    external_receiver: str = ""

    @property
    def receiver_name(self) -> str:
        if self.organisation is not None:
            return self.organisation.name
        if self.partner is not None:
            return self.partner.name
        return self.external_receiver

    @property
    def purpose_label(self) -> Any:
        return CONSENT_PURPOSE_LABELS[self.purpose]

    @property
    def decision_label(self) -> Any:
        return DECISION_LABELS[self.decision] if self.decision else None

    @property
    def given_by_label(self) -> Any:
        return GIVEN_BY_LABELS[self.given_by] if self.given_by else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "purpose": str(self.purpose),
            "organisation": str(self.organisation.public_id) if self.organisation else None,
            "organisation_name": self.organisation.name if self.organisation else None,
            "partner": str(self.partner.public_id) if self.partner else None,
            "partner_name": self.partner.name if self.partner else None,
            "external_receiver": self.external_receiver or None,
            "decision": str(self.decision) if self.decision else None,
            "given_by": str(self.given_by) if self.given_by else None,
            "recorded_at": self.recorded_at,
        }


@dataclass(frozen=True)
class ConsentSummary:
    person: Person
    state: ConsentState
    rows: list[SummaryRow]
    legal_bases_in_force: list[LegalBasis]
    # What consent means for the actor looking: the basis of its own access.
    permission: Permission

    @property
    def presumed_child(self) -> bool:
        return self.state.presumed_child


def consent_summary(*, actor: Actor, person: Person) -> ConsentSummary:
    """The decisions in force for a person the caller already got through the access layer.

    One row per purpose (referrals: one per organisation named), "not recorded" rows
    included, so a page can show at a glance what is still to be asked.
    """
    state = consent_state(person)
    records = list(
        ConsentRecord.objects.filter(person=person)
        .select_related("organisation", "partner")
        .only(
            "purpose",
            "decision",
            "given_by",
            "organisation",
            "partner",
            "external_receiver",
            "recorded_at",
            "person",
        )
        .order_by("recorded_at", "id")
    )
    entries = [
        ConsentEntry(
            ConsentPurpose(r.purpose),
            Decision(r.decision),
            GivenBy(r.given_by),
            r.organisation_id,
            order,
            receiver_key(partner_id=r.partner_id, external_name=r.external_receiver),
        )
        for order, r in enumerate(records)
    ]
    by_order = dict(enumerate(records))
    current = current_decisions(entries, is_child=state.is_child)
    rows: list[SummaryRow] = []
    for purpose in ConsentPurpose:
        found = sorted(
            ((key, entry) for key, entry in current.items() if key[0] == purpose),
            key=lambda item: item[1].order,
        )
        if not found:
            rows.append(SummaryRow(purpose, None, None, None, None))
        for _key, entry in found:
            record = by_order[entry.order]
            rows.append(
                SummaryRow(
                    purpose,
                    record.organisation,
                    entry.decision,
                    entry.given_by,
                    record.recorded_at,
                    record.partner,
                    record.external_receiver,
                )
            )
    today = timezone.localdate()
    bases = [
        b
        for b in LegalBasis.objects.filter(person=person, revoked_at__isnull=True)
        .select_related("organisation")
        .defer("reference", "reason", "revocation_reason")
        if b.valid_until is None or b.valid_until >= today
    ]
    return ConsentSummary(person, state, rows, bases, permission_for(actor, person, state))


@dataclass(frozen=True)
class ConsentPage:
    summary: ConsentSummary
    history: list[ConsentRecord]
    legal_bases: list[LegalBasis]
    display_name: str
    # Whether the free texts (guardian, best-interest reasons; legal references) are shown.
    show_narrative: bool
    show_legal: bool
    can_record: bool
    can_override: bool
    organisations: list[Organisation] = field(default_factory=list)
    partners: list[PartnerDeployment] = field(default_factory=list)


def consent_page(*, actor: Actor, public_id: UUID | str) -> ConsentPage:
    """Everything the consent page of a person shows; the free texts shown are audited.

    NotFound when the actor may not see the person; Forbidden when it may see it but may
    neither record consent nor a legal basis.
    """
    needed = Perm.CONSENT_RECORD if actor.can(Perm.CONSENT_RECORD) else Perm.CONSENT_OVERRIDE
    person = person_for_consent(actor, public_id, needed)
    summary = consent_summary(actor=actor, person=person)
    visible = actor.field_groups() & summary.permission.groups
    show_narrative = "narrative" in visible
    show_legal = "legal" in visible
    history = list(
        ConsentRecord.objects.filter(person=person)
        .select_related("organisation", "partner", "recorded_by", "recording_organisation")
        .order_by("-recorded_at", "-id")
    )
    legal_bases = list(
        LegalBasis.objects.filter(person=person)
        .select_related("organisation", "recorded_by", "revoked_by")
        .order_by("-recorded_at", "-id")
    )
    shown: set[str] = set()
    if "identity" in visible:
        shown.add("identity")
    if show_narrative and any(r.guardian_name or r.decided_by or r.reason for r in history):
        shown.add("narrative")
    if show_legal and legal_bases:
        shown.add("legal")
    audit_read(
        actor=actor,
        object_type="person",
        object_id=str(person.public_id),
        field_groups=shown,
        details={"page": "consent"},
    )
    if "identity" in visible:
        name = " ".join(filter(None, [person.first_name, person.second_name])) or person.reference
    else:
        name = person.reference
    return ConsentPage(
        summary=summary,
        history=history,
        legal_bases=legal_bases,
        display_name=name,
        show_narrative=show_narrative,
        show_legal=show_legal,
        can_record=actor.can(Perm.CONSENT_RECORD),
        can_override=actor.can(Perm.CONSENT_OVERRIDE),
        organisations=list(Organisation.objects.filter(is_active=True).order_by("name")),
        partners=list(PartnerDeployment.objects.filter(active=True).order_by("name")),
    )
