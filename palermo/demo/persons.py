"""Deterministic, fictional persons for the demo: pure Python, no database.

Persons are made in chunks of `CHUNK` with one `random.Random` per chunk, seeded from the demo
seed and the chunk number. So person *i* depends only on the seed and *i*: a small load is the
first rows of a large one, and a chunk can be remade alone. Name and street pools are built
once from Faker's locale data (seeded) and the curated lists in `names.py`; drawing from pools
is much faster than calling Faker per row, which matters at a million rows.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import random
import re
import unicodedata
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import phonenumbers
from anyascii import anyascii
from faker import Faker

from palermo.people.models import Education, Gender, MaritalStatus

from . import names
from .catalogue import ASSIGNEES, HOST_COUNTRY, ORGANISATIONS, DemoOrganisation

CHUNK = 1000
# Ages are counted back from a fixed day, not from today, so that the same seed gives the same
# birthdates whenever it runs.
REFERENCE_DATE = datetime.date(2025, 1, 1)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606: never delivered
_INVISIBLE = dict.fromkeys(c for c in range(0x2000, 0x2070) if unicodedata.category(chr(c)) == "Cf")


class Picker:
    """Draws one of `values`, uniformly or by relative weights."""

    def __init__(self, values: Sequence[str], weights: Sequence[float] | None = None) -> None:
        if not values:
            raise ValueError("A picker needs at least one value.")
        self.values = tuple(values)
        self.cum_weights = tuple(itertools.accumulate(weights)) if weights else None

    def __call__(self, rng: random.Random) -> str:
        if self.cum_weights is None:
            return self.values[int(rng.random() * len(self.values))]
        return self.values[bisect(self.cum_weights, rng.random() * self.cum_weights[-1])]

    @classmethod
    def weighted(cls, pairs: Sequence[tuple[str, float]]) -> Picker:
        return cls([value for value, _ in pairs], [weight for _, weight in pairs])


@dataclass(frozen=True)
class NameStyle:
    """How persons of one language or community are named."""

    female: Picker
    male: Picker
    family: Picker
    family_female: Picker | None = None  # where family names are gendered (Ukrainian)
    middle: str = ""  # "patronymic", "vietnamese", "given", "maternal" or ""
    middle_rate: float = 0.0
    middle_female: Picker | None = None
    middle_male: Picker | None = None
    double_family: float = 0.0  # share with two family names (Colombia, Brazil)
    languages: Picker = field(default_factory=lambda: Picker(["en"]))


@dataclass(frozen=True)
class CountryProfile:
    """A country's persons: their name styles, second languages, phones and documents."""

    styles: Picker
    secondary_languages: tuple[str, ...]
    mobile_prefixes: tuple[str, ...]  # national significant number prefixes of mobile ranges
    mobile_length: int  # digits of the national significant number
    id_pattern: str  # '#' a digit, '?' a letter, '{yymmdd}' the birthdate
    street_locale: str = ""  # a Faker locale whose street addresses look right here


