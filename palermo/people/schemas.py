from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict


class PersonIn(Schema):
    """Fields of a person; on PATCH, only those sent are changed. Unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    salutation: str | None = Field(None, max_length=40)
    first_name: str | None = Field(None, max_length=100)
    middle_name: str | None = Field(None, max_length=100)
    second_name: str | None = Field(None, max_length=100)
    birthdate: datetime.date | None = None
    identity_number: str | None = Field(None, max_length=40)
    title: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    home_phone: str | None = Field(None, max_length=40)
    mobile_phone: str | None = Field(None, max_length=40)
    mailing_street: str | None = Field(None, max_length=200)
    mailing_city: str | None = Field(None, max_length=100)
    mailing_state: str | None = Field(None, max_length=100)
    mailing_postal_code: str | None = Field(None, max_length=20)
    mailing_country: str | None = Field(None, max_length=2)
    mailing_latitude: Decimal | None = None
    mailing_longitude: Decimal | None = None
    gender: str | None = Field(None, max_length=24)
    marital_status: str | None = Field(None, max_length=24)
    number_of_children: int | None = None
    primary_language: str | None = Field(None, max_length=3)
    secondary_language: str | None = Field(None, max_length=3)
    highest_education: str | None = Field(None, max_length=40)
    citizenship: list[str] | None = Field(None, max_length=10)
    deceased: bool | None = None


class PersonOut(Schema):
    """A person as the caller may see it: fields of withheld groups are absent."""

    model_config = ConfigDict(extra="allow")

    id: str
    reference: str
    owner_organisation: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    visible_groups: list[str]
    gender: str
    citizenship: list[str]


class PersonPage(Schema):
    count: int
    page: int
    pages: int
    results: list[dict[str, Any]]
