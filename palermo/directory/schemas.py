"""The directory API's input and output shapes, as the OpenAPI document at /api/docs shows them.

Input types are strict (no number for a name, no string for a list); meaning (a real country,
a possible phone number, an age range that is not reversed, opening hours that do not overlap)
is checked by `validation.py`, shared with the pages.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, StrictBool, StrictFloat, StrictInt, StrictStr

from palermo.accounts.models import OrganisationType
from palermo.people.schemas import ErrorOut

from .models import ServiceType
from .validation import MAX_LENGTHS, MAX_NATIONALITIES

__all__ = ["ErrorOut"]

Number = Annotated[StrictFloat, Field(allow_inf_nan=False)]
Hours = dict[
    str, list[Annotated[list[Annotated[StrictStr, Field(max_length=5)]], Field(max_length=2)]]
]


class ProviderIn(Schema):
    """A provider; on PATCH only the fields sent change. Unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr | None = Field(None, max_length=MAX_LENGTHS["name"])
    org_type: OrganisationType | None = Field(None, description="HTCDS org_Type.")
    country: StrictStr | None = Field(None, max_length=2, description="ISO 3166-1 alpha-2.")
    phone: StrictStr | None = Field(None, max_length=MAX_LENGTHS["phone"])
    email: StrictStr | None = Field(None, max_length=MAX_LENGTHS["email"])
    website: StrictStr | None = Field(None, max_length=MAX_LENGTHS["website"])
    public: StrictBool | None = None
    organisation: StrictStr | None = Field(
        None,
        max_length=36,
        description="Public id of the coalition organisation (administrators only); "
        "null or empty for a provider outside Palermo.",
    )

    def submitted(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        if data.get("org_type") is not None:
            data["org_type"] = str(data["org_type"].value)
        # null means "empty" for the optional texts.
        for name in ("phone", "email", "website"):
            if name in data and data[name] is None:
                data[name] = ""
        return data


class ServiceIn(Schema):
    """A service; on PATCH only the fields sent change (null clears an optional value)."""

    model_config = ConfigDict(extra="forbid")

    service_type: ServiceType | None = None
    description: StrictStr | None = Field(None, max_length=MAX_LENGTHS["description"])
    languages: list[Annotated[StrictStr, Field(max_length=3)]] | None = Field(
        None, max_length=20, description="ISO 639-1 or 639-3 codes."
    )
    genders: list[StrictStr] | None = Field(
        None, max_length=6, description="HTCDS prs_Gender values served; empty: everyone."
    )
    min_age: StrictInt | None = None
    max_age: StrictInt | None = None
    nationalities: list[Annotated[StrictStr, Field(max_length=2)]] | None = Field(
        None, max_length=MAX_NATIONALITIES, description="ISO 3166-1 alpha-2; empty: any."
    )
    capacity: StrictInt | None = None
    available_places: StrictInt | None = None
    opening_hours: Hours | None = Field(
        None, description='Per weekday: {"mon": [["09:00", "17:00"]], …}; a day left out is closed.'
    )
    open_24_hours: StrictBool | None = None
    phone: StrictStr | None = Field(None, max_length=MAX_LENGTHS["phone"])
    admin_area: StrictStr | None = Field(None, max_length=MAX_LENGTHS["admin_area"])
    city: StrictStr | None = Field(None, max_length=MAX_LENGTHS["city"])
    latitude: Number | None = None
    longitude: Number | None = None
    address: StrictStr | None = Field(
        None, max_length=MAX_LENGTHS["address"], description="Stored encrypted."
    )
    confidential_address: StrictBool | None = None
    active: StrictBool | None = None

    def submitted(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        if data.get("service_type") is not None:
            data["service_type"] = str(data["service_type"].value)
        for name in ("description", "phone", "admin_area", "city"):
            if name in data and data[name] is None:
                data[name] = ""
        for name in ("languages", "genders", "nationalities"):
            if name in data and data[name] is None:
                data[name] = []
        if "opening_hours" in data and data["opening_hours"] is None:
            data["opening_hours"] = {}
        for name in ("open_24_hours", "confidential_address", "active"):
            if name in data and data[name] is None:
                data.pop(name)
        return data


class AvailabilityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    available_places: StrictInt = Field(..., description="Places available now.")


class ServiceOut(BaseModel):
    """A service. `address` is present only when shown to the caller (its read is audited)."""

    id: str
    provider: str
    provider_name: str
    service_type: str
    description: str
    languages: list[str]
    genders: list[str]
    min_age: int | None
    max_age: int | None
    nationalities: list[str]
    capacity: int | None
    available_places: int | None
    availability_updated_at: datetime.datetime | None
    availability_stale: bool
    opening_hours: dict[str, list[list[str]]]
    open_24_hours: bool
    phone: str
    admin_area: str
    city: str
    latitude: float | None
    longitude: float | None
    confidential_address: bool
    active: bool
    address: str | None = None
    address_withheld: bool | None = None


class ProviderOut(BaseModel):
    id: str
    name: str
    org_type: str
    country: str
    organisation: str | None
    phone: str
    email: str
    website: str
    public: bool
    can_manage: bool
    services: list[ServiceOut] | None = None


class ProviderPage(BaseModel):
    count: int
    page: int
    pages: int
    results: list[ProviderOut]


class ServicePage(BaseModel):
    count: int
    page: int
    pages: int
    results: list[ServiceOut]


class MatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    needs: list[ServiceType] = Field(default_factory=list, max_length=len(ServiceType))
    latitude: Number | None = None
    longitude: Number | None = None
    area: StrictStr = Field("", max_length=120)
    city: StrictStr = Field("", max_length=120)
    places_now: StrictBool = False
    country: StrictStr | None = Field(
        None, max_length=2, description="Default: the case's country."
    )

    def submitted(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        if "needs" in data:
            data["needs"] = [str(n.value) for n in data["needs"]]
        return data


class FactorOut(BaseModel):
    factor: str = Field(description="fit | eligibility | language | capacity | distance")
    label: str
    code: str
    text: str = Field(description="The reason, in the caller's language.")
    points: float


class MatchRowOut(BaseModel):
    service: str
    service_type: str
    provider: str
    provider_name: str
    score: float
    distance_km: float | None
    full: bool
    explanation: list[FactorOut]
    refer_url: str | None = None


class PersonFactsOut(BaseModel):
    gender: str | None
    age: int | None
    age_withheld: bool
    nationalities: list[str]
    languages: list[str]


class MatchOut(BaseModel):
    case: str
    country: str
    person: PersonFactsOut
    ranked: list[MatchRowOut]
    not_eligible: list[MatchRowOut]


class PublicServiceOut(BaseModel):
    """What anyone may know of a service. A confidential address is never here."""

    id: str
    provider_name: str
    provider_type: str
    service_type: str
    service_label: str
    description: str
    languages: list[str]
    genders: list[str]
    min_age: int | None
    max_age: int | None
    nationalities: list[str]
    opening_hours: dict[str, list[list[str]]]
    open_24_hours: bool
    phone: str
    email: str
    website: str
    city: str
    admin_area: str
    address: str | None
    latitude: float | None
    longitude: float | None


class PublicListingOut(BaseModel):
    country: str
    hotlines: list[PublicServiceOut]
    services: list[PublicServiceOut]
