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


def person_blind_indexes(values: dict[str, object], default_region: str | None) -> dict[str, str]:
    """Blind-index columns for a person's (plaintext) values."""

    def text(name: str) -> str:
        value = values.get(name)
        return "" if value is None else str(value)

    full_name = normalise_name(" ".join(filter(None, [text("first_name"), text("second_name")])))
    birthdate = values.get("birthdate")
    return {
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
