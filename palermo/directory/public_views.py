"""The public "find help" pages: no account, no JavaScript, small enough for a slow phone.

Each language has its own address (`?lang=uk`), so the pages are plain GETs that caches may keep;
without it the visitor's language (cookie, browser) is used. The page carries no form that posts
and no CSRF token, so one cached copy serves everyone. Nothing here reads a confidential address:
`selectors.public_listing` builds every row field by field.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from palermo.errors import ApplicationError

from . import selectors
from .explanations import country_name, gender_label, language_name, service_type_label
from .forms import WEEKDAY_LABELS
from .models import ServiceType
from .opening_hours import WEEKDAYS
from .validation import clean_search_input

CACHE_SECONDS = 300
FILTERS = ("service_type", "language", "area")


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")
    codes = [code for code, _name in settings.LANGUAGES]
    return wanted if wanted in codes else translation.get_language() or settings.LANGUAGE_CODE


def _cacheable(response: HttpResponse, language: str) -> HttpResponse:
    if response.status_code == 200:
        patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


def _language_links(request: HttpRequest, path: str) -> list[dict[str, str]]:
    kept = {k: request.GET.get(k, "") for k in request.GET if k in FILTERS and request.GET.get(k)}
    links = []
    for code, _name in settings.LANGUAGES:
        info = translation.get_language_info(code)
        links.append(
            {
                "code": code,
                "name": str(info["name_local"]).capitalize(),
                "url": f"{path}?{urlencode({**kept, 'lang': code})}",
            }
        )
    return links


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The countries with help listed; ?country=XX goes to that country's page."""
    language = _language(request)
    country = request.GET.get("country", "").strip().upper()
    if country:
        if len(country) != 2 or not country.isalpha() or not country.isascii():
            raise Http404
        query = {k: request.GET.get(k, "") for k in request.GET if k != "country"}
        query = {k: v for k, v in query.items() if v}
        target = reverse("find_help:country", args=[country])
        return redirect(f"{target}?{urlencode(query)}" if query else target)
    with translation.override(language):
        countries = [
            {"code": code, "name": country_name(code), "url": _country_url(code, request)}
            for code in selectors.public_countries()
        ]
        response = render(
            request,
            "directory/help_index.html",
            {
                "countries": countries,
                "language_links": _language_links(request, reverse("find_help:index")),
                "current_language": language,
                "lang_param": request.GET.get("lang", ""),
            },
        )
    return _cacheable(response, language)


def _country_url(code: str, request: HttpRequest) -> str:
    url = reverse("find_help:country", args=[code])
    lang = request.GET.get("lang")
    return f"{url}?{urlencode({'lang': lang})}" if lang else url


def _hours(row: selectors.PublicService) -> list[dict[str, str]]:
    return [
        {
            "day": str(WEEKDAY_LABELS[day]),
            "times": ", ".join(f"{a}–{b}" for a, b in row.opening_hours[day]),
        }
        for day in WEEKDAYS
        if day in row.opening_hours
    ]


def _served(row: selectors.PublicService) -> dict[str, Any]:
    return {
        "genders": [gender_label(g) for g in row.genders],
        "min_age": row.min_age,
        "max_age": row.max_age,
        "nationalities": [country_name(c) for c in row.nationalities],
    }


def _card(row: selectors.PublicService) -> dict[str, Any]:
    return {
        "row": row,
        "type_label": service_type_label(row.service_type),
        "languages": [language_name(c) for c in row.languages],
        "hours": _hours(row),
        "served": _served(row),
        "phone_link": "".join(c for c in row.phone if c.isdigit() or c == "+"),
    }


@require_GET
def country(request: HttpRequest, country: str) -> HttpResponse:
    """The help listed in one country: the national hotline first, then every public service."""
    code = country.upper()
    if len(code) != 2 or code not in selectors.public_countries():
        raise Http404
    language = _language(request)
    data = {k: request.GET.get(k, "") for k in FILTERS if k in request.GET}
    errors: dict[str, list[str]] = {}
    status = 200
    with translation.override(language):
        try:
            cleaned = clean_search_input(data)
        except ApplicationError as exc:
            errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
            cleaned = {}
            status = 400
        hotlines, rows = selectors.public_listing(
            country=code,
            service_type=cleaned.get("service_type") or "",
            language=cleaned.get("language") or "",
            area=cleaned.get("area") or "",
        )
        all_languages = sorted({c for r in [*hotlines, *rows] for c in r.languages})
        context = {
            "country": code,
            "country_name": country_name(code),
            "hotlines": [_card(h) for h in hotlines],
            "cards": [_card(r) for r in rows],
            "values": data,
            "errors": errors,
            "service_types": [c for c in ServiceType.choices if c[0] != ServiceType.HOTLINE],
            "language_choices": [(c, language_name(c)) for c in all_languages],
            "language_links": _language_links(request, reverse("find_help:country", args=[code])),
            "current_language": language,
            "lang_param": request.GET.get("lang", ""),
        }
        response = render(request, "directory/help_country.html", context, status=status)
    return _cacheable(response, language)
