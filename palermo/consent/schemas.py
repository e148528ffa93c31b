"""The consent API's input and output shapes (OpenAPI at /api/docs).

Inputs are strict: unknown fields are refused, strings are strings. Meaning (a real language
code, an organisation of the coalition, a guardian's name when a guardian decides) is checked
by `validation.py`, shared with the pages.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, StrictStr, WithJsonSchema

from .rules import ConsentPurpose, GivenBy
from .validation import MAX_NAME, MAX_REASON, MAX_REFERENCE

IsoDate = Annotated[StrictStr, WithJsonSchema({"type": "string", "format": "date"})]


class ConsentIn(Schema):
    """Decisions taken together: who decided, in which language, per purpose given or refused."""

    model_config = ConfigDict(extra="forbid")

    language: StrictStr = Field(max_length=3, description="ISO 639 code of the explanation.")
    given_by: GivenBy
    decisions: dict[ConsentPurpose, StrictStr] = Field(
        description='Purpose → "given" or "refused"; leave out purposes not asked.'
    )
    referral_organisation: StrictStr | None = Field(
        None,
        max_length=44,
        description=(
            "For a referral: the public id of the organisation named, or "
            '"partner:<public id>" for a trusted partner deployment abroad.'
        ),
    )
    referral_external: StrictStr | None = Field(
        None,
        max_length=200,
        description="For a referral to an organisation outside Palermo: its name (instead).",
    )
    guardian_name: StrictStr | None = Field(None, max_length=MAX_NAME)
    decided_by: StrictStr | None = Field(
        None, max_length=MAX_NAME, description="For a best-interest decision: who, in what role."
    )
    reason: StrictStr | None = Field(None, max_length=MAX_REASON)
    screening: StrictStr | None = Field(
        None, max_length=36, description="Public id of the screening at whose end it was asked."
    )

    def submitted(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True, exclude={"screening"})
        data["given_by"] = str(self.given_by)
        data["decisions"] = {str(k): v for k, v in self.decisions.items()}
        return {k: v for k, v in data.items() if v is not None}


class WithdrawalIn(Schema):
    model_config = ConfigDict(extra="forbid")

    purpose: ConsentPurpose
    organisation: StrictStr | None = Field(
        None,
        max_length=44,
        description='For a referral: the organisation\'s public id or "partner:<public id>".',
    )
    external_receiver: StrictStr | None = Field(
        None, max_length=200, description="For a referral to an organisation outside Palermo."
    )
    given_by: GivenBy
    language: StrictStr = Field(max_length=3)
    reason: StrictStr | None = Field(None, max_length=MAX_REASON)

    def submitted(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        data["purpose"] = str(self.purpose)
        data["given_by"] = str(self.given_by)
        return {k: v for k, v in data.items() if v is not None}


class LegalBasisIn(Schema):
    model_config = ConfigDict(extra="forbid")

    purpose: StrictStr = Field(description="law_enforcement or evidence")
    kind: StrictStr = Field(description="court_order, prosecutor_order or legal_provision")
    reference: StrictStr = Field(max_length=MAX_REFERENCE)
    reason: StrictStr = Field(max_length=MAX_REASON)
    organisation: StrictStr | None = Field(
        None, max_length=36, description="The organisation it allows; none: any with access."
    )
    valid_until: IsoDate | None = Field(None, max_length=10, description="YYYY-MM-DD")

    def submitted(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}


class RevocationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(max_length=MAX_REASON)


class ConsentRowOut(BaseModel):
    purpose: str
    organisation: str | None
    organisation_name: str | None
    partner: str | None = None
    partner_name: str | None = None
    external_receiver: str | None = None
    decision: str | None = Field(description="given, refused, withdrawn; null: not recorded")
    given_by: str | None
    recorded_at: datetime.datetime | None


class LegalBasisOut(BaseModel):
    id: str
    purpose: str
    kind: str
    organisation: str | None
    valid_until: datetime.date | None
    recorded_at: datetime.datetime
    revoked_at: datetime.datetime | None
    in_force: bool


class ConsentOut(BaseModel):
    """The decisions in force for a person, and its legal bases (no free texts)."""

    person: str
    reference: str
    presumed_child: bool
    in_force: list[ConsentRowOut]
    legal_bases: list[LegalBasisOut]
    # What the decisions mean for the caller: the basis of its own access for its purpose.
    your_access: str
