"""What travels inside a package (the plaintext), built on one side and checked on the other.

A referral package carries the referral (references, reason, the sender's message, the response
deadline, the sending organisation's name and country), the person's fields of the shared groups
only, a few demographic fields that name nobody (gender, citizenship, languages), and the case
summary when the narrative group is shared. A status package carries a referral's new state
(receiver to sender); a revocation package tells the receiver that the sender revoked the
referral, and why (sender to receiver).

The receiver checks every field's type and length, and refuses a person field outside the
groups the package itself says were shared: a partner cannot send more than it declares.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from palermo.accounts.roles import FieldGroup
from palermo.people.field_groups import PERSON_FIELD_GROUPS

from .packages import PackageRefused

PAYLOAD_VERSION = 1
# Demographic fields that travel with every referral: they name and locate nobody, and a service
# needs them (a shelter for women, an interpreter's language).
TRAVELLING_DEMOGRAPHICS = ("gender", "citizenship", "primary_language", "secondary_language")
REFERRAL_REASONS = ("AdditionalServicesRequired", "MigrationOrChangeOfLocation", "Other")
REFERRAL_KINDS = ("referral",)
CONSENT_BASES = ("consent", "best_interest", "override")
STATUS_STATES = ("accepted", "declined", "in_progress", "done")
MAX_TEXT = 4000
MAX_FIELD = 300
_GROUP_NAMES = frozenset(str(g) for g in FieldGroup)


@dataclass(frozen=True)
class ReferralPayload:
    referral_id: uuid.UUID
    reference: str
    case_reference: str
    kind: str
    reason: str
    details: str
    respond_by: datetime.date | None
    sender_organisation_name: str
    sender_country: str
    shared_groups: list[str]
    consent_basis: str
    is_child: bool
    person: dict[str, Any]
    case_summary: str


@dataclass(frozen=True)
class StatusPayload:
    referral_id: uuid.UUID
    state: str
    note: str
    at: datetime.datetime


@dataclass(frozen=True)
class RevocationPayload:
    referral_id: uuid.UUID
    note: str
    at: datetime.datetime


def _bad(detail: str) -> PackageRefused:
    return PackageRefused("bad_payload", detail)


def _text(data: dict[str, Any], name: str, limit: int, *, required: bool = True) -> str:
    value = data.get(name, "" if not required else None)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise _bad(name)
    return value


def _uuid(data: dict[str, Any], name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(data.get(name, "")))
    except ValueError as exc:
        raise _bad(name) from exc


def _choice(data: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = data.get(name)
    if value not in choices:
        raise _bad(name)
    return str(value)


def _version(data: dict[str, Any]) -> None:
    if data.get("payload_version") != PAYLOAD_VERSION:
        raise _bad("payload_version")


def check_referral_payload(data: dict[str, Any]) -> ReferralPayload:
    """A referral package's payload, checked; PackageRefused("bad_payload") otherwise."""
    _version(data)
    groups = data.get("shared_groups")
    if (
        not isinstance(groups, list)
        or not all(isinstance(g, str) and g in _GROUP_NAMES for g in groups)
        or len(set(groups)) != len(groups)
    ):
        raise _bad("shared_groups")
    person = data.get("person")
    if not isinstance(person, dict):
        raise _bad("person")
    allowed = set(TRAVELLING_DEMOGRAPHICS)
    for group, names in PERSON_FIELD_GROUPS.items():
        if str(group) in groups:
            allowed.update(names)
    for name, value in person.items():
        if name not in allowed:
            # More than the sender declares it shared: the whole package is refused.
            raise _bad("person field outside the shared groups")
        if name == "citizenship":
            if not isinstance(value, list) or not all(
                isinstance(c, str) and len(c) <= 3 for c in value
            ):
                raise _bad("person.citizenship")
        elif value is not None and (not isinstance(value, str) or len(value) > MAX_FIELD):
            raise _bad(f"person.{name}")
    respond_by = data.get("respond_by")
    try:
        due = datetime.date.fromisoformat(respond_by) if respond_by is not None else None
    except (TypeError, ValueError) as exc:
        raise _bad("respond_by") from exc
    organisation = data.get("sender_organisation")
    if not isinstance(organisation, dict):
        raise _bad("sender_organisation")
    summary = _text(data, "case_summary", MAX_TEXT, required=False)
    if summary and "narrative" not in groups:
        raise _bad("case_summary outside the shared groups")
    is_child = data.get("is_child")
    if not isinstance(is_child, bool):
        raise _bad("is_child")
    return ReferralPayload(
        referral_id=_uuid(data, "referral_id"),
        reference=_text(data, "reference", 20),
        case_reference=_text(data, "case_reference", 20, required=False),
        kind=_choice(data, "kind", REFERRAL_KINDS),
        reason=_choice(data, "reason", REFERRAL_REASONS),
        details=_text(data, "details", MAX_TEXT, required=False),
        respond_by=due,
        sender_organisation_name=_text(organisation, "name", 200),
        sender_country=_text(organisation, "country", 2, required=False).upper(),
        shared_groups=sorted(groups),
        consent_basis=_choice(data, "consent_basis", CONSENT_BASES),
        is_child=is_child,
        person={k: v for k, v in person.items() if v not in (None, "", [])},
        case_summary=summary,
    )


def check_status_payload(data: dict[str, Any]) -> StatusPayload:
    """A status package's payload, checked."""
    _version(data)
    return StatusPayload(
        referral_id=_uuid(data, "referral_id"),
        state=_choice(data, "state", STATUS_STATES),
        note=_text(data, "note", MAX_TEXT, required=False),
        at=_moment(data, "at"),
    )


def check_revocation_payload(data: dict[str, Any]) -> RevocationPayload:
    """A revocation package's payload, checked."""
    _version(data)
    return RevocationPayload(
        referral_id=_uuid(data, "referral_id"),
        note=_text(data, "note", MAX_TEXT, required=False),
        at=_moment(data, "at"),
    )


def _moment(data: dict[str, Any], name: str) -> datetime.datetime:
    """An ISO 8601 date and time with its offset."""
    try:
        at = datetime.datetime.fromisoformat(str(data.get(name, "")))
    except ValueError as exc:
        raise _bad(name) from exc
    if at.tzinfo is None:
        raise _bad(name)
    return at


def status_payload(
    *, referral_id: uuid.UUID, state: str, note: str, at: datetime.datetime
) -> dict[str, Any]:
    if state not in STATUS_STATES:
        raise ValueError(state)
    return {
        "payload_version": PAYLOAD_VERSION,
        "referral_id": str(referral_id),
        "state": state,
        "note": note,
        "at": at.isoformat(),
    }


def revocation_payload(
    *, referral_id: uuid.UUID, note: str, at: datetime.datetime
) -> dict[str, Any]:
    return {
        "payload_version": PAYLOAD_VERSION,
        "referral_id": str(referral_id),
        "note": note,
        "at": at.isoformat(),
    }
