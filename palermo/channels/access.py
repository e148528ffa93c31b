"""Who may manage channels, and which channels they see.

Administrators (Perm.CHANNEL_MANAGE) see every channel of the deployment (a channel is a
published number, not a record about anyone), so that whoever looks after the deployment sees
all its numbers; they change only their own organisation's channels and those that belong to
no organisation (made with `palermo channel create` without --organisation): another
organisation's channel is Forbidden (403). Commands act as the system. Anyone else gets
NotFound (404).
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import Forbidden, NotFound

from .models import Channel


def _is_system(actor: Actor) -> bool:
    return actor.user is None and actor.role is None and actor.token is None


def may_manage_channels(actor: Actor | None) -> bool:
    if actor is None:
        return False
    if _is_system(actor):
        return True
    return actor.organisation is not None and actor.can(Perm.CHANNEL_MANAGE)


def require_channel_manager(actor: Actor) -> None:
    if not may_manage_channels(actor):
        raise Forbidden()


def channels_visible_to(actor: Actor) -> QuerySet[Channel]:
    if not may_manage_channels(actor):
        return Channel.objects.none()
    return Channel.objects.all()


def may_change(actor: Actor, channel: Channel) -> bool:
    """Whether the actor may change (deactivate) this channel."""
    if _is_system(actor):
        return True
    return may_manage_channels(actor) and channel.organisation_id in (
        None,
        actor.organisation_id,
    )


def channel_for_actor(actor: Actor, public_id: UUID | str) -> Channel:
    """The channel, to change: NotFound if the actor may not see it (or there is none),
    Forbidden if it belongs to another organisation."""
    try:
        key = public_id if isinstance(public_id, UUID) else UUID(str(public_id)[:36])
    except ValueError as exc:
        raise NotFound() from exc
    channel = channels_visible_to(actor).filter(public_id=key).first()
    if channel is None:
        raise NotFound()
    if not may_change(actor, channel):
        raise Forbidden(_("This channel belongs to another organisation."))
    return channel
