"""The choke point for contacts, situations and campaigns: every page and endpoint gets them
through here.

Contacts belong to the organisation that received them (the hotline). Its members whose role
may view contacts see them all; nobody else sees any: NotFound (404), never a hint. An actor
who may see a contact but not perform an action on it (escalate, change) gets Forbidden.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from django.db.models import QuerySet

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import Forbidden, NotFound

from .models import Campaign, Contact, Situation

Action = Literal["view", "change", "escalate"]
_ACTION_PERMISSION = {
    "view": Perm.CONTACT_VIEW,
    "change": Perm.CONTACT_CREATE,
    "escalate": Perm.CONTACT_ESCALATE,
}


def contacts_visible_to(actor: Actor) -> QuerySet[Contact]:
    """The contacts the actor may see: its organisation's, if its role may view contacts."""
    if actor.user is None or actor.organisation is None or not actor.can(Perm.CONTACT_VIEW):
        return Contact.objects.none()
    return Contact.objects.filter(owner_organisation=actor.organisation)


def situations_visible_to(actor: Actor) -> QuerySet[Situation]:
    if actor.user is None or actor.organisation is None or not actor.can(Perm.CONTACT_VIEW):
        return Situation.objects.none()
    return Situation.objects.filter(owner_organisation=actor.organisation)


def require_permission(actor: Actor, permission: Perm) -> None:
    """For actions not about one record (the queue, a new contact): Forbidden unless allowed."""
    if actor.user is None or actor.organisation is None or not actor.can(permission):
        raise Forbidden()


def public_key(public_id: UUID | str) -> UUID:
    """A public id from a URL or a form; anything that is not a UUID is simply not found."""
    if isinstance(public_id, UUID):
        return public_id
    if not isinstance(public_id, str) or len(public_id) > 36:
        raise NotFound()
    try:
        return UUID(public_id)
    except ValueError as exc:
        raise NotFound() from exc


def contact_for_actor(actor: Actor, public_id: UUID | str, action: Action = "view") -> Contact:
    """The contact with this public id if the actor may perform `action` on it.

    NotFound when the actor may not see it (or it does not exist); Forbidden when it may see
    it but not perform `action`.
    """
    key = public_key(public_id)
    contact = (
        contacts_visible_to(actor)
        .select_related("owner_organisation", "campaign", "assigned_to", "situation")
        .filter(public_id=key)
        .first()
    )
    if contact is None:
        raise NotFound()
    if not actor.can(_ACTION_PERMISSION[action]):
        raise Forbidden()
    return contact


def situation_for_actor(
    actor: Actor, public_id: UUID | str, action: Literal["view", "change"] = "view"
) -> Situation:
    """The situation with this public id if the actor may perform `action` on it.

    Situations follow their contacts: the organisation's members who may view contacts see
    them (NotFound for anyone else); those who may record contacts change them (Forbidden for
    the others).
    """
    key = public_key(public_id)
    situation = (
        situations_visible_to(actor)
        .select_related("owner_organisation", "created_by")
        .filter(public_id=key)
        .first()
    )
    if situation is None:
        raise NotFound()
    if not actor.can(_ACTION_PERMISSION[action]):
        raise Forbidden()
    return situation


def may_manage_campaigns(actor: Actor) -> bool:
    """Supervisors and administrators keep their organisation's campaigns."""
    return (
        actor.user is not None
        and actor.organisation is not None
        and actor.can(Perm.CAMPAIGN_MANAGE)
    )


def campaign_for_actor(actor: Actor, public_id: UUID | str) -> Campaign:
    """One of the actor's organisation's campaigns, for a campaign manager; NotFound else."""
    if not may_manage_campaigns(actor):
        raise NotFound()
    key = public_key(public_id)
    campaign = Campaign.objects.filter(owner_organisation=actor.organisation, public_id=key).first()
    if campaign is None:
        raise NotFound()
    return campaign
