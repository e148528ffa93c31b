"""The choke point for the directory: who reads it, who manages which provider, who sees an address.

- Reading the staff directory (every provider, public or not, and availability): members whose
  role takes part in the referral mechanism (cases, referrals, the hotline) or manages the
  directory. Anyone else gets NotFound (404), as if the pages did not exist.
- Managing: DIRECTORY_MANAGE. Administrators (who also manage the coalition's organisations)
  manage every provider of their organisation's country, coalition members and providers outside
  Palermo alike; anyone else with the permission (a service provider's members) manages only the
  provider of their own organisation. A provider the actor may read but not manage is Forbidden
  (403): it already knows the provider exists, so the honest answer leaks nothing.
- A street address that is not confidential is public information. A confidential one is shown
  only to the provider's own organisation and to those who manage the provider.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import Forbidden, NotFound

from .models import Provider, Service

READ_PERMISSIONS = (
    Perm.CASE_VIEW,
    Perm.REFERRAL_SEND,
    Perm.CONTACT_VIEW,
    Perm.DIRECTORY_MANAGE,
)


def can_read_directory(actor: Actor | None) -> bool:
    return (
        actor is not None
        and actor.user is not None
        and actor.organisation is not None
        and any(actor.can(p) for p in READ_PERMISSIONS)
    )


def manages_country(actor: Actor) -> bool:
    """A directory administrator of its organisation's country (not only its own provider)."""
    return (
        actor.organisation is not None
        and actor.can(Perm.DIRECTORY_MANAGE)
        and actor.can(Perm.ORGANISATION_MANAGE)
    )


def can_manage_directory(actor: Actor | None) -> bool:
    return (
        actor is not None
        and actor.user is not None
        and actor.organisation is not None
        and actor.can(Perm.DIRECTORY_MANAGE)
    )


def require_read(actor: Actor | None) -> Actor:
    if actor is None or not can_read_directory(actor):
        raise NotFound()
    return actor


def require_manage(actor: Actor | None) -> Actor:
    if actor is None or not can_manage_directory(actor):
        raise Forbidden()
    return actor


def providers_managed_by(actor: Actor) -> QuerySet[Provider]:
    """The providers the actor may change; empty when none."""
    if not can_manage_directory(actor) or actor.organisation is None:
        return Provider.objects.none()
    if manages_country(actor):
        return Provider.objects.filter(country=actor.organisation.country)
    return Provider.objects.filter(organisation_id=actor.organisation.pk)


def providers_visible_to(actor: Actor) -> QuerySet[Provider]:
    if not can_read_directory(actor):
        return Provider.objects.none()
    return Provider.objects.all()


def services_visible_to(actor: Actor) -> QuerySet[Service]:
    if not can_read_directory(actor):
        return Service.objects.none()
    return Service.objects.all()


def public_key(public_id: UUID | str) -> UUID:
    """An id from a URL; anything that is not a canonical UUID is simply not found."""
    if isinstance(public_id, UUID):
        return public_id
    if len(public_id) > 36:
        raise NotFound()
    try:
        return UUID(public_id)
    except ValueError as exc:
        raise NotFound() from exc


def may_manage(actor: Actor, provider: Provider) -> bool:
    if not can_manage_directory(actor) or actor.organisation is None:
        return False
    if manages_country(actor):
        return provider.country == actor.organisation.country
    return (
        provider.organisation_id is not None and provider.organisation_id == actor.organisation_id
    )


def provider_for_actor(actor: Actor, public_id: UUID | str, action: str = "view") -> Provider:
    """The provider if the actor may `view` or `manage` it; NotFound / Forbidden otherwise."""
    key = public_key(public_id)
    provider = (
        providers_visible_to(actor).select_related("organisation").filter(public_id=key).first()
    )
    if provider is None:
        if action == "manage" and can_manage_directory(actor):
            # A manager who cannot read the directory (no such role today) still finds its own.
            provider = providers_managed_by(actor).filter(public_id=key).first()
        if provider is None:
            raise NotFound()
    if action == "manage" and not may_manage(actor, provider):
        raise Forbidden()
    return provider


def service_for_actor(actor: Actor, public_id: UUID | str, action: str = "view") -> Service:
    """The service if the actor may `view` or `manage` it; NotFound / Forbidden otherwise."""
    key = public_key(public_id)
    service = (
        Service.objects.select_related("provider", "provider__organisation")
        .filter(public_id=key)
        .first()
    )
    if service is None:
        raise NotFound()
    readable = can_read_directory(actor)
    if action == "manage":
        if may_manage(actor, service.provider):
            return service
        if readable or can_manage_directory(actor):
            raise Forbidden()
        raise NotFound()
    if not readable:
        raise NotFound()
    return service


def may_see_address(actor: Actor, service: Service) -> bool:
    """A confidential address only to the provider's own organisation and its managers."""
    if not service.confidential_address:
        return can_read_directory(actor) or may_manage(actor, service.provider)
    own = (
        can_read_directory(actor)
        and service.provider.organisation_id is not None
        and service.provider.organisation_id == actor.organisation_id
    )
    return own or may_manage(actor, service.provider)
