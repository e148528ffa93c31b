"""The person generator alone: scripts and languages per country, phones, determinism."""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from functools import cache

import phonenumbers
import pytest

from palermo.demo.catalogue import ORGANISATIONS
from palermo.demo.persons import PROFILES, PersonGenerator, valid_fixed_line, valid_mobile
from palermo.demo.persons import DemoPerson as Item
from palermo.people.models import Gender


@cache
def sample() -> list[Item]:
    generator = PersonGenerator(2000)
    return [p for index in range(4) for p in generator.chunk(index)]


def by_citizenship() -> dict[str, list[Item]]:
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in sample():
        for country in item.values["citizenship"]:
            groups[country].append(item)
    return groups


def full_name(item: Item) -> str:
    v = item.values
    return " ".join(filter(None, [v["first_name"], v["middle_name"], v["second_name"]]))


def scripts(text: str) -> set[str]:
    return {unicodedata.name(c).split()[0] for c in text if c.isalpha() and c != "\u02bc"}


def test_every_country_of_the_coalition_has_persons() -> None:
    assert set(by_citizenship()) == set(PROFILES)


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("UA", [{"CYRILLIC"}]),
        ("NP", [{"DEVANAGARI"}, {"LATIN"}]),
        ("PK", [{"ARABIC"}, {"LATIN"}]),
        ("MD", [{"LATIN"}]),
        ("VN", [{"LATIN"}]),
    ],
)
def test_names_are_in_the_scripts_of_their_country(country: str, expected: list[set[str]]) -> None:
    seen = [scripts(full_name(item)) for item in by_citizenship()[country]]
    for script in expected:
        assert script in seen, (country, script)
    assert all(s in expected for s in seen), country


def test_names_carry_their_diacritics() -> None:
    def accented(items: list[Item]) -> bool:
        return any(unicodedata.normalize("NFD", full_name(i)) != full_name(i) for i in items)

    groups = by_citizenship()
    for country in ("MD", "RO", "VN", "BR", "CO"):
        assert accented(groups[country]), country
    assert any((i.values["middle_name"] or "") in {"Thị", "Văn"} for i in groups["VN"])


def test_primary_languages_follow_the_country() -> None:
    groups = by_citizenship()
    assert {i.values["primary_language"] for i in groups["UA"]} <= {"uk", "ru"}
    assert {i.values["primary_language"] for i in groups["NG"]} == {"yo", "ig", "ha"}
    assert {i.values["primary_language"] for i in groups["ZA"]} == {"zu", "xh", "af"}
    assert {i.values["primary_language"] for i in groups["PH"]} == {"tl"}


def test_a_mix_of_genders_and_ages() -> None:
    items = sample()
    genders = {i.values["gender"] for i in items}
    assert {Gender.MASCULINE, Gender.TRANSGENDER_FEMININE, Gender.TRANSGENDER_MASCULINE} <= genders
    years = [i.values["birthdate"].year for i in items if i.values["birthdate"]]
    children = sum(1 for y in years if y > 2025 - 16)
    assert 0.04 < children / len(years) < 0.15
    assert sum(1 for y in years if 2025 - 46 < y <= 2025 - 16) / len(years) > 0.75


def test_owners_are_mostly_the_host_coalition() -> None:
    countries = {org.key: org.country for org in ORGANISATIONS}
    host = sum(1 for i in sample() if countries[i.owner] == "MD")
    assert 0.7 < host / len(sample()) < 0.9


@pytest.mark.parametrize("country", sorted(PROFILES))
def test_every_mobile_prefix_is_a_mobile_range(country: str) -> None:
    profile = PROFILES[country]
    code = phonenumbers.country_code_for_region(country)
    rng = random.Random(country)
    for prefix in profile.mobile_prefixes:
        rest = profile.mobile_length - len(prefix)
        numbers = [
            phonenumbers.parse(f"+{code}{prefix}{rng.randrange(10**rest):0{rest}d}")
            for _ in range(40)
        ]
        valid = [n for n in numbers if phonenumbers.is_valid_number(n)]
        assert len(valid) > 20, prefix  # valid_mobile() retries the odd invalid one
        assert all(
            phonenumbers.number_type(n)
            in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
            )
            for n in valid
        ), prefix
    for _ in range(20):
        for number in (valid_mobile(rng, country), valid_fixed_line(rng, country)):
            parsed = phonenumbers.parse(number)
            assert phonenumbers.is_valid_number(parsed), number
            assert phonenumbers.region_code_for_number(parsed) == country


def test_a_smaller_load_is_the_beginning_of_a_larger_one() -> None:
    generator = PersonGenerator(2000)
    assert generator.chunk(1, 10) == generator.chunk(1)[:10]
    assert PersonGenerator(2000).chunk(1, 10) == generator.chunk(1, 10)
    assert PersonGenerator(2001).chunk(1, 10) != generator.chunk(1, 10)