PROFILES: dict[str, CountryProfile] = {
    "MD": CountryProfile(
        Picker.weighted([("md", 0.8), ("ro", 0.2)]),
        ("ru", "en", "uk"),
        ("60", "62", "67", "68", "69", "78", "79"),
        8,
        "200##########",
    ),
    "UA": CountryProfile(
        Picker(["uk"]),
        ("ru", "en", "pl", "ro"),
        ("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"),
        9,
        "#########",
        "uk_UA",
    ),
    "RO": CountryProfile(
        Picker(["ro"]),
        ("en", "hu", "fr", "it"),
        ("72", "73", "74", "75", "76", "77", "78"),
        9,
        "#{yymmdd}######",
        "ro_RO",
    ),
    "NP": CountryProfile(
        Picker.weighted([("ne", 0.65), ("ne_latn", 0.35)]),
        ("en", "hi"),
        ("980", "981", "982", "984", "985", "986"),
        10,
        "##-##-##-#####",
    ),
    "BR": CountryProfile(
        Picker(["pt_br"]),
        ("es", "en"),
        ("119", "219", "859", "719", "919", "819", "929", "629"),
        11,
        "###.###.###-##",
        "pt_BR",
    ),
    "NG": CountryProfile(
        Picker.weighted([("yo", 0.4), ("ig", 0.3), ("ha", 0.3)]),
        ("en",),
        (
            "803",
            "806",
            "813",
            "816",
            "703",
            "706",
            "805",
            "807",
            "815",
            "905",
            "802",
            "808",
            "812",
            "701",
            "902",
        ),
        10,
        "###########",
    ),
    "PH": CountryProfile(
        Picker(["fil"]),
        ("en",),
        (
            "917",
            "918",
            "919",
            "920",
            "921",
            "927",
            "935",
            "945",
            "955",
            "966",
            "977",
            "995",
            "998",
            "999",
        ),
        10,
        "####-####-####-####",
    ),
    "VN": CountryProfile(
        Picker(["vi"]),
        ("en", "zh"),
        (
            "90",
            "91",
            "93",
            "94",
            "96",
            "97",
            "98",
            "32",
            "33",
            "34",
            "35",
            "36",
            "37",
            "38",
            "39",
            "70",
            "76",
            "77",
            "78",
            "79",
            "81",
            "82",
            "83",
            "84",
            "85",
            "86",
            "88",
        ),
        9,
        "0###########",
        "vi_VN",
    ),
    "ZW": CountryProfile(
        Picker.weighted([("sn", 0.75), ("nd", 0.25)]),
        ("en",),
        ("71", "73", "77", "78"),
        9,
        "##-######?##",
    ),
    "ZA": CountryProfile(
        Picker.weighted([("zu", 0.45), ("xh", 0.35), ("af", 0.2)]),
        ("en",),
        ("60", "61", "71", "72", "73", "74", "76", "78", "79", "81", "82", "83", "84"),
        9,
        "{yymmdd}#######",
    ),
    "PK": CountryProfile(
        Picker.weighted([("ur_latn", 0.7), ("ur_arab", 0.3)]),
        ("en", "ur"),
        (
            "300",
            "301",
            "303",
            "305",
            "306",
            "307",
            "308",
            "310",
            "311",
            "312",
            "313",
            "314",
            "315",
            "320",
            "321",
            "322",
            "323",
            "330",
            "331",
            "332",
            "333",
            "334",
            "335",
            "340",
            "341",
            "342",
            "343",
            "345",
            "346",
            "347",
        ),
        10,
        "#####-#######-#",
    ),
    "CO": CountryProfile(
        Picker(["es_co"]),
        ("en",),
        (
            "300",
            "301",
            "302",
            "304",
            "305",
            "310",
            "311",
            "312",
            "313",
            "314",
            "315",
            "316",
            "317",
            "318",
            "319",
            "320",
            "321",
            "322",
            "323",
            "350",
            "351",
        ),
        10,
        "##########",
        "es_CO",
    ),
}

# Where the host coalition's persons come from (citizenship), roughly.
HOST_ORIGINS = Picker.weighted(
    [
        ("MD", 42),
        ("UA", 22),
        ("RO", 4),
        ("NP", 3),
        ("BR", 2),
        ("NG", 4),
        ("PH", 4),
        ("VN", 5),
        ("ZW", 2),
        ("ZA", 2),
        ("PK", 7),
        ("CO", 3),
    ]
)
GENDERS = Picker.weighted(
    [
        (Gender.FEMININE, 60),
        (Gender.MASCULINE, 32),
        (Gender.TRANSGENDER_FEMININE, 2.5),
        (Gender.TRANSGENDER_MASCULINE, 1.2),
        (Gender.NON_CONFORMING, 1.3),
        (Gender.UNKNOWN, 3),
    ]
)
_FEMININE = {Gender.FEMININE, Gender.TRANSGENDER_FEMININE}
_MASCULINE = {Gender.MASCULINE, Gender.TRANSGENDER_MASCULINE}
ADULT_MARITAL = Picker.weighted(
    [
        (MaritalStatus.SINGLE, 45),
        (MaritalStatus.MARRIED, 25),
        (MaritalStatus.DIVORCED, 10),
        (MaritalStatus.SEPARATED, 8),
        (MaritalStatus.WIDOWED, 4),
        (MaritalStatus.REGISTERED_PARTNERSHIP, 2),
        ("", 6),
    ]
)
ADULT_EDUCATION = Picker.weighted(
    [
        (Education.PRIMARY, 12),
        (Education.LOWER_SECONDARY, 25),
        (Education.UPPER_SECONDARY, 28),
        (Education.POST_SECONDARY, 8),
        (Education.SHORT_TERTIARY, 6),
        (Education.BACHELORS, 10),
        (Education.MASTERS, 3),
        (Education.DOCTORAL, 0.3),
        ("", 8),
    ]
)


