"""Which Person field belongs to which personal field group, and how each is indexed."""

from __future__ import annotations

from collections.abc import Iterable

from palermo.accounts.roles import FieldGroup
from palermo.vault.blind_index import (
    normalise_email,
    normalise_identifier,
    normalise_name,
    normalise_phone,
)
from palermo.vault.fields import blind_index

PERSON_FIELD_GROUPS: dict[FieldGroup, tuple[str, ...]] = {
    FieldGroup.IDENTITY: (
        "salutation",
        "first_name",
        "middle_name",
        "second_name",
        "birthdate",
        "identity_number",
        "title",
    ),
    FieldGroup.CONTACT: ("email", "home_phone", "mobile_phone"),
    FieldGroup.LOCATION: (
        "mailing_street",
        "mailing_city",
        "mailing_state",
        "mailing_postal_code",
        "mailing_country",
        "mailing_latitude",
        "mailing_longitude",
    ),
}

DEMOGRAPHIC_FIELDS: tuple[str, ...] = (
    "gender",
    "marital_status",
    "number_of_children",
    "primary_language",
    "secondary_language",
    "highest_education",
    "citizenship",
    "deceased",
)

PERSONAL_FIELDS: tuple[str, ...] = tuple(f for fs in PERSON_FIELD_GROUPS.values() for f in fs)


def group_of(field_name: str) -> FieldGroup | None:
    for group, names in PERSON_FIELD_GROUPS.items():
        if field_name in names:
            return group
    return None


def groups_touched(field_names: Iterable[str]) -> set[str]:
    return {str(g) for f in field_names if (g := group_of(f)) is not None}


_VOWELS = frozenset("aeiouy")
_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


def phonetic_key(name: str) -> str:
    """A coarse sound-alike key of a name in any script: 'Олена', 'Olena', 'Alena' → 'A45'.

    Transliterated to Latin (anyascii), then Soundex with two changes for the names Palermo
    meets: w is read as v (Kowalenko, Kovalenko), and a leading vowel is just "a vowel"
    (Olena, Elena, Alena). Coarse on purpose: it only pre-selects candidates for the fuzzy
    comparison (rapidfuzz, jellyfish) of registration, which decrypts and scores the few found.
    """
    letters = [c for c in normalise_name(name).replace("w", "v") if "a" <= c <= "z"]
    if not letters:
        return ""
    head = "A" if letters[0] in _VOWELS else letters[0].upper()
    digits: list[str] = []
    previous = _SOUNDEX_CODES.get(letters[0], "")
    for letter in letters[1:]:
        code = _SOUNDEX_CODES.get(letter, "")
        if code and code != previous:
            digits.append(code)
        if letter != "h":  # as in Soundex, an h does not separate two equal codes; vowels do
            previous = code
    return head + "".join(digits)[:3]


def phonetic_digests(first_name: str, second_name: str, birth_year: int | None) -> dict[str, str]:
    """The blind-indexed sound-alike keys of a person: the pair of names, each name with the year.

    Pairs rather than single keys, so the stored digests say little on their own (a name key
    or a birth year alone would be easy to count), and the names are sorted so a swapped first
    and last name still meet.
    """
    first, last = phonetic_key(first_name), phonetic_key(second_name)
    names = "|".join(sorted(k for k in (first, last) if k))
    year = str(birth_year) if birth_year else ""
    return {
        "bidx_phonetic_names": blind_index("phonetic_names", names),
        "bidx_phonetic_first_year": blind_index("phonetic_year", f"{first}|{year}")
        if first and year
        else "",
        "bidx_phonetic_last_year": blind_index("phonetic_year", f"{last}|{year}")
        if last and year
        else "",
    }


def person_blind_indexes(values: dict[str, object], default_region: str | None) -> dict[str, str]:
    """Blind-index columns for a person's (plaintext) values."""

    def text(name: str) -> str:
        value = values.get(name)
        return "" if value is None else str(value)

    full_name = normalise_name(" ".join(filter(None, [text("first_name"), text("second_name")])))
    birthdate = values.get("birthdate")
    birth_year: int | None = getattr(birthdate, "year", None)
    return {
        **phonetic_digests(text("first_name"), text("second_name"), birth_year),
        "bidx_first_name": blind_index("name", normalise_name(text("first_name"))),
        "bidx_second_name": blind_index("name", normalise_name(text("second_name"))),
        "bidx_full_name": blind_index("full_name", full_name),
        "bidx_birthdate": blind_index("date", birthdate.isoformat() if birthdate else ""),  # type: ignore[attr-defined]
        "bidx_identity_number": blind_index(
            "identity_number", normalise_identifier(text("identity_number"))
        ),
        "bidx_email": blind_index("email", normalise_email(text("email"))),
        "bidx_mobile_phone": blind_index(
            "phone", normalise_phone(text("mobile_phone"), default_region)
        ),
        "bidx_home_phone": blind_index(
            "phone", normalise_phone(text("home_phone"), default_region)
        ),
    }


def search_digests(query: str, default_region: str | None) -> dict[str, list[str]]:
    """For a search string, the digests to look up in each blind-index column."""
    query = query.strip()
    name = blind_index("name", normalise_name(query))
    phone = blind_index("phone", normalise_phone(query, default_region))
    digests = {
        "bidx_first_name": [name],
        "bidx_second_name": [name],
        "bidx_full_name": [blind_index("full_name", normalise_name(query))],
        "bidx_identity_number": [blind_index("identity_number", normalise_identifier(query))],
        "bidx_email": [blind_index("email", normalise_email(query))],
        "bidx_mobile_phone": [phone],
        "bidx_home_phone": [phone],
    }
    try:
        import datetime

        digests["bidx_birthdate"] = [
            blind_index("date", datetime.date.fromisoformat(query).isoformat())
        ]
    except ValueError:
        pass
    return {column: [d for d in ds if d] for column, ds in digests.items() if any(ds)}
