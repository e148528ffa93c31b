"""Every write to the directory. Each is atomic and writes its audit event alongside.

The street address is the only sensitive value here (it can locate a shelter and the people in
it): a write that touches it is audited with the "location" field group. Audit details name the
fields changed, never their values.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation
from palermo.audit.services import audit_record
from palermo.errors import Forbidden, NotFound, invalid

from .access import manages_country, may_manage, public_key, require_manage
from .models import Provider, Service
from .validation import clean_availability, clean_provider_input, clean_service_input

SENSITIVE_FIELDS = frozenset({"address"})


def _groups(fields: set[str] | list[str]) -> list[str]:
    return ["location"] if SENSITIVE_FIELDS & set(fields) else []


def _organisation(actor: Actor, value: Any, country: str) -> Organisation | None:
    """The coalition organisation an administrator links a provider to (same country)."""
    if value in (None, ""):
        return None
    message = _("Choose an organisation of the coalition in %(country)s.") % {"country": country}
    if not isinstance(value, str):
        raise invalid({"organisation": [message]})
    try:
        key = public_key(value.strip())
    except NotFound as exc:  # not a UUID
        raise invalid({"organisation": [message]}) from exc
    organisation = Organisation.objects.filter(public_id=key, country=country).first()
    if organisation is None:
        raise invalid({"organisation": [message]})
    return organisation


@transaction.atomic
def provider_create(*, actor: Actor, data: dict[str, Any]) -> Provider:
    """Add a provider; audited as provider.create.

    Administrators add providers of their own country (linked to a coalition organisation or
    not); a service provider's members add the record of their own organisation only.
    """
    require_manage(actor)
    assert actor.organisation is not None  # noqa: S101 - require_manage checked it
    own_country = actor.organisation.country
    data = dict(data)
    organisation_value = data.pop("organisation", None)
    cleaned = clean_provider_input(
        {"country": own_country, **data} if manages_country(actor) else data, creating=True
    )
    if manages_country(actor):
        if cleaned["country"] != own_country:
            raise invalid(
                {
                    "country": [
                        _("You may add providers only in your country (%(country)s).")
                        % {"country": own_country}
                    ]
                }
            )
        organisation = _organisation(actor, organisation_value, own_country)
    else:
        if organisation_value not in (None, "", str(actor.organisation.public_id)):
            raise Forbidden(_("You may add only your own organisation's provider record."))
        organisation = actor.organisation
        cleaned["country"] = own_country
    if organisation is not None and Provider.objects.filter(organisation=organisation).exists():
        raise invalid({"organisation": [_("This organisation already has a provider record.")]})
    provider = Provider(organisation=organisation, **cleaned)
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError as exc:  # a concurrent create for the same organisation
        raise invalid(
            {"organisation": [_("This organisation already has a provider record.")]}
        ) from exc
    audit_record(
        actor=actor,
        action="provider.create",
        object_type="provider",
        object_id=str(provider.public_id),
        details={"fields": sorted(cleaned), "linked": organisation is not None},
        subject_organisation=organisation,
    )
    return provider


@transaction.atomic
def provider_update(*, actor: Actor, provider: Provider, data: dict[str, Any]) -> Provider:
    """Change a provider the actor manages; audited as provider.update (nothing if unchanged)."""
    require_manage(actor)
    if not may_manage(actor, provider):
        raise Forbidden()
    data = dict(data)
    cleaned = clean_provider_input(
        {k: v for k, v in data.items() if k != "organisation"}, creating=False
    )
    if "country" in cleaned and cleaned["country"] != provider.country:
        raise invalid({"country": [_("A provider cannot move to another country.")]})
    if "organisation" in data:
        if not manages_country(actor):
            raise Forbidden(_("Only an administrator links a provider to an organisation."))
        organisation = _organisation(actor, data["organisation"], provider.country)
        if (
            organisation is not None
            and Provider.objects.filter(organisation=organisation).exclude(pk=provider.pk).exists()
        ):
            raise invalid({"organisation": [_("This organisation already has a provider record.")]})
        if organisation != provider.organisation:
            cleaned["organisation"] = organisation
    changed = [name for name, value in cleaned.items() if getattr(provider, name) != value]
    if not changed:
        return provider
    for name in changed:
        setattr(provider, name, cleaned[name])
    provider.save()
    audit_record(
        actor=actor,
        action="provider.update",
        object_type="provider",
        object_id=str(provider.public_id),
        details={"fields": sorted(changed)},
        subject_organisation=provider.organisation,
    )
    return provider


@transaction.atomic
def provider_delete(*, actor: Actor, provider: Provider) -> None:
    """Remove a provider and its services (administrators of its country only).

    Referrals that named one of its services keep their receiving organisation; their link to
    the service is cleared.
    """
    require_manage(actor)
    if not manages_country(actor) or not may_manage(actor, provider):
        raise Forbidden()
    public_id, organisation = str(provider.public_id), provider.organisation
    services = provider.services.count()
    provider.delete()
    audit_record(
        actor=actor,
        action="provider.delete",
        object_type="provider",
        object_id=public_id,
        details={"services": services},
        subject_organisation=organisation,
    )


def _current(service: Service) -> dict[str, Any]:
    return {
        "min_age": service.min_age,
        "max_age": service.max_age,
        "capacity": service.capacity,
        "available_places": service.available_places,
        "latitude": service.latitude,
        "longitude": service.longitude,
    }


@transaction.atomic
def service_create(*, actor: Actor, provider: Provider, data: dict[str, Any]) -> Service:
    """Add a service to a provider the actor manages; audited as service.create."""
    require_manage(actor)
    if not may_manage(actor, provider):
        raise Forbidden()
    cleaned = clean_service_input(data)
    service = Service(provider=provider, **cleaned)
    if cleaned.get("available_places") is not None:
        service.availability_updated_at = timezone.now()
    service.save()
    audit_record(
        actor=actor,
        action="service.create",
        object_type="service",
        object_id=str(service.public_id),
        field_groups=_groups(list(cleaned)),
        details={"provider": str(provider.public_id), "fields": sorted(cleaned)},
        subject_organisation=provider.organisation,
    )
    return service


@transaction.atomic
def service_update(*, actor: Actor, service: Service, data: dict[str, Any]) -> Service:
    """Change a service the actor manages; audited as service.update (nothing if unchanged)."""
    require_manage(actor)
    if not may_manage(actor, service.provider):
        raise Forbidden()
    cleaned = clean_service_input(data, current=_current(service))
    changed = [name for name, value in cleaned.items() if getattr(service, name) != value]
    if not changed:
        return service
    for name in changed:
        setattr(service, name, cleaned[name])
    if "available_places" in changed:
        service.availability_updated_at = timezone.now()
    service.save()
    audit_record(
        actor=actor,
        action="service.update",
        object_type="service",
        object_id=str(service.public_id),
        field_groups=_groups(changed),
        details={"fields": sorted(changed)},
        subject_organisation=service.provider.organisation,
    )
    return service


@transaction.atomic
def service_set_availability(*, actor: Actor, service: Service, places: Any) -> Service:
    """The quick "places available now" update; records when, even if the number is the same."""
    require_manage(actor)
    if not may_manage(actor, service.provider):
        raise Forbidden()
    # Locked: two staff updating from their phones at once must not interleave.
    locked = Service.objects.select_for_update().get(pk=service.pk)
    cleaned = clean_availability(places, locked.capacity)
    previous = locked.available_places
    locked.available_places = cleaned
    locked.availability_updated_at = timezone.now()
    locked.save(update_fields=["available_places", "availability_updated_at", "updated_at"])
    audit_record(
        actor=actor,
        action="service.availability",
        object_type="service",
        object_id=str(locked.public_id),
        details={"places": cleaned, "previous": previous},
        subject_organisation=service.provider.organisation,
    )
    service.available_places = locked.available_places
    service.availability_updated_at = locked.availability_updated_at
    return service


@transaction.atomic
def service_delete(*, actor: Actor, service: Service) -> None:
    """Remove a service the actor manages (referrals that named it keep their other facts)."""
    require_manage(actor)
    if not may_manage(actor, service.provider):
        raise Forbidden()
    public_id, provider = str(service.public_id), service.provider
    service.delete()
    audit_record(
        actor=actor,
        action="service.delete",
        object_type="service",
        object_id=public_id,
        details={"provider": str(provider.public_id)},
        subject_organisation=provider.organisation,
    )
