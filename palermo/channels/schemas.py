from __future__ import annotations

import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class ChannelOut(Schema):
    id: UUID
    type: str
    address: str
    country: str
    language: str
    label: str
    active: bool
    receive_url: str
    status_url: str
    inbound_count: int
    last_inbound_at: datetime.datetime | None


class ChannelIn(Schema):
    type: str = Field(max_length=20)
    address: str = Field(max_length=32)
    country: str = Field(max_length=2)
    secret: str = Field(default="", max_length=256)
    language: str = Field(default="en", max_length=8)
    label: str = Field(default="", max_length=100)
    account: str = Field(default="", max_length=64)
    api_key: str = Field(default="", max_length=256)
    outbound_url: str = Field(default="", max_length=200)


class ChannelCreated(Schema):
    id: UUID
    receive_url: str
    status_url: str
    secret: str | None = Field(
        default=None, description="Only when Palermo generated it: shown this once."
    )
