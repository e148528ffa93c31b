"""Input and output shapes of the partners API."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from palermo.people.schemas import ErrorOut

__all__ = [
    "AcceptIn",
    "DeploymentKeyOut",
    "ErrorOut",
    "IncomingDetailOut",
    "IncomingOut",
    "NoteIn",
    "PartnerIn",
    "PartnerOut",
]


class DeploymentKeyOut(Schema):
    key_string: str = Field(description="This deployment's public keys, to give to partners.")
    fingerprint: str = Field(description="To read out on the phone when keys are exchanged.")


class PartnerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    url: str = Field(max_length=300, description="The partner's base address, https://…")
    public_key: str = Field(
        max_length=400, description="The partner's key string (palermo-partner-v1.…)."
    )
    country: str = Field("", max_length=2)
    receiving_organisation: str = Field(
        "",
        max_length=200,
        description="Public id or exact name of the organisation that receives its referrals.",
    )


class PartnerOut(Schema):
    id: str
    name: str
    url: str
    country: str
    fingerprint: str
    active: bool
    receiving_organisation: str | None
    created_at: datetime.datetime


class AcceptIn(Schema):
    model_config = ConfigDict(extra="forbid")

    consent_confirmed: bool = Field(
        False,
        description="The person consents to assistance here; required for an adult who has "
        "no consent recorded here (it is recorded with this referral as its source).",
    )


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=2000)


class IncomingOut(Schema):
    id: str
    reference: str
    partner: str
    remote_reference: str
    remote_case_reference: str
    sender_organisation: str
    sender_country: str
    reason: str
    respond_by: datetime.date | None
    shared_groups: list[str]
    state: str = Field(
        description="pending, accepted, declined, in_progress, done, or revoked (by the sender)"
    )
    received_at: datetime.datetime
    responded_at: datetime.datetime | None
    revoked_at: datetime.datetime | None = Field(
        description="When the sender revoked the referral: what it shared was erased then"
    )
    case: str | None
    person: str | None


class IncomingDetailOut(IncomingOut):
    details: str
    case_summary: str
    revocation_note: str = Field(description="The sender's reason for revoking, if it gave one")
    is_child: bool
    visible_groups: list[str]
    person_fields: dict[str, Any]
    answers: list[str]
