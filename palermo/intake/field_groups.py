"""Which Contact field belongs to which personal field group, and how each is indexed."""

from __future__ import annotations

from collections.abc import Iterable

from palermo.accounts.roles import FieldGroup
from palermo.vault.blind_index import normalise_email, normalise_phone
from palermo.vault.fields import blind_index

CONTACT_FIELD_GROUPS: dict[FieldGroup, tuple[str, ...]] = {
    FieldGroup.NARRATIVE: ("narrative", "occurred_text"),
    FieldGroup.LOCATION: ("location_text",),
    FieldGroup.IDENTITY: ("reporter_name",),
    FieldGroup.CONTACT: ("reporter_phone", "reporter_email"),
}

PERSONAL_FIELDS: tuple[str, ...] = tuple(f for fs in CONTACT_FIELD_GROUPS.values() for f in fs)

# Identifiers, SMS texts, tip follow-ups and attachments are what the narrative says, in
# other words: they are shown (and their reading audited) with the narrative group.
DERIVED_GROUP = FieldGroup.NARRATIVE

# The blind-index domain of each kind of identifier: phones and emails share the people
# module's domains, so a number in a tip matches a person's number.
IDENTIFIER_DOMAINS = {
    "phone": "phone",
    "email": "email",
    "url": "url",
    "social": "social",
    "money": "money",
    "plate": "plate",
    "place": "place",
}


def group_of(field_name: str) -> FieldGroup | None:
    for group, names in CONTACT_FIELD_GROUPS.items():
        if field_name in names:
            return group
    return None


def groups_touched(field_names: Iterable[str]) -> set[str]:
    return {str(g) for f in field_names if (g := group_of(f)) is not None}


def reporter_indexes(phone: str | None, email: str | None, region: str | None) -> dict[str, str]:
    return {
        "bidx_reporter_phone": blind_index("phone", normalise_phone(phone or "", region)),
        "bidx_reporter_email": blind_index("email", normalise_email(email or "")),
    }
