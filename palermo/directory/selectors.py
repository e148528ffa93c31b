"""Reads of the directory for pages and the API: access-checked, and audited where an address shows.

Lists never carry street addresses. A staff detail that shows an address records the read
(field group "location"); the public listing is built field by field and leaves out every
confidential address.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from palermo.accounts.actors import Actor
from palermo.audit.services import audit_read

from . import matching
from .access import (
    may_manage,
    may_see_address,
    provider_for_actor,
    providers_managed_by,
    require_read,
    service_for_actor,
    services_visible_to,
)
from .explanations import explain
from .models import Provider, Service, ServiceType

MAX_MATCH_CANDIDATES = 2000
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class SearchFilters:
    country: str = ""
    service_type: str = ""
    area: str = ""
    language: str = ""
    gender: str = ""
    age: int | None = None
    available_now: bool = False
    query: str = ""


def availability_age_days(service: Service, now: datetime.datetime | None = None) -> float | None:
    if service.availability_updated_at is None:
        return None
    now = now or timezone.now()
    return max(0.0, (now - service.availability_updated_at).total_seconds() / 86400)


def _search(services: QuerySet[Service], filters: SearchFilters) -> QuerySet[Service]:
    services = services.filter(active=True)
    if filters.country:
        services = services.filter(provider__country=filters.country)
    if filters.service_type:
        services = services.filter(service_type=filters.service_type)
    if filters.area:
        services = services.filter(
            Q(admin_area__icontains=filters.area) | Q(city__icontains=filters.area)
        )
    if filters.language:
        # JSON lists are stored as text like ["ro", "uk"]: the quotes make the match exact.
        services = services.filter(languages__icontains=f'"{filters.language}"')
    if filters.gender:
        services = services.filter(Q(genders=[]) | Q(genders__icontains=f'"{filters.gender}"'))
    if filters.age is not None:
        services = services.filter(
            Q(min_age__isnull=True) | Q(min_age__lte=filters.age),
            Q(max_age__isnull=True) | Q(max_age__gte=filters.age),
        )
    if filters.available_now:
        services = services.filter(available_places__gt=0)
    if filters.query:
        services = services.filter(
            Q(provider__name__icontains=filters.query) | Q(description__icontains=filters.query)
        )
    return services


def directory_search(
    *, actor: Actor, filters: SearchFilters, page_number: int | str = 1, per_page: int = 25
) -> Page[Service]:
    """Active services matching the filters, with their providers (two queries a page)."""
    require_read(actor)
    services = _search(services_visible_to(actor), filters).select_related("provider")
    services = services.order_by("provider__name", "service_type", "id")
    return Paginator(services, per_page).get_page(page_number)


@dataclass(frozen=True)
class ServiceView:
    service: Service
    address: str | None  # None when not recorded or not shown to this actor
    address_withheld: bool
    can_manage: bool


def service_detail(*, actor: Actor, public_id: UUID | str) -> ServiceView:
    """One service; an address shown to staff is a read of the location group, audited."""
    service = service_for_actor(actor, public_id, "view")
    shown = may_see_address(actor, service)
    address = service.address if shown else None
    if address:
        audit_read(
            actor=actor,
            object_type="service",
            object_id=str(service.public_id),
            field_groups=["location"],
            details={"confidential": service.confidential_address},
            subject_organisation=service.provider.organisation,
        )
    return ServiceView(
        service=service,
        address=address,
        address_withheld=bool(service.address) and not shown,
        can_manage=may_manage(actor, service.provider),
    )


def service_for_change(*, actor: Actor, public_id: UUID | str) -> Service:
    """A service the actor manages, for a write (the address is not shown: nothing audited)."""
    return service_for_actor(actor, public_id, "manage")


def service_address_for_edit(*, actor: Actor, service: Service) -> str:
    """The address shown in the edit form: a read by a manager, audited."""
    if not service.address:
        return ""
    audit_read(
        actor=actor,
        object_type="service",
        object_id=str(service.public_id),
        field_groups=["location"],
        details={"confidential": service.confidential_address, "form": True},
        subject_organisation=service.provider.organisation,
    )
    return service.address


@dataclass(frozen=True)
class ProviderView:
    provider: Provider
    services: list[Service]
    can_manage: bool


def provider_detail(*, actor: Actor, public_id: UUID | str) -> ProviderView:
    provider = provider_for_actor(actor, public_id, "view")
    services = list(provider.services.all().order_by("service_type", "id"))
    return ProviderView(provider, services, may_manage(actor, provider))


def provider_for_change(*, actor: Actor, public_id: UUID | str) -> Provider:
    """A provider the actor manages, for a write (NotFound / Forbidden otherwise)."""
    return provider_for_actor(actor, public_id, "manage")


def managed_providers(*, actor: Actor) -> list[Provider]:
    """The providers the actor manages (with their services), for the management page."""
    return list(
        providers_managed_by(actor)
        .select_related("organisation")
        .prefetch_related("services")
        .order_by("name", "id")
    )


def own_provider(*, actor: Actor) -> Provider | None:
    if actor.organisation is None:
        return None
    return providers_managed_by(actor).filter(organisation_id=actor.organisation.pk).first()


# --- public ---


@dataclass(frozen=True)
class PublicService:
    """What the public may know of a service: built field by field, never the model itself."""

    public_id: str
    provider_name: str
    provider_type: str
    service_type: str
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
    address: str | None  # only when the address is not confidential
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _public(service: Service) -> PublicService:
    provider = service.provider
    confidential = service.confidential_address
    return PublicService(
        public_id=str(service.public_id),
        provider_name=provider.name,
        provider_type=provider.org_type,
        service_type=service.service_type,
        description=service.description,
        languages=list(service.languages),
        genders=list(service.genders),
        min_age=service.min_age,
        max_age=service.max_age,
        nationalities=list(service.nationalities),
        opening_hours=dict(service.opening_hours),
        open_24_hours=service.open_24_hours,
        phone=service.phone or provider.phone,
        email=provider.email,
        website=provider.website,
        city=service.city,
        admin_area=service.admin_area,
        address=None if confidential or not service.address else service.address,
        # A confidential place is not pinned either: its coordinates could find it.
        latitude=None if confidential else service.latitude,
        longitude=None if confidential else service.longitude,
    )


def public_countries() -> list[str]:
    """Countries with at least one public, active service."""
    return sorted(
        set(
            Service.objects.filter(active=True, provider__public=True).values_list(
                "provider__country", flat=True
            )
        )
    )


def public_listing(
    *, country: str, service_type: str = "", language: str = "", area: str = ""
) -> tuple[list[PublicService], list[PublicService]]:
    """(hotlines, other services) of public providers in a country; no confidential address."""
    services = _search(
        Service.objects.filter(provider__public=True),
        SearchFilters(country=country, service_type=service_type, language=language, area=area),
    ).select_related("provider")
    rows = [_public(s) for s in services.order_by("service_type", "provider__name", "id")]
    hotlines = [
        _public(s)
        for s in Service.objects.filter(
            active=True,
            provider__public=True,
            provider__country=country,
            service_type=ServiceType.HOTLINE,
        )
        .select_related("provider")
        .order_by("provider__name", "id")
    ]
    return hotlines, [r for r in rows if r.service_type != ServiceType.HOTLINE]


# --- matching ---


@dataclass(frozen=True)
class MatchInput:
    """What the matching form (or the API) asks; validated by `matching_forms.clean_match`."""

    service_types: frozenset[str] = frozenset()
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    admin_area: str = ""
    city: str = ""
    places_needed_now: bool = False
    country: str = ""


@dataclass(frozen=True)
class PersonFacts:
    """What matching used from the person's record, and what it could not know."""

    gender: str | None
    age: int | None
    nationalities: tuple[str, ...]
    languages: tuple[str, ...]
    age_withheld: bool


