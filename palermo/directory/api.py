"""The directory API: the same services and selectors as the pages.

`/public` is the one endpoint without authentication: the find-help data, built field by field,
never with a confidential address. Everything else needs a member whose role reads the directory
(404 otherwise, as for the pages); writes need DIRECTORY_MANAGE over the provider concerned.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from ninja import Query, Router, Schema, Status
from pydantic import Field

from palermo.accounts.actors import Actor
from palermo.errors import NotFound

from . import access, selectors, services
from .explanations import service_type_label
from .models import Provider, Service
from .schemas import (
    AvailabilityIn,
    ErrorOut,
    MatchIn,
    MatchOut,
    MatchRowOut,
    PersonFactsOut,
    ProviderIn,
    ProviderOut,
    ProviderPage,
    PublicListingOut,
    PublicServiceOut,
    ServiceIn,
    ServiceOut,
    ServicePage,
)
from .validation import clean_match_input, clean_search_input

router = Router(tags=["directory"])

_READ_ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
_WRITE_ERRORS: dict[int, type[ErrorOut]] = {**_READ_ERRORS, 403: ErrorOut, 413: ErrorOut}
PUBLIC_CACHE_SECONDS = 300


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


def _reader(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not (access.can_read_directory(actor) or access.can_manage_directory(actor)):
        raise NotFound()
    return actor


def _coordinate(value: Any) -> float | None:
    return None if value is None else float(value)


def service_out(service: Service, view: selectors.ServiceView | None = None) -> ServiceOut:
    data: dict[str, Any] = {
        "id": str(service.public_id),
        "provider": str(service.provider.public_id),
        "provider_name": service.provider.name,
        "service_type": service.service_type,
        "description": service.description,
        "languages": list(service.languages),
        "genders": list(service.genders),
        "min_age": service.min_age,
        "max_age": service.max_age,
        "nationalities": list(service.nationalities),
        "capacity": service.capacity,
        "available_places": service.available_places,
        "availability_updated_at": service.availability_updated_at,
        "availability_stale": service.availability_stale,
        "opening_hours": dict(service.opening_hours),
        "open_24_hours": service.open_24_hours,
        "phone": service.phone,
        "admin_area": service.admin_area,
        "city": service.city,
        "latitude": _coordinate(service.latitude),
        "longitude": _coordinate(service.longitude),
        "confidential_address": service.confidential_address,
        "active": service.active,
    }
    if view is not None:
        data["address"] = view.address
        data["address_withheld"] = view.address_withheld
    return ServiceOut(**data)


def provider_out(
    provider: Provider, actor: Actor, services_list: list[Service] | None = None
) -> ProviderOut:
    return ProviderOut(
        id=str(provider.public_id),
        name=provider.name,
        org_type=provider.org_type,
        country=provider.country,
        organisation=str(provider.organisation.public_id) if provider.organisation else None,
        phone=provider.phone,
        email=provider.email,
        website=provider.website,
        public=provider.public,
        can_manage=access.may_manage(actor, provider),
        services=None if services_list is None else [service_out(s) for s in services_list],
    )


class ProviderSearch(Schema):
    country: str = Field("", max_length=2)
    q: str = Field("", max_length=100)
    managed: bool = Field(False, description="Only the providers the caller manages.")
    page: int = Field(1, ge=1, le=100000)


@router.get(
    "/providers",
    response={200: ProviderPage, **_READ_ERRORS},
    summary="List providers",
)
def list_providers(request: HttpRequest, filters: Query[ProviderSearch]) -> ProviderPage:
    actor = _reader(request)
    providers = (
        access.providers_managed_by(actor)
        if filters.managed
        else access.providers_visible_to(actor)
    )
    if filters.country:
        providers = providers.filter(country=filters.country.upper())
    if filters.q:
        providers = providers.filter(Q(name__icontains=filters.q))
    paginator = Paginator(providers.select_related("organisation").order_by("name", "id"), 50)
    page = paginator.get_page(filters.page)
    return ProviderPage(
        count=paginator.count,
        page=page.number,
        pages=paginator.num_pages,
        results=[provider_out(p, actor) for p in page.object_list],
    )


@router.post("/providers", response={201: ProviderOut, **_WRITE_ERRORS}, summary="Add a provider")
def create_provider(request: HttpRequest, payload: ProviderIn) -> Status:
    actor = _actor(request)
    provider = services.provider_create(actor=actor, data=payload.submitted())
    return Status(201, provider_out(provider, actor, []))


@router.get(
    "/providers/{public_id}",
    response={200: ProviderOut, **_READ_ERRORS},
    summary="One provider, with its services",
)
def get_provider(request: HttpRequest, public_id: str) -> ProviderOut:
    actor = _reader(request)
    view = selectors.provider_detail(actor=actor, public_id=public_id)
    return provider_out(view.provider, actor, view.services)


@router.patch(
    "/providers/{public_id}",
    response={200: ProviderOut, **_WRITE_ERRORS},
    summary="Change a provider",
)
def update_provider(request: HttpRequest, public_id: str, payload: ProviderIn) -> ProviderOut:
    actor = _actor(request)
    provider = selectors.provider_for_change(actor=actor, public_id=public_id)
    services.provider_update(actor=actor, provider=provider, data=payload.submitted())
    return provider_out(provider, actor, list(provider.services.all()))


@router.delete(
    "/providers/{public_id}",
    response={204: None, **_WRITE_ERRORS},
    summary="Remove a provider and its services (administrators)",
)
def delete_provider(request: HttpRequest, public_id: str) -> Status:
    actor = _actor(request)
    provider = selectors.provider_for_change(actor=actor, public_id=public_id)
    services.provider_delete(actor=actor, provider=provider)
    return Status(204, None)


class ServiceSearch(Schema):
    country: str = ""
    service_type: str = ""
    area: str = ""
    language: str = ""
    gender: str = ""
    age: str = ""
    available_now: bool = False
    q: str = ""
    page: int = Field(1, ge=1, le=100000)


@router.get(
    "/services",
    response={200: ServicePage, **_READ_ERRORS},
    summary="Search services",
)
def search_services(request: HttpRequest, filters: Query[ServiceSearch]) -> ServicePage:
    actor = _reader(request)
    raw = filters.model_dump()
    cleaned = clean_search_input({k: v for k, v in raw.items() if k != "page"})
    page = selectors.directory_search(
        actor=actor,
        filters=selectors.SearchFilters(
            country=cleaned.get("country") or "",
            service_type=cleaned.get("service_type") or "",
            area=cleaned.get("area", ""),
            language=cleaned.get("language") or "",
            gender=cleaned.get("gender") or "",
            age=cleaned.get("age"),
            available_now=bool(cleaned.get("available_now")),
            query=cleaned.get("q", ""),
        ),
        page_number=filters.page,
        per_page=50,
    )
    return ServicePage(
        count=page.paginator.count,
        page=page.number,
        pages=page.paginator.num_pages,
        results=[service_out(s) for s in page.object_list],
    )


@router.post(
    "/providers/{public_id}/services",
    response={201: ServiceOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Add a service to a provider",
)
def create_service(request: HttpRequest, public_id: str, payload: ServiceIn) -> Status:
    actor = _actor(request)
    provider = selectors.provider_for_change(actor=actor, public_id=public_id)
    service = services.service_create(actor=actor, provider=provider, data=payload.submitted())
    return Status(201, service_out(service))


@router.get(
    "/services/{public_id}",
    response={200: ServiceOut, **_READ_ERRORS},
    exclude_unset=True,
    summary="One service (its address only if shown to you; that read is audited)",
)
def get_service(request: HttpRequest, public_id: str) -> ServiceOut:
    actor = _reader(request)
    view = selectors.service_detail(actor=actor, public_id=public_id)
    return service_out(view.service, view)


@router.patch(
    "/services/{public_id}",
    response={200: ServiceOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Change a service",
)
def update_service(request: HttpRequest, public_id: str, payload: ServiceIn) -> ServiceOut:
    actor = _actor(request)
    service = selectors.service_for_change(actor=actor, public_id=public_id)
    services.service_update(actor=actor, service=service, data=payload.submitted())
    return service_out(service)


@router.post(
    "/services/{public_id}/availability",
    response={200: ServiceOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Report the places available now",
)
def set_availability(request: HttpRequest, public_id: str, payload: AvailabilityIn) -> ServiceOut:
    actor = _actor(request)
    service = selectors.service_for_change(actor=actor, public_id=public_id)
    services.service_set_availability(actor=actor, service=service, places=payload.available_places)
    return service_out(service)


@router.delete(
    "/services/{public_id}",
    response={204: None, **_WRITE_ERRORS},
    summary="Remove a service",
)
def delete_service(request: HttpRequest, public_id: str) -> Status:
    actor = _actor(request)
    service = selectors.service_for_change(actor=actor, public_id=public_id)
    services.service_delete(actor=actor, service=service)
    return Status(204, None)


def _row_out(row: selectors.MatchRow, refer: str | None) -> MatchRowOut:
    return MatchRowOut(
        service=str(row.service.public_id),
        service_type=row.service.service_type,
        provider=str(row.service.provider.public_id),
        provider_name=row.service.provider.name,
        score=row.score,
        distance_km=None if row.distance_km is None else round(row.distance_km, 1),
        full=row.full,
        explanation=row.explanation,  # type: ignore[arg-type]
        refer_url=refer,
    )


@router.post(
    "/match/{case_public_id}",
    response={200: MatchOut, **_READ_ERRORS},
    summary="Rank services for a case's person, with the reasons for each",
)
def match_case(request: HttpRequest, case_public_id: str, payload: MatchIn) -> MatchOut:
    from .views import refer_url

    actor = _actor(request)
    access.require_read(actor)
    cleaned = clean_match_input(payload.submitted())
    wanted = selectors.MatchInput(
        service_types=frozenset(cleaned.get("needs") or ()),
        latitude=cleaned.get("latitude"),
        longitude=cleaned.get("longitude"),
        admin_area=cleaned.get("area") or "",
        city=cleaned.get("city") or "",
        places_needed_now=bool(cleaned.get("places_now")),
        country=cleaned.get("country") or "",
    )
    case, outcome = selectors.match_for_case(
        actor=actor, case_public_id=case_public_id, wanted=wanted
    )
    facts = outcome.facts
    return MatchOut(
        case=str(case.public_id),
        country=outcome.country,
        person=PersonFactsOut(
            gender=facts.gender,
            age=facts.age,
            age_withheld=facts.age_withheld,
            nationalities=list(facts.nationalities),
            languages=list(facts.languages),
        ),
        ranked=[_row_out(r, refer_url(case.public_id, r.service)) for r in outcome.ranked],
        not_eligible=[_row_out(r, None) for r in outcome.not_eligible],
    )


class PublicQuery(Schema):
    country: str = Field(..., min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")
    service_type: str = ""
    language: str = ""
    area: str = ""


def _public_out(row: selectors.PublicService) -> PublicServiceOut:
    return PublicServiceOut(
        id=row.public_id,
        provider_name=row.provider_name,
        provider_type=row.provider_type,
        service_type=row.service_type,
        service_label=service_type_label(row.service_type),
        description=row.description,
        languages=row.languages,
        genders=row.genders,
        min_age=row.min_age,
        max_age=row.max_age,
        nationalities=row.nationalities,
        opening_hours=row.opening_hours,
        open_24_hours=row.open_24_hours,
        phone=row.phone,
        email=row.email,
        website=row.website,
        city=row.city,
        admin_area=row.admin_area,
        address=row.address,
        latitude=_coordinate(row.latitude),
        longitude=_coordinate(row.longitude),
    )


@router.get(
    "/public",
    auth=None,
    response={200: PublicListingOut, 400: ErrorOut},
    summary="The public find-help listing of a country (no account; no confidential address)",
)
def public_listing(
    request: HttpRequest, response: HttpResponse, filters: Query[PublicQuery]
) -> PublicListingOut:
    cleaned = clean_search_input(filters.model_dump())
    hotlines, rows = selectors.public_listing(
        country=cleaned.get("country") or "",
        service_type=cleaned.get("service_type") or "",
        language=cleaned.get("language") or "",
        area=cleaned.get("area") or "",
    )
    patch_cache_control(response, public=True, max_age=PUBLIC_CACHE_SECONDS)
    patch_vary_headers(response, ("Accept-Language",))
    return PublicListingOut(
        country=cleaned.get("country") or "",
        hotlines=[_public_out(h) for h in hotlines],
        services=[_public_out(r) for r in rows],
    )
