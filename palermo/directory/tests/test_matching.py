"""The matching rules, alone (no database): examples, then properties with hypothesis."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.directory import matching
from palermo.directory.matching import Candidate, Point, Request, haversine_km, rank, score

CHISINAU = Point(47.0105, 28.8638)
BALTI = Point(47.7617, 27.9289)
CAHUL = Point(45.9075, 28.1944)


def candidate(key: str = "s1", **fields: object) -> Candidate:
    values: dict[str, object] = {
        "key": key,
        "provider_key": f"p-{key}",
        "provider_name": f"Provider {key}",
        "service_type": "Shelter",
        "languages": ("ro", "ru"),
        "capacity": 10,
        "available_places": 3,
        "availability_age_days": 1.0,
        "location": CHISINAU,
    }
    values.update(fields)
    return Candidate(**values)  # type: ignore[arg-type]


def request(**fields: object) -> Request:
    values: dict[str, object] = {
        "service_types": frozenset({"Shelter"}),
        "gender": "Masculine",
        "age": 30,
        "nationalities": frozenset({"MD"}),
        "languages": ("ro",),
        "location": CHISINAU,
    }
    values.update(fields)
    return Request(**values)  # type: ignore[arg-type]


def codes(ranked: matching.Ranked) -> list[str]:
    return [f.code for f in ranked.factors]


def test_haversine_between_real_cities() -> None:
    assert 105 < haversine_km(CHISINAU, BALTI) < 115  # great circle, not the road
    assert haversine_km(CHISINAU, CHISINAU) == 0


def test_a_man_is_not_eligible_for_a_womens_shelter_and_the_reason_is_given() -> None:
    women = candidate("women", genders=frozenset({"Feminine", "TransgenderFeminine"}))
    men = candidate("men", genders=frozenset({"Masculine", "TransgenderMasculine"}))
    result = rank(request(), [women, men])
    assert [r.candidate.key for r in result.ranked] == ["men"]
    assert [e.candidate.key for e in result.not_eligible] == ["women"]
    reason = result.not_eligible[0].reasons[0]
    assert reason.code == "gender_not_served"
    assert reason.param("served") == ("Feminine", "TransgenderFeminine")


def test_a_transgender_woman_is_served_by_a_service_for_transgender_women() -> None:
    service = candidate(genders=frozenset({"Feminine", "TransgenderFeminine"}))
    result = rank(request(gender="TransgenderFeminine"), [service])
    assert len(result.ranked) == 1
    assert "eligible_confirmed" in codes(result.ranked[0])


def test_age_and_nationality_exclude_and_unknowns_only_warn() -> None:
    children = candidate("kids", min_age=0, max_age=17)
    nationals = candidate("ua", nationalities=frozenset({"UA"}))
    result = rank(request(), [children, nationals])
    assert result.ranked == ()
    reasons = {e.candidate.key: e.reasons[0].code for e in result.not_eligible}
    assert reasons == {"kids": "age_not_served", "ua": "nationality_not_served"}
    unknown = rank(request(age=None, nationalities=frozenset()), [children, nationals])
    assert {r.candidate.key for r in unknown.ranked} == {"kids", "ua"}
    by_key = {r.candidate.key: codes(r) for r in unknown.ranked}
    assert "age_unknown" in by_key["kids"]
    assert "nationality_unknown" in by_key["ua"]


def test_unknown_gender_is_not_a_reason_to_exclude() -> None:
    women = candidate(genders=frozenset({"Feminine"}))
    result = rank(request(gender="NonSpecifiedUnknown"), [women])
    assert len(result.ranked) == 1
    assert "gender_unknown" in codes(result.ranked[0])


def test_language_first_beats_second_beats_none() -> None:
    first = candidate("first", languages=("ro",))
    second = candidate("second", languages=("ru",))
    none = candidate("none", languages=("en",))
    result = rank(request(languages=("ro", "ru")), [none, second, first])
    assert [r.candidate.key for r in result.ranked] == ["first", "second", "none"]
    assert codes(result.ranked[2])[-3] == "no_shared_language"


def test_a_full_service_is_ranked_lower_and_said_to_be_full() -> None:
    full = candidate("full", available_places=0)
    room = candidate("room", available_places=2, location=BALTI)
    result = rank(request(places_needed_now=True), [full, room])
    assert [r.candidate.key for r in result.ranked] == ["room", "full"]
    assert "full_now" in codes(result.ranked[1])


def test_stale_reports_count_for_less() -> None:
    fresh = score(request(places_needed_now=True), candidate(availability_age_days=1))
    stale = score(request(places_needed_now=True), candidate(availability_age_days=30))
    assert isinstance(fresh, matching.Ranked) and isinstance(stale, matching.Ranked)
    assert fresh.score > stale.score
    capacity = next(f for f in stale.factors if f.code == "places_now")
    assert capacity.param("stale") is True and capacity.param("days") == 30


def test_distance_by_coordinates_then_by_city_then_unknown_is_neutral() -> None:
    near = candidate("near", location=CHISINAU)
    far = candidate("far", location=CAHUL)
    unknown = candidate("unknown", location=None)
    result = rank(request(), [far, unknown, near])
    assert [r.candidate.key for r in result.ranked] == ["near", "unknown", "far"]
    neutral = next(f for f in result.ranked[1].factors if f.code == "distance_unknown")
    assert neutral.points == 0
    by_city = rank(
        request(location=None, city="bălți"),
        [candidate("b", city="Bălți"), candidate("c", city="Cahul")],
    )
    assert [r.candidate.key for r in by_city.ranked] == ["b", "c"]
    assert codes(by_city.ranked[0])[-1] == "same_city"


def test_a_provider_covering_more_needs_gets_a_bonus_and_other_types_are_left_out() -> None:
    one_stop = [
        candidate("a1", provider_key="A", service_type="Shelter"),
        candidate("a2", provider_key="A", service_type="Health"),
    ]
    single = candidate("b1", provider_key="B", service_type="Shelter")
    legal = candidate("c1", provider_key="C", service_type="Legal")
    result = rank(
        request(service_types=frozenset({"Shelter", "Health"})), [*one_stop, single, legal]
    )
    keys = [r.candidate.key for r in result.ranked]
    assert "c1" not in keys
    assert keys.index("a1") < keys.index("b1")
    fit = result.ranked[keys.index("a1")].factors[0]
    assert fit.code == "service_fit" and fit.param("other_needs") == 1


def test_the_score_is_the_sum_of_its_factors() -> None:
    ranked = score(request(), candidate())
    assert isinstance(ranked, matching.Ranked)
    assert ranked.score == round(sum(f.points for f in ranked.factors), 2)


# --- properties ---

# The machine may be busy (other test runs): generation speed is not what is tested here.
SLOW_MACHINE = [HealthCheck.too_slow, HealthCheck.data_too_large]

GENDERS = ["Feminine", "Masculine", "TransgenderFeminine", "TransgenderMasculine", "NonConforming"]
TYPES = ["Shelter", "Health", "Legal", "Psychological"]
COUNTRIES = ["MD", "UA", "RO", "NP"]
LANGS = ["ro", "ru", "uk", "en", "ne"]

points = st.builds(
    Point,
    latitude=st.floats(min_value=-80, max_value=80, allow_nan=False),
    longitude=st.floats(min_value=-179, max_value=179, allow_nan=False),
)
ages = st.one_of(st.none(), st.integers(min_value=0, max_value=100))


@st.composite
def candidates(draw: st.DrawFn, key: str = "") -> Candidate:
    low = draw(ages)
    high = draw(ages)
    return Candidate(
        key=key or str(draw(st.integers(0, 10**6))),
        provider_key=draw(st.sampled_from(["p1", "p2", "p3"])),
        provider_name=draw(st.sampled_from(["A", "B", "C"])),
        service_type=draw(st.sampled_from(TYPES)),
        languages=tuple(draw(st.lists(st.sampled_from(LANGS), max_size=3, unique=True))),
        genders=frozenset(draw(st.lists(st.sampled_from(GENDERS), max_size=3))),
        min_age=low,
        max_age=high,
        nationalities=frozenset(draw(st.lists(st.sampled_from(COUNTRIES), max_size=2))),
        capacity=draw(st.one_of(st.none(), st.integers(0, 50))),
        available_places=draw(st.one_of(st.none(), st.integers(0, 50))),
        availability_age_days=draw(st.one_of(st.none(), st.floats(0, 60))),
        location=draw(st.one_of(st.none(), points)),
        admin_area=draw(st.sampled_from(["", "North", "South"])),
        city=draw(st.sampled_from(["", "Bălți", "Cahul"])),
    )


requests = st.builds(
    Request,
    service_types=st.frozensets(st.sampled_from(TYPES), max_size=3),
    gender=st.one_of(st.none(), st.sampled_from([*GENDERS, "NonSpecifiedUnknown"])),
    age=ages,
    nationalities=st.frozensets(st.sampled_from(COUNTRIES), max_size=2),
    languages=st.lists(st.sampled_from(LANGS), max_size=2, unique=True).map(tuple),
    location=st.one_of(st.none(), points),
    admin_area=st.sampled_from(["", "North"]),
    city=st.sampled_from(["", "Bălți"]),
    places_needed_now=st.booleans(),
)


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW_MACHINE)
@given(requests, st.lists(candidates(), max_size=8))
def test_an_ineligible_service_never_ranks_among_the_eligible(
    req: Request, pool: list[Candidate]
) -> None:
    result = rank(req, pool)
    for ranked in result.ranked:
        refused, _unchecked = matching.eligibility(req, ranked.candidate)
        assert refused == []
    for excluded in result.not_eligible:
        assert excluded.reasons
        assert excluded.candidate not in [r.candidate for r in result.ranked]
    scores = [r.score for r in result.ranked]
    assert scores == sorted(scores, reverse=True)


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW_MACHINE)
@given(requests, candidates(key="x"), st.integers(0, 60), st.integers(0, 60))
def test_more_available_places_never_lowers_a_score(
    req: Request, base: Candidate, fewer: int, more: int
) -> None:
    fewer, more = min(fewer, more), max(fewer, more)
    low = score(req, dataclasses.replace(base, available_places=fewer))
    high = score(req, dataclasses.replace(base, available_places=more))
    if isinstance(low, matching.Ranked):
        assert isinstance(high, matching.Ranked)
        assert high.score >= low.score


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW_MACHINE)
@given(requests, candidates(key="x"), points, st.floats(0, 1), st.floats(0, 1))
def test_closer_never_lowers_a_score(
    req: Request, base: Candidate, origin: Point, t1: float, t2: float
) -> None:
    # Two places on the way from the person to a far point: the nearer one scores no less.
    req = dataclasses.replace(req, location=origin)
    far = Point(
        max(-89.0, min(89.0, origin.latitude + 10)),
        max(-179.0, min(179.0, origin.longitude + 10)),
    )

    def between(t: float) -> Point:
        return Point(
            origin.latitude + (far.latitude - origin.latitude) * t,
            origin.longitude + (far.longitude - origin.longitude) * t,
        )

    a = score(req, dataclasses.replace(base, location=between(t1)))
    b = score(req, dataclasses.replace(base, location=between(t2)))
    if isinstance(a, matching.Ranked) and isinstance(b, matching.Ranked):
        assert a.distance_km is not None and b.distance_km is not None
        if a.distance_km <= b.distance_km:
            assert a.score >= b.score
        else:
            assert b.score >= a.score


@settings(deadline=None)
@given(st.floats(0, 20000), st.floats(0, 20000))
def test_distance_points_decrease_with_distance(a: float, b: float) -> None:
    near, far = min(a, b), max(a, b)
    assert matching.distance_points(near) >= matching.distance_points(far)
    assert -matching.DISTANCE_POINTS <= matching.distance_points(far) <= matching.DISTANCE_POINTS