@dataclass
class MatchRow:
    service: Service
    score: float
    distance_km: float | None
    explanation: list[dict[str, Any]]
    full: bool = False


@dataclass
class MatchOutcome:
    facts: PersonFacts
    request: matching.Request
    ranked: list[MatchRow]
    not_eligible: list[MatchRow]
    country: str


def _age(birthdate: datetime.date | None, today: datetime.date) -> int | None:
    if birthdate is None:
        return None
    years = today.year - birthdate.year
    if (today.month, today.day) < (birthdate.month, birthdate.day):
        years -= 1
    return max(0, years)


def person_facts(actor: Actor, case: Any) -> PersonFacts:
    """The person's demographic facts (in clear) and the age, only if identity is visible.

    Using the date of birth is a read of the identity group: audited.
    """
    from palermo.people.selectors import visible_groups

    person = case.person
    languages = tuple(code for code in (person.primary_language, person.secondary_language) if code)
    shows_identity = "identity" in visible_groups(actor, person)
    age = None
    if shows_identity and person.birthdate is not None:
        age = _age(person.birthdate, timezone.localdate())
        audit_read(
            actor=actor,
            object_type="person",
            object_id=str(person.public_id),
            field_groups=["identity"],
            details={"use": "directory.match", "case": str(case.public_id)},
            subject_organisation=person.owner_organisation,
        )
    return PersonFacts(
        gender=person.gender or None,
        age=age,
        nationalities=tuple(person.citizenship or ()),
        languages=languages,
        age_withheld=not shows_identity,
    )


