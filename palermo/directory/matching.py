"""Matching: which services fit a person's needs best, and why. Pure rules, no Django.

The inputs are plain values (`Request`, `Candidate`); the result lists every factor that moved a
service's score as a `Factor` with a code, its points and the values it used, so the pages can
explain the ranking in the reader's language (`explanations.py` renders the codes). Nothing here
reads the database or translates.

Rules, in the order the explanation lists them:

- eligibility is a hard filter: a service that serves a gender, an age range or nationalities
  the person is outside of is never ranked; it goes to the "not eligible, because …" list. What
  is unknown about the person does not exclude, but the explanation says it must be checked;
- service fit: the service is of a needed type; a provider that covers more of the needs gets a
  bonus (fewer hand-overs for the person);
- language: a service in the person's first language scores more than one in the second;
- capacity: places free now score, a full service is ranked lower and said to be full; old
  reports count for less;
- distance: haversine from the chosen point (closer never scores less), or the same city or
  administrative area when no point is given; unknown is neutral.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

EARTH_RADIUS_KM = 6371.0088

FIT_POINTS = 40.0
EXTRA_NEED_POINTS = 5.0
MAX_EXTRA_NEEDS = 3
ELIGIBLE_CONFIRMED_POINTS = 5.0
FIRST_LANGUAGE_POINTS = 20.0
OTHER_LANGUAGE_POINTS = 12.0
NO_SHARED_LANGUAGE_POINTS = -5.0
# Capacity, when places are needed now.
PLACES_NOW_POINTS = 15.0
PER_PLACE_POINTS = 1.0
MAX_COUNTED_PLACES = 10
FULL_NOW_POINTS = -30.0
# Capacity, when they are not needed now.
PLACES_LATER_POINTS = 5.0
FULL_LATER_POINTS = -5.0
STALE_AFTER_DAYS = 7
STALE_FACTOR = 0.5
# Distance: +DISTANCE_POINTS at the door, 0 at DISTANCE_HALF_KM, towards -DISTANCE_POINTS far away.
DISTANCE_POINTS = 15.0
DISTANCE_HALF_KM = 50.0
SAME_CITY_POINTS = 12.0
SAME_AREA_POINTS = 8.0
OTHER_AREA_POINTS = -4.0

UNKNOWN_GENDER = "NonSpecifiedUnknown"


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Request:
    """What the person needs and what is known about them (None: unknown)."""

    service_types: frozenset[str] = frozenset()
    gender: str | None = None
    age: int | None = None
    nationalities: frozenset[str] = frozenset()
    # First the person's first language, then any other they speak.
    languages: tuple[str, ...] = ()
    location: Point | None = None
    admin_area: str = ""
    city: str = ""
    places_needed_now: bool = False


@dataclass(frozen=True)
class Candidate:
    """One service as matching sees it; `key` identifies it to the caller."""

    key: str
    provider_key: str
    provider_name: str
    service_type: str
    languages: tuple[str, ...] = ()
    genders: frozenset[str] = frozenset()  # empty: everyone
    min_age: int | None = None
    max_age: int | None = None
    nationalities: frozenset[str] = frozenset()  # empty: any
    capacity: int | None = None
    available_places: int | None = None  # None: not reported
    availability_age_days: float | None = None  # how old the report is
    location: Point | None = None
    admin_area: str = ""
    city: str = ""


@dataclass(frozen=True)
class Factor:
    """One reason in an explanation: a code the pages translate, its points, its values."""

    code: str
    points: float
    params: tuple[tuple[str, object], ...] = ()

    def param(self, name: str) -> object:
        return dict(self.params).get(name)


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    factors: tuple[Factor, ...]
    distance_km: float | None = None


@dataclass(frozen=True)
class Excluded:
    candidate: Candidate
    reasons: tuple[Factor, ...]


@dataclass(frozen=True)
class Result:
    ranked: tuple[Ranked, ...] = field(default_factory=tuple)
    not_eligible: tuple[Excluded, ...] = field(default_factory=tuple)


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance between two points, in kilometres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _same(a: str, b: str) -> bool:
    return bool(a.strip()) and a.strip().casefold() == b.strip().casefold()


def eligibility(request: Request, candidate: Candidate) -> tuple[list[Factor], list[Factor]]:
    """(reasons that exclude, notes on what could not be checked)."""
    refused: list[Factor] = []
    unchecked: list[Factor] = []
    gender = request.gender if request.gender != UNKNOWN_GENDER else None
    if candidate.genders:
        if gender is None:
            unchecked.append(Factor("gender_unknown", 0.0))
        elif gender not in candidate.genders:
            refused.append(
                Factor(
                    "gender_not_served",
                    0.0,
                    (("gender", gender), ("served", tuple(sorted(candidate.genders)))),
                )
            )
    if candidate.min_age is not None or candidate.max_age is not None:
        if request.age is None:
            unchecked.append(Factor("age_unknown", 0.0))
        elif (candidate.min_age is not None and request.age < candidate.min_age) or (
            candidate.max_age is not None and request.age > candidate.max_age
        ):
            refused.append(
                Factor(
                    "age_not_served",
                    0.0,
                    (
                        ("age", request.age),
                        ("min_age", candidate.min_age),
                        ("max_age", candidate.max_age),
                    ),
                )
            )
    if candidate.nationalities:
        if not request.nationalities:
            unchecked.append(Factor("nationality_unknown", 0.0))
        elif not request.nationalities & candidate.nationalities:
            refused.append(
                Factor(
                    "nationality_not_served",
                    0.0,
                    (
                        ("nationalities", tuple(sorted(request.nationalities))),
                        ("served", tuple(sorted(candidate.nationalities))),
                    ),
                )
            )
    return refused, unchecked


def _fit(request: Request, candidate: Candidate, provider_types: frozenset[str]) -> Factor:
    if not request.service_types:
        return Factor("any_service", 0.0, (("service_type", candidate.service_type),))
    others = len((request.service_types & provider_types) - {candidate.service_type})
    counted = min(others, MAX_EXTRA_NEEDS)
    return Factor(
        "service_fit",
        FIT_POINTS + EXTRA_NEED_POINTS * counted,
        (("service_type", candidate.service_type), ("other_needs", others)),
    )


def _language(request: Request, candidate: Candidate) -> Factor:
    if not request.languages:
        return Factor("language_unknown", 0.0)
    offered = {code.casefold() for code in candidate.languages}
    first = request.languages[0]
    if first.casefold() in offered:
        return Factor("first_language", FIRST_LANGUAGE_POINTS, (("language", first),))
    for other in request.languages[1:]:
        if other.casefold() in offered:
            return Factor("other_language", OTHER_LANGUAGE_POINTS, (("language", other),))
    if not offered:
        return Factor("service_languages_unknown", 0.0)
    return Factor(
        "no_shared_language", NO_SHARED_LANGUAGE_POINTS, (("offered", tuple(candidate.languages)),)
    )


def _capacity(request: Request, candidate: Candidate) -> Factor:
    places = candidate.available_places
    age = candidate.availability_age_days
    stale = age is not None and age > STALE_AFTER_DAYS
    weight = STALE_FACTOR if stale else 1.0
    params: tuple[tuple[str, object], ...] = (
        ("places", places),
        ("capacity", candidate.capacity),
        ("days", None if age is None else math.floor(age)),
        ("stale", stale),
    )
    if places is None:
        return Factor("availability_unknown", 0.0, params)
    if request.places_needed_now:
        if places == 0:
            return Factor("full_now", FULL_NOW_POINTS * weight, params)
        counted = min(places, MAX_COUNTED_PLACES)
        return Factor(
            "places_now", (PLACES_NOW_POINTS + PER_PLACE_POINTS * counted) * weight, params
        )
    if places == 0:
        return Factor("full_later", FULL_LATER_POINTS * weight, params)
    return Factor("places_later", PLACES_LATER_POINTS * weight, params)


def distance_points(km: float) -> float:
    """+DISTANCE_POINTS at 0 km, 0 at DISTANCE_HALF_KM, tending to -DISTANCE_POINTS; decreasing."""
    km = max(0.0, km)
    return DISTANCE_POINTS * (1.0 - 2.0 * km / (km + DISTANCE_HALF_KM))


def _distance(request: Request, candidate: Candidate) -> tuple[Factor, float | None]:
    if request.location is not None:
        if candidate.location is None:
            return Factor("distance_unknown", 0.0), None
        km = haversine_km(request.location, candidate.location)
        return Factor("distance", distance_points(km), (("km", round(km, 1)),)), km
    if request.city and _same(request.city, candidate.city):
        return Factor("same_city", SAME_CITY_POINTS, (("city", candidate.city),)), None
    if request.admin_area and _same(request.admin_area, candidate.admin_area):
        return Factor("same_area", SAME_AREA_POINTS, (("area", candidate.admin_area),)), None
    if (request.city or request.admin_area) and (candidate.city or candidate.admin_area):
        where = candidate.city or candidate.admin_area
        return Factor("other_area", OTHER_AREA_POINTS, (("where", where),)), None
    return Factor("distance_unknown", 0.0), None


def score(
    request: Request, candidate: Candidate, provider_types: Iterable[str] = ()
) -> Ranked | Excluded:
    """The candidate ranked with its factors, or excluded with the reasons.

    `provider_types`: the service types the candidate's provider offers (for the fit bonus).
    """
    refused, unchecked = eligibility(request, candidate)
    if refused:
        return Excluded(candidate, tuple(refused))
    types = frozenset(provider_types) | {candidate.service_type}
    factors = [_fit(request, candidate, types)]
    if unchecked:
        factors.extend(unchecked)
    elif candidate.genders or candidate.nationalities or _has_age_range(candidate):
        factors.append(Factor("eligible_confirmed", ELIGIBLE_CONFIRMED_POINTS))
    factors.append(_language(request, candidate))
    factors.append(_capacity(request, candidate))
    distance, km = _distance(request, candidate)
    factors.append(distance)
    total = round(sum(f.points for f in factors), 2)
    return Ranked(candidate, total, tuple(factors), km)


def _has_age_range(candidate: Candidate) -> bool:
    return candidate.min_age is not None or candidate.max_age is not None


def rank(request: Request, candidates: Sequence[Candidate]) -> Result:
    """Rank the candidates of a needed type; the ineligible ones are listed apart.

    Services of a type the person does not need are left out (when types are given). Ties are
    broken by distance (nearer first), then by provider name and key, so the order is stable.
    """
    provider_types: dict[str, set[str]] = {}
    for candidate in candidates:
        provider_types.setdefault(candidate.provider_key, set()).add(candidate.service_type)
    ranked: list[Ranked] = []
    excluded: list[Excluded] = []
    for candidate in candidates:
        if request.service_types and candidate.service_type not in request.service_types:
            continue
        outcome = score(request, candidate, provider_types[candidate.provider_key])
        if isinstance(outcome, Ranked):
            ranked.append(outcome)
        else:
            excluded.append(outcome)
    ranked.sort(
        key=lambda r: (
            -r.score,
            r.distance_km if r.distance_km is not None else math.inf,
            r.candidate.provider_name.casefold(),
            r.candidate.key,
        )
    )
    excluded.sort(key=lambda e: (e.candidate.provider_name.casefold(), e.candidate.key))
    return Result(tuple(ranked), tuple(excluded))
