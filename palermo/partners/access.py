"""Who may manage partner deployments, and who sees the referrals that come from them.

Partner deployments belong to the whole deployment: administrators (Perm.PARTNER_MANAGE) of any
organisation see and change them, and operators' commands act as the system. A referral from a
partner is seen by the members of the organisation designated to receive it whose role may
answer referrals (Perm.REFERRAL_RESPOND); anyone else gets NotFound (404), never a hint. Accepting
also creates a person and a case here, so it needs the permissions for those too (a case worker
or a supervisor): a member who may see but not accept gets Forbidden (403).
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from django.db.models import QuerySet

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import Forbidden, NotFound

from .models import IncomingReferral, PartnerDeployment

IncomingAction = Literal["view", "answer", "accept"]
ACCEPT_PERMISSIONS = (Perm.REFERRAL_RESPOND, Perm.PERSON_CREATE, Perm.CASE_OPEN)


def is_system(actor: Actor) -> bool:
    return actor.user is None and actor.role is None and actor.token is None


def may_manage_partners(actor: Actor | None) -> bool:
    if actor is None:
        return False
    if is_system(actor):
        return True
    return (
        actor.user is not None and actor.organisation is not None and actor.can(Perm.PARTNER_MANAGE)
    )


def require_partner_manager(actor: Actor) -> None:
    if not may_manage_partners(actor):
        raise Forbidden()


def public_key(public_id: UUID | str) -> UUID:
    """A public id from a URL; anything that is not a canonical UUID is simply not found."""
    if isinstance(public_id, UUID):
        return public_id
    if len(public_id) > 36:
        raise NotFound()
    try:
        return UUID(public_id)
    except ValueError as exc:
        raise NotFound() from exc


def partner_for_manager(actor: Actor, public_id: UUID | str) -> PartnerDeployment:
    require_partner_manager(actor)
    partner = PartnerDeployment.objects.filter(public_id=public_key(public_id)).first()
    if partner is None:
        raise NotFound()
    return partner


def may_see_incoming(actor: Actor | None) -> bool:
    return (
        actor is not None
        and actor.user is not None
        and actor.organisation is not None
        and actor.can(Perm.REFERRAL_RESPOND)
    )


def may_accept_incoming(actor: Actor) -> bool:
    return may_see_incoming(actor) and all(actor.can(p) for p in ACCEPT_PERMISSIONS)


def incoming_visible_to(actor: Actor) -> QuerySet[IncomingReferral]:
    if not may_see_incoming(actor):
        return IncomingReferral.objects.none()
    return IncomingReferral.objects.filter(receiving_organisation_id=actor.organisation_id)


def incoming_for_actor(
    actor: Actor, public_id: UUID | str, action: IncomingAction = "view"
) -> IncomingReferral:
    """An incoming referral the actor may see (NotFound otherwise) and act on (Forbidden)."""
    incoming = (
        incoming_visible_to(actor)
        .select_related("partner", "receiving_organisation", "person", "case")
        .filter(public_id=public_key(public_id))
        .first()
    )
    if incoming is None:
        raise NotFound()
    if action == "accept" and not may_accept_incoming(actor):
        raise Forbidden()
    return incoming
