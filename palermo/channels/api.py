"""The channels API: administrators list, create and deactivate channels."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from palermo.accounts.actors import Actor
from palermo.errors import NotFound

from . import selectors, services
from .access import channel_for_actor, may_manage_channels
from .schemas import ChannelCreated, ChannelIn, ChannelOut

router = Router(tags=["channels"])


def _manager(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    if not may_manage_channels(actor) or actor.user is None:
        raise NotFound()
    return actor


def _base(request: HttpRequest) -> str:
    from .conf import channel_settings

    return channel_settings().public_url or request.build_absolute_uri("/").rstrip("/")


@router.get("/", response=list[ChannelOut])
def list_channels(request: HttpRequest) -> list[dict[str, object]]:
    actor = _manager(request)
    return [
        {
            "id": row.channel.public_id,
            "type": row.channel.type,
            "address": row.channel.address,
            "country": row.channel.country,
            "language": row.channel.language,
            "label": row.channel.label,
            "active": row.channel.active,
            "receive_url": row.receive_url,
            "status_url": row.status_url,
            "inbound_count": row.inbound_count,
            "last_inbound_at": row.last_inbound_at,
        }
        for row in selectors.channel_rows(actor=actor, base=_base(request))
    ]


@router.post("/", response={201: ChannelCreated})
def create_channel(request: HttpRequest, payload: ChannelIn) -> Status:
    actor = _manager(request)
    channel = services.channel_create(actor=actor, data=payload.dict())
    receive, status = selectors.webhook_urls(channel, base=_base(request))
    generated = not payload.secret.strip() and channel.type != "twilio"
    return Status(
        201,
        {
            "id": channel.public_id,
            "receive_url": receive,
            "status_url": status,
            "secret": str(channel.secret) if generated else None,
        },
    )


@router.post("/{channel_id}/deactivate", response={204: None})
def deactivate_channel(request: HttpRequest, channel_id: str) -> Status:
    actor = _manager(request)
    channel = channel_for_actor(actor, channel_id)
    services.channel_deactivate(actor=actor, channel=channel)
    return Status(204, None)
