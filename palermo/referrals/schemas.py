"""The referrals API's shapes, as the OpenAPI document at /api/docs shows them.

Inputs are strict about types; meaning (an organisation that exists, a group the sender may
see, consent) is checked by `validation.py` and the services, shared with the pages. Outputs
are plain pydantic models (see palermo.people.schemas): the person's withheld fields are absent.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, StrictStr, WithJsonSchema

from palermo.people.schemas import ErrorOut, PersonOut

from . import rules
from .models import ConsentBasis, Referral, ReferralKind, ReferralReason, ReferralState

IsoDate = Annotated[StrictStr, WithJsonSchema({"type": "string", "format": "date"})]
PublicId = Annotated[StrictStr, Field(max_length=36, description="A public id (UUID).")]

__all__ = ["ErrorOut"]


class ReferralIn(Schema):
    """Refer (or transfer) a case. Name exactly one receiver: `receiving_organisation`,
    `partner` or `external_organisation_name` — or only a `service` from the directory, whose
    provider is then the receiver."""

    model_config = ConfigDict(extra="forbid")

    case: PublicId
    kind: ReferralKind = ReferralKind.REFERRAL
    receiving_organisation: PublicId | None = None
    partner: PublicId | None = None
    external_organisation_name: StrictStr | None = Field(
        None, max_length=rules.MAX_EXTERNAL_NAME_LENGTH
    )
    service: PublicId | None = None
    reason: ReferralReason
    details: StrictStr | None = Field(None, max_length=rules.MAX_DETAILS_LENGTH)
    shared_groups: list[StrictStr] = Field(
        ..., max_length=12, description="identity, contact, location, health, legal, narrative"
    )
    respond_by: IsoDate | None = Field(
        None, max_length=10, description="YYYY-MM-DD; by default a few days from now."
    )
    override_reason: StrictStr | None = Field(
        None,
        max_length=rules.MAX_NOTE_LENGTH,
        description="Only members allowed to override consent, when there is none.",
    )


class TransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: StrictStr | None = Field(
        None, max_length=rules.MAX_NOTE_LENGTH, description="Required when declining."
    )
    case_worker: StrictStr | None = Field(
        None,
        max_length=150,
        description="On accepting: the username of the primary case worker (default: you).",
    )


class OrganisationRef(BaseModel):
    id: str
    name: str


class ReferralOut(BaseModel):
    """A referral's own facts: no personal data."""

    id: str
    reference: str
    kind: ReferralKind
    state: ReferralState
    case: str
    case_reference: str
    sending_organisation: OrganisationRef
    receiving_organisation: OrganisationRef | None
    partner: OrganisationRef | None
    external_organisation_name: str
    service: str | None
    reason: ReferralReason
    shared_groups: list[str]
    consent_basis: ConsentBasis
    respond_by: datetime.date
    created_at: datetime.datetime
    responded_at: datetime.datetime | None
    receiving_case_worker: str | None

    @classmethod
    def of(cls, referral: Referral) -> ReferralOut:
        def ref(org: object | None) -> OrganisationRef | None:
            if org is None:
                return None
            return OrganisationRef(id=str(org.public_id), name=org.name)  # type: ignore[attr-defined]

        worker = referral.receiving_case_worker
        return cls(
            id=str(referral.public_id),
            reference=referral.reference,
            kind=ReferralKind(referral.kind),
            state=ReferralState(referral.state),
            case=str(referral.case.public_id),
            case_reference=referral.case.reference,
            sending_organisation=ref(referral.sending_organisation),  # type: ignore[arg-type]
            receiving_organisation=ref(referral.receiving_organisation),
            partner=ref(referral.partner),
            external_organisation_name=referral.external_organisation_name,
            service=str(referral.service.public_id) if referral.service else None,
            reason=ReferralReason(referral.reason),
            shared_groups=[str(g) for g in referral.shared_groups],
            consent_basis=ConsentBasis(referral.consent_basis),
            respond_by=referral.respond_by,
            created_at=referral.created_at,
            responded_at=referral.responded_at,
            receiving_case_worker=worker.username if worker else None,
        )


class ReferralPage(BaseModel):
    count: int
    page: int
    pages: int
    results: list[ReferralOut]


class EventOut(BaseModel):
    from_state: str
    to_state: str
    at: datetime.datetime
    organisation: str | None = Field(description="The acting organisation's public id.")
    actor: str = Field(description="Who acted: a username, or a partner deployment's name.")
    consent_basis: str
    shared_groups: list[str]
    note: str | None


class ReferralDetailOut(BaseModel):
    """A referral, and for the receiver of a live one what it shares of the person."""

    referral: ReferralOut
    details: str | None = Field(description="The sender's words; for receivers, while live.")
    response_note: str | None
    actions: list[Literal["accept", "decline", "start", "done", "revoke"]] = Field(
        description="What the caller may do now."
    )
    events: list[EventOut]
    person: PersonOut | None = Field(
        description="Receivers of a live referral: only the shared groups they may see."
    )
    case_summary: str | None = Field(description="When the narrative group is shared and seen.")
    withheld_groups: list[str] = Field(
        description="Shared groups the person's consent withholds from the caller."
    )


class DocumentOut(BaseModel):
    """The printable document's content (the sender of a live referral only)."""

    referral: ReferralOut
    details: str | None
    person: PersonOut
    case_summary: str | None
    groups: list[str]
    sender: str
    printed_at: datetime.datetime


class ListFilter(Schema):
    box: Literal["received", "sent"] = "received"
    state: Literal[
        "", "live", "pending", "accepted", "declined", "in_progress", "done", "revoked"
    ] = ""
    page: int = Field(1, ge=1, le=100000)
