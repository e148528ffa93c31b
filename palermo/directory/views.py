"""Staff pages of the directory: search, providers and services, management, matching for a case.

Thin: the access module decides, the services write, the selectors read. A role that may not
read the directory gets 404, as if the pages did not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation, OrganisationType
from palermo.errors import ApplicationError, Forbidden, NotFound

from . import forms, selectors, services
from .access import can_manage_directory, can_read_directory, manages_country
from .explanations import country_name, gender_label, language_name
from .models import Provider, Service, ServiceType
from .opening_hours import WEEKDAYS, day_text
from .validation import clean_match_input, clean_search_input


def _actor(request: HttpRequest) -> Actor:
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or not (can_read_directory(actor) or can_manage_directory(actor)):
        raise Http404
    return actor


def _manager(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not can_manage_directory(actor):
        raise Http404
    return actor


def _page_error(exc: ApplicationError) -> Exception:
    if isinstance(exc, NotFound):
        return Http404()
    if isinstance(exc, Forbidden) or exc.status == 403:
        return PermissionDenied()
    return exc


def _errors(exc: ApplicationError) -> dict[str, list[str]]:
    errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    return errors or {"__all__": [str(exc.message)]}


def refer_url(case_public_id: Any, service: Service) -> str | None:
    """The referral form for this case and service, when the referrals app provides it."""
    try:
        base = reverse("referrals:refer", kwargs={"case_id": str(case_public_id)})
    except NoReverseMatch:
        return None
    return f"{base}?{urlencode({'service': str(service.public_id)})}"


# --- search and detail ---


@login_required
def search(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not can_read_directory(actor):
        return redirect("directory:manage")
    data = {k: request.GET.get(k, "") for k in request.GET if k != "page"}
    errors: dict[str, list[str]] = {}
    page = None
    country = actor.organisation.country if actor.organisation else ""
    try:
        cleaned = clean_search_input(data)
    except ApplicationError as exc:
        errors = _errors(exc)
    else:
        filters = selectors.SearchFilters(
            country=cleaned.get("country") or ("" if "country" in data else country),
            service_type=cleaned.get("service_type") or "",
            area=cleaned.get("area", ""),
            language=cleaned.get("language") or "",
            gender=cleaned.get("gender") or "",
            age=cleaned.get("age"),
            available_now=bool(cleaned.get("available_now")),
            query=cleaned.get("q", ""),
        )
        page = selectors.directory_search(
            actor=actor, filters=filters, page_number=request.GET.get("page", 1)
        )
    values = {"country": country, **data}
    query = urlencode({k: v for k, v in data.items() if v})
    context = {
        "page": page,
        "values": values,
        "errors": errors,
        "query": query,
        "service_types": ServiceType.choices,
        "genders": forms.GENDER_CHOICES,
        "can_manage": can_manage_directory(actor),
    }
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    template = "directory/search.html#results" if partial else "directory/search.html"
    status = 400 if errors and not partial else 200
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def provider_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        view = selectors.provider_detail(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    try:
        org_type = str(OrganisationType(view.provider.org_type).label)
    except ValueError:
        org_type = view.provider.org_type
    context = {
        "view": view,
        "org_type": org_type,
        "country": country_name(view.provider.country),
    }
    return render(request, "directory/provider_detail.html", context)


@login_required
def service_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        view = selectors.service_detail(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    service = view.service
    context = {
        "view": view,
        "service": service,
        "languages": [language_name(code) for code in service.languages],
        "genders": [gender_label(g) for g in service.genders],
        "nationalities": [country_name(c) for c in service.nationalities],
        "hours": [
            {"day": forms.WEEKDAY_LABELS[day], "times": day_text(service.opening_hours, day)}
            for day in WEEKDAYS
            if day in service.opening_hours
        ],
    }
    return render(request, "directory/service_detail.html", context)


# --- management ---


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    providers = selectors.managed_providers(actor=actor)
    country_admin = manages_country(actor)
    can_add = country_admin or selectors.own_provider(actor=actor) is None
    return render(
        request,
        "directory/manage.html",
        {
            "providers": providers,
            "can_add_provider": can_add,
            "country_admin": country_admin,
            "country": actor.organisation.country if actor.organisation else "",
        },
    )


def _organisation_choices(actor: Actor, provider: Provider | None) -> list[tuple[str, str]] | None:
    if not manages_country(actor) or actor.organisation is None:
        return None
    taken = Provider.objects.exclude(organisation=None)
    if provider is not None:
        taken = taken.exclude(pk=provider.pk)
    organisations = Organisation.objects.filter(
        country=actor.organisation.country, is_active=True
    ).exclude(pk__in=taken.values("organisation_id"))
    return [(str(o.public_id), o.name) for o in organisations.order_by("name")]


@login_required
@require_http_methods(["GET", "POST"])
def provider_create(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    organisations = _organisation_choices(actor, None)
    values: dict[str, Any] = {"public": True}
    if organisations is None and actor.organisation is not None:
        values.update(name=actor.organisation.name, org_type=actor.organisation.org_type)
    errors: dict[str, list[str]] = {}
    message = ""
    if request.method == "POST":
        values = forms.provider_submitted(request.POST, organisations is not None)
        try:
            provider = services.provider_create(actor=actor, data=values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors, message = _errors(exc), str(exc.message)
        else:
            messages.success(request, _("Provider added."))
            return redirect("directory:provider", public_id=provider.public_id)
    context = {
        "heading": _("Add a provider"),
        "sections": forms.provider_sections(values, errors, organisations),
        "errors": errors,
        "error_message": message,
        "cancel": reverse("directory:manage"),
    }
    return render(request, "directory/form.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    try:
        provider = selectors.provider_for_change(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    organisations = _organisation_choices(actor, provider)
    values = forms.provider_values(provider)
    errors: dict[str, list[str]] = {}
    message = ""
    if request.method == "POST":
        values = forms.provider_submitted(request.POST, organisations is not None)
        try:
            services.provider_update(actor=actor, provider=provider, data=values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors, message = _errors(exc), str(exc.message)
        else:
            messages.success(request, _("Provider saved."))
            return redirect("directory:provider", public_id=provider.public_id)
    context = {
        "heading": _("Edit %(name)s") % {"name": provider.name},
        "sections": forms.provider_sections(values, errors, organisations),
        "errors": errors,
        "error_message": message,
        "cancel": reverse("directory:provider", args=[provider.public_id]),
        "delete_url": reverse("directory:provider_delete", args=[provider.public_id])
        if manages_country(actor)
        else None,
    }
    return render(request, "directory/form.html", context, status=400 if errors else 200)


@login_required
@require_POST
def provider_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    try:
        provider = selectors.provider_for_change(actor=actor, public_id=public_id)
        services.provider_delete(actor=actor, provider=provider)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    messages.success(request, _("Provider removed."))
    return redirect("directory:manage")


@login_required
@require_http_methods(["GET", "POST"])
def service_create(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    try:
        provider = selectors.provider_for_change(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    values: dict[str, Any] = {
        "active": True,
        "languages": ["ro"] if provider.country == "MD" else [],
    }
    errors: dict[str, list[str]] = {}
    message = ""
    if request.method == "POST":
        values = forms.service_submitted(request.POST)
        try:
            service = services.service_create(actor=actor, provider=provider, data=values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors, message = _errors(exc), str(exc.message)
        else:
            messages.success(request, _("Service added."))
            return redirect("directory:service", public_id=service.public_id)
    context = {
        "heading": _("Add a service to %(name)s") % {"name": provider.name},
        "sections": forms.service_sections(values, errors),
        "errors": errors,
        "error_message": message,
        "cancel": reverse("directory:provider", args=[provider.public_id]),
    }
    return render(request, "directory/form.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    try:
        service = selectors.service_for_change(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    errors: dict[str, list[str]] = {}
    message = ""
    if request.method == "POST":
        values = forms.service_submitted(request.POST)
        try:
            services.service_update(actor=actor, service=service, data=values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors, message = _errors(exc), str(exc.message)
        else:
            messages.success(request, _("Service saved."))
            return redirect("directory:service", public_id=service.public_id)
    else:
        address = selectors.service_address_for_edit(actor=actor, service=service)
        values = forms.service_values(service, address)
    context = {
        "heading": _("Edit %(service)s — %(name)s")
        % {"service": service.get_service_type_display(), "name": service.provider.name},
        "sections": forms.service_sections(values, errors),
        "errors": errors,
        "error_message": message,
        "cancel": reverse("directory:service", args=[service.public_id]),
        "delete_url": reverse("directory:service_delete", args=[service.public_id]),
    }
    return render(request, "directory/form.html", context, status=400 if errors else 200)


@login_required
@require_POST
def service_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    try:
        service = selectors.service_for_change(actor=actor, public_id=public_id)
        provider_id = service.provider.public_id
        services.service_delete(actor=actor, service=service)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    messages.success(request, _("Service removed."))
    return redirect("directory:provider", public_id=provider_id)


@login_required
@require_http_methods(["GET", "POST"])
def service_places(request: HttpRequest, public_id: str) -> HttpResponse:
    """The quick "places available now" form: one number, big buttons, fine on a phone."""
    actor = _manager(request)
    try:
        service = selectors.service_for_change(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    errors: list[str] = []
    value: Any = service.available_places if service.available_places is not None else ""
    saved = False
    if request.method == "POST":
        value = request.POST.get("available_places", "")
        try:
            services.service_set_availability(actor=actor, service=service, places=value)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors = [str(m) for m in exc.fields.get("available_places", [exc.message])]
        else:
            saved = True
            value = service.available_places
            htmx = request.htmx  # type: ignore[attr-defined]
            if not htmx:
                messages.success(request, _("Places available updated."))
                return redirect("directory:manage")
    context = {
        "service": service,
        "value": value,
        "errors": errors,
        "saved": saved,
        "age_days": selectors.availability_age_days(service),
    }
    htmx = request.htmx  # type: ignore[attr-defined]
    template = "directory/places.html#places" if htmx else "directory/places.html"
    # htmx swaps only a 2xx answer: a refused update is a 200 carrying the message.
    status = 400 if errors and not htmx else 200
    return render(request, template, context, status=status)


# --- matching ---


def _match_values(request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if "needs" in request.GET:
        data["needs"] = request.GET.getlist("needs")
    for name in ("latitude", "longitude", "area", "city", "country"):
        if name in request.GET:
            data[name] = request.GET.get(name, "")
    if request.GET.get("submitted"):
        data["places_now"] = "places_now" in request.GET
    return data


@login_required
def match(request: HttpRequest, case_public_id: str) -> HttpResponse:
    actor = _actor(request)
    if not can_read_directory(actor):
        raise Http404
    try:
        case = selectors.case_for_matching(actor=actor, case_public_id=case_public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    data = _match_values(request)
    errors: dict[str, list[str]] = {}
    try:
        cleaned = clean_match_input(data)
    except ApplicationError as exc:
        errors = _errors(exc)
        cleaned = {}
    submitted = bool(request.GET.get("submitted")) and not errors
    if not request.GET.get("submitted"):
        # First visit: the needs of the case's latest assessment are ticked already.
        from .case_section import recorded_needs

        data["needs"] = sorted(recorded_needs(actor, case))
    facts = selectors.person_facts(actor, case)
    country = cleaned.get("country") or selectors.case_country(case)
    outcome = None
    if submitted:
        wanted = selectors.MatchInput(
            service_types=frozenset(cleaned.get("needs") or ()),
            latitude=cleaned.get("latitude"),
            longitude=cleaned.get("longitude"),
            admin_area=cleaned.get("area") or "",
            city=cleaned.get("city") or "",
            places_needed_now=bool(cleaned.get("places_now")),
            country=country,
        )
        outcome = selectors.match_services(actor=actor, facts=facts, wanted=wanted)
    rows = [
        {"row": row, "refer_url": refer_url(case.public_id, row.service)}
        for row in (outcome.ranked if outcome else [])
    ]
    context = {
        "case": case,
        "facts": facts,
        "rows": rows,
        "not_eligible": outcome.not_eligible if outcome else [],
        "submitted": submitted,
        "values": {
            **data,
            "needs": data.get("needs", []),
            "country": data.get("country") or country,
        },
        "errors": errors,
        "service_types": ServiceType.choices,
        "languages": [language_name(c) for c in facts.languages],
    }
    return render(request, "directory/match.html", context, status=400 if errors else 200)
