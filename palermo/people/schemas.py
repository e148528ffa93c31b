"""The people API's input and output shapes, as the OpenAPI document at /api/docs shows them.

Input types are strict (no number for a name, no string for a list, no 0 for a date): a JSON
client that sends the wrong type hears so at once, in the error envelope of config/api.py.
Meaning (is this a real country, a possible phone number, a date in the past) is checked by
`validation.py`, shared with the pages.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr, WithJsonSchema

from .models import Education, Gender, MaritalStatus
from .validation import MAX_CHILDREN, MAX_CITIZENSHIPS, MAX_LENGTHS

# A string here, checked by validation.py like the form's: pydantic's own date type would
# take 0 or 1700000000 as a Unix time and would report bad dates apart from other mistakes.
IsoDate = Annotated[StrictStr, WithJsonSchema({"type": "string", "format": "date"})]


def _text(name: str) -> Any:
    return Field(None, max_length=MAX_LENGTHS[name])


class PersonIn(Schema):
    """Fields of a person; on PATCH, only those sent are changed (null clears a field).

    Unknown fields are refused, and so are fields of groups the caller's role may not see.
    """

    model_config = ConfigDict(extra="forbid")

    salutation: StrictStr | None = _text("salutation")
    first_name: StrictStr | None = _text("first_name")
    middle_name: StrictStr | None = _text("middle_name")
    second_name: StrictStr | None = _text("second_name")
    birthdate: IsoDate | None = Field(None, max_length=10, description="YYYY-MM-DD")
    identity_number: StrictStr | None = _text("identity_number")
    title: StrictStr | None = _text("title")
    email: StrictStr | None = _text("email")
    home_phone: StrictStr | None = Field(
        None, max_length=MAX_LENGTHS["home_phone"], description="With the country code."
    )
    mobile_phone: StrictStr | None = Field(
        None, max_length=MAX_LENGTHS["mobile_phone"], description="With the country code."
    )
    mailing_street: StrictStr | None = _text("mailing_street")
    mailing_city: StrictStr | None = _text("mailing_city")
    mailing_state: StrictStr | None = _text("mailing_state")
    mailing_postal_code: StrictStr | None = _text("mailing_postal_code")
    mailing_country: StrictStr | None = Field(
        None, max_length=2, description="ISO 3166-1 alpha-2 code."
    )
    mailing_latitude: Decimal | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    mailing_longitude: Decimal | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    gender: Gender | None = None
    marital_status: MaritalStatus | None = None
    number_of_children: StrictInt | None = Field(None, ge=0, le=MAX_CHILDREN)
    primary_language: StrictStr | None = Field(
        None, max_length=3, description="ISO 639-1 or 639-3 code."
    )
    secondary_language: StrictStr | None = Field(
        None, max_length=3, description="ISO 639-1 or 639-3 code."
    )
    highest_education: Education | None = None
    citizenship: list[Annotated[StrictStr, Field(max_length=2)]] | None = Field(
        None, max_length=MAX_CITIZENSHIPS, description="ISO 3166-1 alpha-2 codes."
    )
    deceased: StrictBool | None = None

    def submitted(self) -> dict[str, Any]:
        """The fields the client sent, as plain values for the services."""
        data = self.model_dump(exclude_unset=True)
        for name in ("gender", "marital_status", "highest_education"):
            if data.get(name) is not None:
                data[name] = str(data[name])
        return data


# The output shapes are plain pydantic models, not ninja Schemas: a Schema re-reads every
# attribute when ninja validates the response, which would turn absent fields into nulls.


class PersonOut(BaseModel):
    """A person as the caller may see it.

    The personal fields of a group the caller's role may not see are absent (not null);
    `visible_groups` names the groups that are present. Null means "not recorded".
    """

    id: str
    reference: str
    owner_organisation: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    visible_groups: list[str]
    # demographics, always present
    gender: Gender
    marital_status: MaritalStatus | None = None
    number_of_children: int | None = None
    primary_language: str | None = None
    secondary_language: str | None = None
    highest_education: Education | None = None
    citizenship: list[str] = []
    deceased: bool = False
    # identity group
    salutation: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    second_name: str | None = None
    birthdate: datetime.date | None = None
    identity_number: str | None = None
    title: str | None = None
    # contact group
    email: str | None = None
    home_phone: str | None = None
    mobile_phone: str | None = None
    # location group
    mailing_street: str | None = None
    mailing_city: str | None = None
    mailing_state: str | None = None
    mailing_postal_code: str | None = None
    mailing_country: str | None = None
    mailing_latitude: float | None = None
    mailing_longitude: float | None = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> PersonOut:
        """From `PersonView.as_dict()`: only the keys present are set, so withheld ones stay out."""
        values = dict(data)
        # Blank demographic columns mean "not recorded": null, like the personal fields.
        for name in (
            "marital_status",
            "highest_education",
            "primary_language",
            "secondary_language",
        ):
            values[name] = values.get(name) or None
        return cls(**values)


class PersonPage(BaseModel):
    """One page of persons. Lists show the identity group only; fetch one person for more."""

    count: int = Field(description="Persons matching, over all pages.")
    page: int
    pages: int
    results: list[PersonOut]


class ErrorBody(BaseModel):
    code: str = Field(description="Stable, for programs: invalid, not_found, forbidden, …")
    message: str = Field(description="For people, in the language of the request.")
    fields: dict[str, list[str]] = Field(description="Messages per submitted field.")


class ErrorOut(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorBody
