"""Reads for the channel pages and API, already restricted by access.py."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.urls import reverse

from palermo.accounts.actors import Actor

from .access import channels_visible_to, may_change
from .conf import channel_settings
from .models import Channel, ChannelType, Direction
from .services import display_number
from .signatures import AFRICASTALKING_SECRET_PARAM


@dataclass(frozen=True)
class ChannelRow:
    channel: Channel
    number: str
    receive_url: str
    status_url: str
    inbound_count: int
    last_inbound_at: object
    may_change: bool

    @property
    def needs_url_secret(self) -> bool:
        return self.channel.type == ChannelType.AFRICASTALKING


def webhook_urls(channel: Channel, *, base: str = "") -> tuple[str, str]:
    """The receive and status URLs to give the gateway (absolute when a base is known).

    For Africa's Talking the URL secret is appended as ``?secret=…`` by whoever configures
    the gateway; these URLs never carry it.
    """
    base = base or channel_settings().public_url
    kwargs = {"channel_type": channel.type, "channel_id": channel.public_id}
    return (
        base + reverse("channels:receive", kwargs=kwargs),
        base + reverse("channels:status", kwargs=kwargs),
    )


def secret_url(url: str) -> str:
    """An Africa's Talking URL with its secret placeholder, for the pages."""
    return f"{url}?{AFRICASTALKING_SECRET_PARAM}=…"


def channel_rows(*, actor: Actor, base: str = "") -> list[ChannelRow]:
    """Every channel (for those who manage channels), with its URLs and inbound counts,
    whether the actor may change it, own organisation's first (one query)."""
    channels = list(
        channels_visible_to(actor)
        .defer("secret", "api_key")
        .select_related("organisation")
        .annotate(
            inbound_count=Count("messages", filter=Q(messages__direction=Direction.INBOUND)),
            last_inbound_at=Max(
                "messages__received_at", filter=Q(messages__direction=Direction.INBOUND)
            ),
        )
    )
    rows = []
    for channel in channels:
        receive, status = webhook_urls(channel, base=base)
        rows.append(
            ChannelRow(
                channel=channel,
                number=display_number(channel.address),
                receive_url=receive,
                status_url=status,
                inbound_count=channel.inbound_count,  # type: ignore[attr-defined]
                last_inbound_at=channel.last_inbound_at,  # type: ignore[attr-defined]
                may_change=may_change(actor, channel),
            )
        )
    rows.sort(key=lambda row: (not row.may_change, not row.channel.active))  # stable
    return rows
