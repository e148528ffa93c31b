"""The cases API's input and output shapes, as the OpenAPI document at /api/docs shows them.

Inputs are strict (unknown fields refused, text only where text is expected). Outputs are plain
pydantic models built from the selectors; a field the caller may not see (the person's name
without the identity group, a reason without the narrative group) is left out, not null.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from palermo.people.schemas import ErrorOut

from .lifecycle import LANGUAGES
from .validation import (
    MAX_CONTACT_LENGTH,
    MAX_REASON_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_USERNAME_LENGTH,
)

__all__ = ["ErrorOut"]

Id = StrictStr


class CaseOpenIn(Schema):
    """Where the case comes from: a person, or a finished screening, or a hotline contact or
    situation together with the person (all must be visible to the caller)."""

    model_config = ConfigDict(extra="forbid")

    person: Id | None = Field(None, max_length=36, description="The person's id.")
    screening: Id | None = Field(None, max_length=36, description="A finished screening's id.")
    contact: Id | None = Field(None, max_length=36, description="A hotline contact's id.")
    situation: Id | None = Field(None, max_length=36, description="A hotline situation's id.")
    competent_organisation: Id | None = Field(
        None,
        max_length=36,
        description="The competent authority's id (needed when the rules allow several).",
    )
    summary: StrictStr | None = Field(None, max_length=MAX_SUMMARY_LENGTH)


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["positive", "negative"]
    reason: StrictStr = Field(..., max_length=MAX_REASON_LENGTH)


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    case_worker: StrictStr = Field(
        ..., max_length=MAX_USERNAME_LENGTH, description="The case worker's username."
    )


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(
        ..., max_length=40, description="An HTCDS closure reason the rules allow."
    )


class AnonymousNotificationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    gender: StrictStr = Field(..., max_length=24, description="An HTCDS prs_Gender value.")
    nationality: StrictStr | None = Field(None, max_length=2, description="ISO 3166-1 alpha-2.")
    contact: StrictStr | None = Field(None, max_length=MAX_CONTACT_LENGTH)


class OrganisationRef(BaseModel):
    id: str
    name: str


class PersonRef(BaseModel):
    """The person a case is about; `name` is absent when the identity group is withheld."""

    id: str
    reference: str
    name: str | None = None


class DeadlineOut(BaseModel):
    stage: str
    kind: str
    label: str
    due_on: datetime.date
    met_at: datetime.datetime | None
    state: str


class DecisionOut(BaseModel):
    id: str
    stage: str
    decision: str
    label: str
    outcome: str
    decided_by: str | None
    organisation: OrganisationRef
    decided_at: datetime.datetime
    reason: str | None = Field(None, description="Absent when the narrative group is withheld.")


class CaseOut(BaseModel):
    id: str
    reference: str
    person: PersonRef
    owner_organisation: OrganisationRef
    competent_organisation: OrganisationRef | None
    case_worker: str | None
    country: str
    stage: str
    stage_label: str
    status: str
    closure_reason: str
    is_child: bool
    next_deadline: datetime.date | None
    opened_at: datetime.datetime
    closed_at: datetime.datetime | None


class CaseDetailOut(CaseOut):
    summary: str | None = Field(None, description="Absent when the narrative group is withheld.")
    deadlines: list[DeadlineOut]
    decisions: list[DecisionOut]


class CasePageOut(BaseModel):
    count: int
    count_capped: bool = Field(description="True when there are more than `count` cases.")
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")
    results: list[CaseOut]


class AnonymousNotificationOut(BaseModel):
    id: str
    gender: str
    nationality: str
    has_contact: bool
    notified_at: datetime.datetime


class OverdueOut(BaseModel):
    case: str
    reference: str
    stage: str
    label: str
    due_on: datetime.date
    days_overdue: int


class LifecycleOut(BaseModel):
    """The lifecycle configuration in force (see palermo/cases/lifecycles/README.md)."""

    name: str
    title: str
    country: str
    entry_stage: str
    reminder_days: int
    adult_consent: bool
    languages: list[str] = list(LANGUAGES)
    referral: dict[str, list[str]]
    calendar: dict[str, Any]
    closure: dict[str, Any]
    stages: list[dict[str, Any]]
