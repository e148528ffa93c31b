"""Who may manage channels, and which channels they see.

Administrators (Perm.CHANNEL_MANAGE) manage their own organisation's channels and those that
belong to no organisation (made with `palermo channel create` without --organisation).
Commands act as the system. Anything else is NotFound (404).
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q, QuerySet

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
    if _is_system(actor):
        return Channel.objects.all()
    return Channel.objects.filter(Q(organisation=actor.organisation) | Q(organisation__isnull=True))


def channel_for_actor(actor: Actor, public_id: UUID | str) -> Channel:
    """The channel if the actor may manage it; NotFound otherwise (or if there is none)."""
    try:
        key = public_id if isinstance(public_id, UUID) else UUID(str(public_id)[:36])
    except ValueError as exc:
        raise NotFound() from exc
    channel = channels_visible_to(actor).filter(public_id=key).first()
    if channel is None:
        raise NotFound()
    return channel
