"""Matching factors in words, in the reader's language (the rules in `matching.py` give codes)."""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pycountry
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from palermo.people.models import Gender

from .matching import Factor
from .models import ServiceType

FACTOR_GROUPS = {
    "service_fit": "fit",
    "any_service": "fit",
    "eligible_confirmed": "eligibility",
    "gender_unknown": "eligibility",
    "age_unknown": "eligibility",
    "nationality_unknown": "eligibility",
    "gender_not_served": "eligibility",
    "age_not_served": "eligibility",
    "nationality_not_served": "eligibility",
    "first_language": "language",
    "other_language": "language",
    "no_shared_language": "language",
    "language_unknown": "language",
    "service_languages_unknown": "language",
    "places_now": "capacity",
    "full_now": "capacity",
    "places_later": "capacity",
    "full_later": "capacity",
    "availability_unknown": "capacity",
    "distance": "distance",
    "distance_unknown": "distance",
    "same_city": "distance",
    "same_area": "distance",
    "other_area": "distance",
}


def group_label(group: str) -> str:
    labels = {
        "fit": _("Service fit"),
        "eligibility": _("Eligibility"),
        "language": _("Language"),
        "capacity": _("Capacity"),
        "distance": _("Distance"),
    }
    return labels.get(group, group)


def service_type_label(value: Any) -> str:
    try:
        return str(ServiceType(value).label)
    except ValueError:
        return str(value)


def gender_label(value: Any) -> str:
    try:
        return str(Gender(value).label)
    except ValueError:
        return str(value)


@lru_cache(maxsize=64)
def _iso_translation(domain: str, language: str) -> gettext_module.NullTranslations:
    """pycountry's own translations of language and country names (shipped with it)."""
    return gettext_module.translation(
        domain, pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def language_name(code: Any) -> str:
    """A language's name in the reader's language, with its code: "румунська (ro)"."""
    code = str(code)
    language = (
        pycountry.languages.get(alpha_2=code)
        if len(code) == 2
        else pycountry.languages.get(alpha_3=code)
    )
    if language is None:
        return code
    name = _iso_translation("iso639-3", get_language() or "en").gettext(language.name)
    return f"{name} ({code})"


def country_name(code: Any) -> str:
    """A country's name in the reader's language; the code itself when unknown."""
    country = pycountry.countries.get(alpha_2=str(code))
    if country is None:
        return str(code)
    return _iso_translation("iso3166-1", get_language() or "en").gettext(country.name)


def country_names(codes: Iterable[Any]) -> str:
    return ", ".join(country_name(c) for c in codes)


def _age_range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return _("%(low)s to %(high)s years") % {"low": low, "high": high}
    if low is not None:
        return _("%(low)s years and older") % {"low": low}
    return _("up to %(high)s years") % {"high": high}


def _values(factor: Factor, name: str) -> tuple[Any, ...]:
    value = factor.param(name)
    return tuple(value) if isinstance(value, tuple | list) else ()


def _capacity_note(factor: Factor) -> str:
    days = factor.param("days")
    if days is None:
        return ""
    if factor.param("stale"):
        return " " + ngettext(
            "Reported %(days)d day ago: counts for less until it is updated.",
            "Reported %(days)d days ago: counts for less until it is updated.",
            int(days),  # type: ignore[call-overload]
        ) % {"days": days}
    if days == 0:
        return " " + _("Reported today.")
    return " " + ngettext(
        "Reported %(days)d day ago.",
        "Reported %(days)d days ago.",
        int(days),  # type: ignore[call-overload]
    ) % {"days": days}


def describe(factor: Factor) -> str:  # noqa: C901 - one branch per code, flat on purpose
    """One factor as a sentence in the active language."""
    code = factor.code
    if code == "service_fit":
        text = _("Offers %(service)s, which the person needs.") % {
            "service": service_type_label(factor.param("service_type"))
        }
        others = factor.param("other_needs") or 0
        if others:
            text += " " + ngettext(
                "The same provider also covers %(count)d other need.",
                "The same provider also covers %(count)d other needs.",
                int(others),  # type: ignore[call-overload]
            ) % {"count": others}
        return text
    if code == "any_service":
        return _("No service type was asked for: every type is listed.")
    if code == "eligible_confirmed":
        return _("The person is within the population this service serves.")
    if code == "gender_unknown":
        return _("Serves only some genders and the person's gender is not recorded: check first.")
    if code == "age_unknown":
        return _("Serves an age range and the person's age is not known to you: check first.")
    if code == "nationality_unknown":
        return _("Serves only some nationalities and the person's is not recorded: check first.")
    if code == "gender_not_served":
        served = ", ".join(gender_label(g) for g in _values(factor, "served"))
        return _("Serves %(served)s only.") % {"served": served}
    if code == "age_not_served":
        return _("Serves people aged %(range)s; the person is %(age)s.") % {
            "range": _age_range(factor.param("min_age"), factor.param("max_age")),
            "age": factor.param("age"),
        }
    if code == "nationality_not_served":
        return _("Serves nationals of %(served)s only.") % {
            "served": country_names(_values(factor, "served"))
        }
    if code == "first_language":
        return _("Works in the person's first language, %(language)s.") % {
            "language": language_name(factor.param("language"))
        }
    if code == "other_language":
        return _("Works in %(language)s, another language the person speaks.") % {
            "language": language_name(factor.param("language"))
        }
    if code == "no_shared_language":
        return _("No language in common with the person: an interpreter may be needed.")
    if code == "language_unknown":
        return _("The person's languages are not recorded.")
    if code == "service_languages_unknown":
        return _("The service has not said which languages it works in.")
    if code == "places_now":
        return ngettext(
            "%(places)d place available now.",
            "%(places)d places available now.",
            int(factor.param("places") or 0),  # type: ignore[call-overload]
        ) % {"places": factor.param("places")} + _capacity_note(factor)
    if code == "full_now":
        return _("Full now: no place available.") + _capacity_note(factor)
    if code == "places_later":
        return _("Has places available.") + _capacity_note(factor)
    if code == "full_later":
        return _("Full at the moment.") + _capacity_note(factor)
    if code == "availability_unknown":
        return _("Availability not reported: call to ask.")
    if code == "distance":
        return _("About %(km)s km away.") % {"km": factor.param("km")}
    if code == "distance_unknown":
        return _("Distance unknown.")
    if code == "same_city":
        return _("In the same city (%(city)s).") % {"city": factor.param("city")}
    if code == "same_area":
        return _("In the same area (%(area)s).") % {"area": factor.param("area")}
    if code == "other_area":
        return _("In another place (%(where)s).") % {"where": factor.param("where")}
    return code


def explain(factors: Iterable[Factor]) -> list[dict[str, Any]]:
    """The factors as rows for a page or the API: group, sentence, points (signed)."""
    return [
        {
            "factor": FACTOR_GROUPS.get(f.code, f.code),
            "label": group_label(FACTOR_GROUPS.get(f.code, f.code)),
            "code": f.code,
            "text": describe(f),
            "points": round(f.points, 1),
        }
        for f in factors
    ]