def candidate_of(service: Service, now: datetime.datetime | None = None) -> matching.Candidate:
    location = None
    if service.latitude is not None and service.longitude is not None:
        location = matching.Point(float(service.latitude), float(service.longitude))
    return matching.Candidate(
        key=str(service.public_id),
        provider_key=str(service.provider.public_id),
        provider_name=service.provider.name,
        service_type=service.service_type,
        languages=tuple(service.languages),
        genders=frozenset(service.genders),
        min_age=service.min_age,
        max_age=service.max_age,
        nationalities=frozenset(service.nationalities),
        capacity=service.capacity,
        available_places=service.available_places,
        availability_age_days=availability_age_days(service, now),
        location=location,
        admin_area=service.admin_area,
        city=service.city,
    )


def match_services(
    *, actor: Actor, facts: PersonFacts, wanted: MatchInput, limit: int | None = None
) -> MatchOutcome:
    """Rank the active services of a country for a person's facts and the needs asked."""
    require_read(actor)
    location = None
    if wanted.latitude is not None and wanted.longitude is not None:
        location = matching.Point(float(wanted.latitude), float(wanted.longitude))
    request = matching.Request(
        service_types=wanted.service_types,
        gender=facts.gender,
        age=facts.age,
        nationalities=frozenset(facts.nationalities),
        languages=facts.languages,
        location=location,
        admin_area=wanted.admin_area,
        city=wanted.city,
        places_needed_now=wanted.places_needed_now,
    )
    services = services_visible_to(actor).filter(active=True, provider__country=wanted.country)
    if wanted.service_types:
        services = services.filter(service_type__in=sorted(wanted.service_types))
    # The fit bonus counts what else a provider offers, so its other services come along.
    by_key = {
        str(s.public_id): s
        for s in services_visible_to(actor)
        .filter(active=True, provider__in=services.values("provider"))
        .select_related("provider")
        .order_by("id")[:MAX_MATCH_CANDIDATES]
    }
    now = timezone.now()
    result = matching.rank(request, [candidate_of(s, now) for s in by_key.values()])
    ranked = [
        MatchRow(
            service=by_key[r.candidate.key],
            score=r.score,
            distance_km=r.distance_km,
            explanation=explain(r.factors),
            full=any(f.code in ("full_now", "full_later") for f in r.factors),
        )
        for r in result.ranked
    ]
    excluded = [
        MatchRow(
            service=by_key[e.candidate.key],
            score=0.0,
            distance_km=None,
            explanation=explain(e.reasons),
        )
        for e in result.not_eligible
    ]
    if limit is not None:
        ranked = ranked[:limit]
    return MatchOutcome(facts, request, ranked, excluded, wanted.country)


def case_country(case: Any) -> str:
    """Where to look for services: the case's country, else its owner organisation's."""
    return str(case.country or case.owner_organisation.country)


def case_for_matching(*, actor: Actor, case_public_id: UUID | str) -> Any:
    """The case through its choke point (NotFound when the actor may not see it)."""
    from palermo.cases.access import case_for_actor

    require_read(actor)
    return case_for_actor(actor, case_public_id, "view")


def match_for_case(
    *, actor: Actor, case_public_id: UUID | str, wanted: MatchInput, limit: int | None = None
) -> tuple[Any, MatchOutcome]:
    """The case (through its choke point) and the ranked services for its person."""
    case = case_for_matching(actor=actor, case_public_id=case_public_id)
    if not wanted.country:
        wanted = MatchInput(**{**wanted.__dict__, "country": case_country(case)})
    facts = person_facts(actor, case)
    return case, match_services(actor=actor, facts=facts, wanted=wanted, limit=limit)