def _clean(value: str) -> str:
    """Drop invisible formatting characters (Faker's Nepali has zero-width joiners) and squeeze
    spaces: the person forms refuse both."""
    return " ".join(value.translate(_INVISIBLE).split())


@functools.cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


def _faker_names(locale: str, attribute: str) -> Picker:
    """A picker over one of Faker's name lists for `locale`, keeping Faker's weights if any."""
    data: Any = getattr(_faker(locale).provider("faker.providers.person"), attribute)
    if isinstance(data, dict):
        pairs = {_clean(k): float(v) for k, v in data.items()}
        return Picker(list(pairs), list(pairs.values()))
    return Picker(list(dict.fromkeys(_clean(v) for v in data)))


def _styles() -> dict[str, NameStyle]:
    def faker(locale: str, **kwargs: Any) -> NameStyle:
        return NameStyle(
            female=_faker_names(locale, "first_names_female"),
            male=_faker_names(locale, "first_names_male"),
            family=_faker_names(locale, "last_names"),
            **kwargs,
        )

    def curated(
        female: Sequence[str], male: Sequence[str], family: Sequence[str], **kwargs: Any
    ) -> NameStyle:
        return NameStyle(female=Picker(female), male=Picker(male), family=Picker(family), **kwargs)

    pk_languages = Picker.weighted([("ur", 0.55), ("pa", 0.35), ("ps", 0.1)])
    ro_family = Picker(
        list(
            dict.fromkeys(_faker_names("ro_RO", "last_names").values + names.ROMANIAN_FAMILY_EXTRA)
        )
    )
    return {
        "md": curated(
            names.MOLDOVAN_FEMALE,
            names.MOLDOVAN_MALE,
            names.MOLDOVAN_FAMILY,
            languages=Picker.weighted([("ro", 0.82), ("ru", 0.15), ("uk", 0.03)]),
        ),
        "ro": NameStyle(
            female=_faker_names("ro_RO", "first_names_female"),
            male=_faker_names("ro_RO", "first_names_male"),
            family=ro_family,
            languages=Picker(["ro"]),
        ),
        "uk": NameStyle(
            female=_faker_names("uk_UA", "first_names_female"),
            male=_faker_names("uk_UA", "first_names_male"),
            family=_faker_names("uk_UA", "last_names_male"),
            family_female=_faker_names("uk_UA", "last_names_female"),
            middle="patronymic",
            middle_rate=0.75,
            middle_female=_faker_names("uk_UA", "middle_names_female"),
            middle_male=_faker_names("uk_UA", "middle_names_male"),
            languages=Picker.weighted([("uk", 0.7), ("ru", 0.3)]),
        ),
        "ne": faker("ne_NP", languages=Picker(["ne"])),
        "ne_latn": curated(
            names.NEPALI_LATIN_FEMALE,
            names.NEPALI_LATIN_MALE,
            names.NEPALI_LATIN_FAMILY,
            languages=Picker(["ne"]),
        ),
        "vi": NameStyle(
            female=Picker(names.VIETNAMESE_FEMALE),
            male=Picker(names.VIETNAMESE_MALE),
            family=Picker.weighted(names.VIETNAMESE_FAMILY_WEIGHTED),
            middle="vietnamese",
            middle_rate=0.9,
            middle_female=Picker(names.VIETNAMESE_MIDDLE_FEMALE),
            middle_male=Picker(names.VIETNAMESE_MIDDLE_MALE),
            languages=Picker(["vi"]),
        ),
        "pt_br": faker(
            "pt_BR", middle="given", middle_rate=0.25, double_family=0.4, languages=Picker(["pt"])
        ),
        "es_co": faker(
            "es_CO", middle="given", middle_rate=0.35, double_family=0.85, languages=Picker(["es"])
        ),
        "fil": curated(
            names.FILIPINO_FEMALE,
            names.FILIPINO_MALE,
            names.FILIPINO_FAMILY,
            middle="maternal",
            middle_rate=0.7,
            languages=Picker(["tl"]),
        ),
        "yo": faker("yo_NG", middle="given", middle_rate=0.3, languages=Picker(["yo"])),
        "ig": faker("ig_NG", middle="given", middle_rate=0.3, languages=Picker(["ig"])),
        "ha": faker("ha_NG", middle="given", middle_rate=0.2, languages=Picker(["ha"])),
        "sn": curated(
            names.SHONA_FEMALE, names.SHONA_MALE, names.SHONA_FAMILY, languages=Picker(["sn"])
        ),
        "nd": curated(
            names.NDEBELE_FEMALE, names.NDEBELE_MALE, names.NDEBELE_FAMILY, languages=Picker(["nd"])
        ),
        "zu": faker("zu_ZA", languages=Picker(["zu"])),
        "xh": curated(
            names.XHOSA_FEMALE, names.XHOSA_MALE, names.XHOSA_FAMILY, languages=Picker(["xh"])
        ),
        "af": curated(
            names.AFRIKAANS_FEMALE,
            names.AFRIKAANS_MALE,
            names.AFRIKAANS_FAMILY,
            languages=Picker(["af"]),
        ),
        "ur_latn": curated(
            [n for n, _ in names.PAKISTANI_FEMALE],
            [n for n, _ in names.PAKISTANI_MALE],
            [n for n, _ in names.PAKISTANI_FAMILY],
            middle="given",
            middle_rate=0.2,
            languages=pk_languages,
        ),
        "ur_arab": curated(
            [n for _, n in names.PAKISTANI_FEMALE],
            [n for _, n in names.PAKISTANI_MALE],
            [n for _, n in names.PAKISTANI_FAMILY],
            middle="given",
            middle_rate=0.2,
            languages=pk_languages,
        ),
    }


