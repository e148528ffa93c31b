"""The screening API's input and output shapes (OpenAPI at /api/docs).

Answers are the instrument's own values: "yes"/"no", an option value, a list of option values,
a number, a date (YYYY-MM-DD) or text; "not_asked" and "declined" for any question; null removes
an answer. See palermo/screening/instruments/README.md for each instrument's questions.
"""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, StrictBool, StrictFloat, StrictInt, StrictStr

from palermo.people.schemas import PersonIn

AnswerIn = StrictStr | StrictInt | StrictFloat | list[StrictStr] | None


class StartIn(Schema):
    model_config = ConfigDict(extra="forbid")

    instrument: StrictStr = Field(max_length=64)
    interviewee_language: StrictStr = Field(max_length=8, description="en, uk, ro, es, pt or fr")
    person: StrictStr | None = Field(None, max_length=36, description="Public id, if known.")


class AnswersIn(Schema):
    model_config = ConfigDict(extra="forbid")

    answers: dict[StrictStr, AnswerIn] = Field(max_length=500)
    step: StrictInt | None = Field(None, ge=0, le=100, description="The step to resume at.")


class RegistrationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    person: PersonIn
    duplicates_checked: StrictBool = Field(
        False,
        description="True once the candidates (POST …/registration/candidates) were looked at.",
    )


class CandidatesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    person: PersonIn


class LinkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    person: StrictStr = Field(max_length=36)


class ReviewIn(Schema):
    model_config = ConfigDict(extra="forbid")

    decision: StrictStr = Field(description="confirm or override")
    outcome: StrictStr | None = Field(
        None,
        description="For an override: presumed_trafficked, not_indicated or "
        "insufficient_information",
    )
    reason: StrictStr = Field(max_length=2000)


class InstrumentOut(BaseModel):
    id: str
    version: str
    title: str
    languages: list[str]
    steps: int
    questions: int


class ScreeningOut(BaseModel):
    """A screening as the caller may see it: `answers` and `assessment` are absent when the
    caller may not read what the screening says about the person."""

    id: str
    reference: str
    instrument: str
    instrument_version: str
    status: str
    person: str | None
    owner_organisation: str
    interviewer_language: str
    interviewee_language: str
    current_step: int
    outcome: str | None
    reviewed_outcome: str | None
    elements: dict[str, str]
    indicators: list[str]
    exploitation_types: list[str]
    control_methods: list[str]
    created_at: datetime.datetime
    completed_at: datetime.datetime | None
    answers: dict[str, Any] | None = None
    assessment: dict[str, Any] | None = None


class CandidateOut(BaseModel):
    id: str
    reference: str
    score: int
    exact: bool
    reasons: list[str]
    first_name: str | None = None
    second_name: str | None = None
    birthdate: datetime.date | None = None


class CandidatesOut(BaseModel):
    candidates: list[CandidateOut]


class RegisteredOut(BaseModel):
    screening: str
    person: str
    reference: str


class ReviewOut(BaseModel):
    id: str
    decision: str
    original_outcome: str
    outcome: str
    trafficking_status: str | None
    decision_making_org: str
    created_at: datetime.datetime