def _is_valid(number: str) -> bool:
    return bool(phonenumbers.is_valid_number(phonenumbers.parse(number)))


@functools.cache
def _whole_range_valid(country: str, prefix: str) -> bool:
    """Whether every number under this prefix seems valid (then numbers need no check each)."""
    profile = PROFILES[country]
    code = phonenumbers.country_code_for_region(country)
    rest = profile.mobile_length - len(prefix)
    return all(_is_valid(f"+{code}{prefix}{d * rest}") for d in "0123456789")


def valid_mobile(rng: random.Random, country: str) -> str:
    """A mobile number in E.164 that phonenumbers deems valid for `country`."""
    profile = PROFILES[country]
    code = phonenumbers.country_code_for_region(country)
    for _ in range(50):
        prefix = profile.mobile_prefixes[int(rng.random() * len(profile.mobile_prefixes))]
        rest = profile.mobile_length - len(prefix)
        number = f"+{code}{prefix}{rng.randrange(10**rest):0{rest}d}"
        if _whole_range_valid(country, prefix) or _is_valid(number):
            return number
    raise ValueError(f"No valid mobile number for {country}: check its prefixes.")


def valid_fixed_line(rng: random.Random, country: str) -> str:
    """A fixed-line number in E.164, in the area of phonenumbers' example number."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
    if example is None:
        raise ValueError(f"phonenumbers has no fixed-line example for {country}.")
    national = phonenumbers.national_significant_number(example)
    keep = min(4, len(national) - 3)
    for _ in range(50):
        rest = len(national) - keep
        number = f"+{example.country_code}{national[:keep]}{rng.randrange(10**rest):0{rest}d}"
        if _is_valid(number):
            return number
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def _identity_number(rng: random.Random, pattern: str, birthdate: datetime.date | None) -> str:
    text = pattern.replace("{yymmdd}", birthdate.strftime("%y%m%d") if birthdate else "000000")
    return "".join(
        str(int(rng.random() * 10))
        if c == "#"
        else chr(65 + int(rng.random() * 26))
        if c == "?"
        else c
        for c in text
    )


def _email(rng: random.Random, first: str, family: str | None) -> str:
    def ascii_word(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", anyascii(text).lower())

    parts = [ascii_word(first), ascii_word(family or "")]
    parts = [p for p in parts if p] or ["person"]
    separator = ("", ".", "_")[int(rng.random() * 3)]
    local = separator.join(parts)
    if rng.random() < 0.6:
        local += str(rng.randrange(1, 100 if rng.random() < 0.7 else 2000))
    return f"{local}@{EMAIL_DOMAINS[int(rng.random() * len(EMAIL_DOMAINS))]}"


@dataclass(slots=True)
class DemoPerson:
    """One person to insert: plaintext field values and references by catalogue key."""

    values: dict[str, Any]
    owner: str  # organisation key
    created_by: str | None  # username
    assigned: tuple[str, ...]  # usernames
    registered_seconds_ago: int


class PersonGenerator:
    """Makes the demo persons for one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.styles = _styles()
        self.host_owners, self.partner_owners = self._owner_pickers()
        self.by_key = {org.key: org for org in ORGANISATIONS}
        self.streets = self._street_pools()

    @staticmethod
    def _owner_pickers() -> tuple[Picker, Picker]:
        def picker(orgs: list[DemoOrganisation]) -> Picker:
            return Picker([o.key for o in orgs], [o.owner_weight for o in orgs])

        owners = [o for o in ORGANISATIONS if o.owner_weight > 0]
        return (
            picker([o for o in owners if o.country == HOST_COUNTRY]),
            picker([o for o in owners if o.country != HOST_COUNTRY]),
        )

    def _street_pools(self) -> dict[str, Picker]:
        pools: dict[str, Picker] = {}
        for country, profile in PROFILES.items():
            if profile.street_locale:
                fake = Faker(profile.street_locale)
                fake.seed_instance(f"palermo-demo:{self.seed}:streets:{country}")
                pools[country] = Picker([_clean(fake.street_address()) for _ in range(400)])
        return pools

    def chunks(self, total: int) -> Iterator[list[DemoPerson]]:
        """All `total` persons, a chunk at a time."""
        for index in range(0, (total + CHUNK - 1) // CHUNK):
            yield self.chunk(index, min(CHUNK, total - index * CHUNK))

    def chunk(self, index: int, count: int = CHUNK) -> list[DemoPerson]:
        """The first `count` persons of chunk `index`."""
        rng = random.Random(f"palermo-demo:{self.seed}:persons:{index}")  # noqa: S311
        return [self._person(rng) for _ in range(count)]

    def _street(self, rng: random.Random, country: str) -> str:
        if country in self.streets:
            return self.streets[country](rng)
        street = names.STREETS[country][int(rng.random() * len(names.STREETS[country]))]
        number = rng.randrange(1, 180)
        if country == "MD":
            return f"{street} {number}" + (
                f", ap. {rng.randrange(1, 120)}" if rng.random() < 0.6 else ""
            )
        if country == "NP":
            return f"{street}, Ward {rng.randrange(1, 33)}"
        if country == "PK":
            return f"House {number}, {street}"
        return f"{number} {street}"

    def _person(self, rng: random.Random) -> DemoPerson:
        owner = self.by_key[(self.host_owners if rng.random() < 0.8 else self.partner_owners)(rng)]
        if owner.country == HOST_COUNTRY:
            origin = HOST_ORIGINS(rng)
            residence = origin if origin == HOST_COUNTRY or rng.random() < 0.4 else HOST_COUNTRY
        else:
            origin = owner.country if rng.random() < 0.85 else HOST_ORIGINS(rng)
            residence = owner.country if rng.random() < 0.9 else HOST_COUNTRY
        profile = PROFILES[origin]
        style = self.styles[profile.styles(rng)]

        gender = GENDERS(rng)
        feminine = gender in _FEMININE or (gender not in _MASCULINE and rng.random() < 0.6)
        first = (style.female if feminine else style.male)(rng)
        family: str | None = (
            style.family_female if feminine and style.family_female else style.family
        )(rng)
        if style.double_family and rng.random() < style.double_family:
            family = f"{family} {style.family(rng)}"
        if rng.random() < 0.03:  # the family name is not known
            family = None
        middle = None
        if style.middle and rng.random() < style.middle_rate:
            if style.middle == "patronymic" or style.middle == "vietnamese":
                picker = style.middle_female if feminine else style.middle_male
                common = "Thị" if feminine else "Văn"
                middle = (
                    common
                    if style.middle == "vietnamese" and rng.random() < 0.6
                    else picker(rng)
                    if picker
                    else None
                )
            elif style.middle == "given":
                middle = (style.female if feminine else style.male)(rng)
            elif style.middle == "maternal":
                middle = style.family(rng)
            if middle == first:
                middle = None

        band = rng.random()
        age = (
            rng.randrange(5, 16)
            if band < 0.09
            else rng.randrange(16, 46)
            if band < 0.93
            else rng.randrange(46, 66)
        )
        birthdate: datetime.date | None = REFERENCE_DATE - datetime.timedelta(
            days=age * 365 + rng.randrange(365)
        )
        if rng.random() < 0.04:  # date of birth unknown
            birthdate = None

        values: dict[str, Any] = {
            "first_name": first,
            "middle_name": middle,
            "second_name": family,
            "birthdate": birthdate,
            "gender": gender,
        }
        if rng.random() < 0.55:
            values["identity_number"] = _identity_number(rng, profile.id_pattern, birthdate)
        if rng.random() < 0.85:
            mobile_country = origin if rng.random() < 0.75 else residence
            values["mobile_phone"] = valid_mobile(rng, mobile_country)
        if rng.random() < 0.12:
            values["home_phone"] = valid_fixed_line(rng, residence)
        if rng.random() < 0.45:
            values["email"] = _email(rng, first, family)

        if rng.random() < 0.95:
            city = names.CITIES[residence][int(rng.random() * len(names.CITIES[residence]))]
            values.update(
                mailing_city=city.name, mailing_state=city.region, mailing_country=residence
            )
            if rng.random() < 0.4:
                values["mailing_street"] = self._street(rng, residence)
                values["mailing_postal_code"] = city.postal_code or None
            if rng.random() < 0.3:
                values["mailing_latitude"] = Decimal(
                    f"{city.latitude + (rng.random() - 0.5) * 0.06:.6f}"
                )
                values["mailing_longitude"] = Decimal(
                    f"{city.longitude + (rng.random() - 0.5) * 0.06:.6f}"
                )

        adult = age >= 18
        values["marital_status"] = ADULT_MARITAL(rng) if adult else MaritalStatus.SINGLE
        if adult and rng.random() < 0.7:
            values["number_of_children"] = min(int(rng.expovariate(0.8)), 8)
        elif not adult:
            values["number_of_children"] = 0
        values["highest_education"] = (
            ADULT_EDUCATION(rng)
            if adult
            else Education.PRIMARY
            if age < 12
            else Education.LOWER_SECONDARY
        )
        primary = style.languages(rng)
        values["primary_language"] = primary
        seconds = [code for code in profile.secondary_languages if code != primary]
        values["secondary_language"] = (
            seconds[int(rng.random() * len(seconds))] if seconds and rng.random() < 0.65 else ""
        )
        citizenship = [origin]
        if origin == "MD" and rng.random() < 0.15:
            citizenship.append("RO")  # many Moldovans hold Romanian citizenship too
        if rng.random() < 0.02:
            citizenship = []  # undocumented: never registered at birth, or papers taken
        values["citizenship"] = sorted(citizenship)
        values["deceased"] = rng.random() < 0.002

        assigned = tuple(
            username
            for username, share in ASSIGNEES
            if owner.country == HOST_COUNTRY and rng.random() < share
        )
        return DemoPerson(
            values=values,
            owner=owner.key,
            created_by=owner.registrar,
            assigned=assigned,
            # More recent registrations than old ones, over three years.
            registered_seconds_ago=int(rng.triangular(0, 3 * 365 * 86400, 0)),
        )
