"""Cleaning what a user submits about consent and legal bases, with translated messages per field.

Shared by the pages and the API. Values may come from a form (strings) or JSON (any type), so
every cleaner checks the type first.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pycountry
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.models import Organisation
from palermo.errors import invalid
from palermo.partners.models import PartnerDeployment

from .models import LegalBasisKind
from .rules import LEGAL_BASIS_PURPOSES, ConsentPurpose, Decision, GivenBy

MAX_NAME = 200
MAX_REASON = 2000
MAX_REFERENCE = 200
# Decisions a consent form may record; a withdrawal is its own action.
FORM_DECISIONS = (Decision.GIVEN, Decision.REFUSED)
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_ALLOWED_FORMAT_CHARACTERS = {"\u200c", "\u200d"}
_KEEP_IN_LONG_TEXT = {"\n", "\r", "\t"}


class Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean_text(value: Any, limit: int, *, multiline: bool = False) -> str:
    """Stripped NFC text within `limit` characters, without control or invisible characters."""
    if not isinstance(value, str):
        raise Refused(_("Enter text."))
    text = unicodedata.normalize("NFC", value.strip())
    if len(text) > limit:
        raise Refused(
            _("Use at most %(max)d characters (you entered %(length)d).")
            % {"max": limit, "length": len(text)}
        )
    allowed = _ALLOWED_FORMAT_CHARACTERS | (_KEEP_IN_LONG_TEXT if multiline else set())
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES and c not in allowed for c in text):
        raise Refused(_("Remove the control or invisible characters from this field."))
    return text


def clean_language(value: Any) -> str:
    message = _("Enter an ISO 639 language code, like uk or ro.")
    if not isinstance(value, str):
        raise Refused(message)
    code = value.strip().lower()
    if not (code.isascii() and code.isalpha()):
        raise Refused(message)
    if len(code) == 2 and pycountry.languages.get(alpha_2=code):
        return code
    if len(code) == 3 and pycountry.languages.get(alpha_3=code):
        return code
    raise Refused(message)


def clean_choice(value: Any, allowed: tuple[str, ...] | list[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise Refused(_("Choose one of the listed options."))
    return value


PARTNER_PREFIX = "partner:"
MAX_EXTERNAL_NAME = 200


@dataclass(frozen=True)
class ReferralReceiver:
    """Who a referral consent names: one organisation of this deployment, one trusted partner
    deployment abroad, or one organisation outside Palermo named in words."""

    organisation: Organisation | None = None
    partner: PartnerDeployment | None = None
    external: str = ""

    @property
    def named(self) -> bool:
        return self.organisation is not None or self.partner is not None or bool(self.external)

    def audit_label(self) -> str | None:
        if self.organisation is not None:
            return str(self.organisation.public_id)
        if self.partner is not None:
            return PARTNER_PREFIX + str(self.partner.public_id)
        return "external" if self.external else None


def clean_partner(value: str) -> PartnerDeployment:
    message = _("Choose a partner deployment from the list.")
    try:
        key = UUID(value[len(PARTNER_PREFIX) :].strip()[:36])
    except ValueError as exc:
        raise Refused(message) from exc
    partner = PartnerDeployment.objects.filter(public_id=key, active=True).first()
    if partner is None:
        raise Refused(message)
    return partner


def clean_referral_receiver(choice: Any, external: Any) -> ReferralReceiver:
    """The receiver a referral consent names: the list's choice (an organisation, or
    "partner:<id>"), or the name of an organisation outside Palermo; exactly one of the two."""
    chose = not _empty(choice)
    wrote = not _empty(external)
    if chose and wrote:
        raise Refused(
            _("Name either an organisation from the list or one outside Palermo, not both.")
        )
    if wrote:
        name = " ".join(clean_text(external, MAX_EXTERNAL_NAME).split())
        return ReferralReceiver(external=name)
    if not chose:
        raise Refused(_("Name the organisation the person would be referred to."))
    if isinstance(choice, str) and choice.strip().startswith(PARTNER_PREFIX):
        return ReferralReceiver(partner=clean_partner(choice.strip()))
    return ReferralReceiver(organisation=clean_organisation(choice))


def clean_organisation(value: Any) -> Organisation:
    message = _("Choose an organisation of the coalition.")
    if not isinstance(value, str):
        raise Refused(message)
    try:
        key = UUID(value.strip()[:36])
    except ValueError as exc:
        raise Refused(message) from exc
    organisation = Organisation.objects.filter(public_id=key, is_active=True).first()
    if organisation is None:
        raise Refused(message)
    return organisation


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class ConsentInput:
    language: str
    given_by: GivenBy
    decisions: dict[ConsentPurpose, Decision]
    referral_receiver: ReferralReceiver
    guardian_name: str | None
    decided_by: str | None
    reason: str | None


def clean_consent_input(data: dict[str, Any], *, is_child: bool | None) -> ConsentInput:
    """A consent form: who decided, in which language, and a decision per purpose asked.

    `data["decisions"]` maps purposes to "given" or "refused"; purposes not asked are left out
    (or sent empty). Raises ApplicationError (400) listing every field that needs attention.
    """
    errors: dict[str, list[str]] = {}
    unknown = set(data) - {
        "language",
        "given_by",
        "decisions",
        "referral_organisation",
        "referral_external",
        "guardian_name",
        "decided_by",
        "reason",
    }
    for name in sorted(unknown):
        errors[name] = [_("This field is not accepted here.")]

    def field(name: str, clean: Any) -> Any:
        try:
            return clean(data.get(name))
        except Refused as refused:
            errors[name] = [refused.message]
            return None

    language = field("language", clean_language)
    given_by = field("given_by", lambda v: clean_choice(v, [str(g) for g in GivenBy]))
    decisions: dict[ConsentPurpose, Decision] = {}
    raw = data.get("decisions")
    if not isinstance(raw, dict):
        errors["decisions"] = [_("Record a decision for at least one purpose.")]
        raw = {}
    for key, value in raw.items():
        name = f"decision_{key}"
        if key not in {str(p) for p in ConsentPurpose}:
            errors[name] = [_("This purpose is not one of the listed ones.")]
            continue
        if _empty(value):
            continue
        try:
            decisions[ConsentPurpose(key)] = Decision(
                clean_choice(value, [str(d) for d in FORM_DECISIONS])
            )
        except Refused as refused:
            errors[name] = [refused.message]
    if (
        not decisions
        and "decisions" not in errors
        and not any(k.startswith("decision_") for k in errors)
    ):
        errors["decisions"] = [_("Record a decision for at least one purpose.")]

    referral_receiver = ReferralReceiver()
    named = not _empty(data.get("referral_organisation")) or not _empty(
        data.get("referral_external")
    )
    if ConsentPurpose.REFERRAL in decisions or named:
        try:
            referral_receiver = clean_referral_receiver(
                data.get("referral_organisation"), data.get("referral_external")
            )
        except Refused as refused:
            errors["referral_organisation"] = [refused.message]

    guardian_name = decided_by = reason = None
    if not _empty(data.get("guardian_name")):
        guardian_name = field("guardian_name", lambda v: clean_text(v, MAX_NAME))
    if not _empty(data.get("decided_by")):
        decided_by = field("decided_by", lambda v: clean_text(v, MAX_NAME))
    if not _empty(data.get("reason")):
        reason = field("reason", lambda v: clean_text(v, MAX_REASON, multiline=True))
    if given_by == GivenBy.GUARDIAN and guardian_name is None and "guardian_name" not in errors:
        errors["guardian_name"] = [_("Give the name of the parent or guardian who decided.")]
    if given_by == GivenBy.BEST_INTEREST:
        if is_child is False:
            errors["given_by"] = [
                _("A best-interest decision is for children; this person is 18 or over.")
            ]
        if decided_by is None and "decided_by" not in errors:
            errors["decided_by"] = [_("Say who took the best-interest decision, and in what role.")]
        if reason is None and "reason" not in errors:
            errors["reason"] = [_("Give the reasons for the best-interest decision.")]
    if errors:
        raise invalid(errors)
    return ConsentInput(
        language=language,
        given_by=GivenBy(given_by),
        decisions=decisions,
        referral_receiver=referral_receiver,
        guardian_name=guardian_name if given_by == GivenBy.GUARDIAN else None,
        decided_by=decided_by if given_by == GivenBy.BEST_INTEREST else None,
        reason=reason,
    )


@dataclass(frozen=True)
class WithdrawalInput:
    purpose: ConsentPurpose
    receiver: ReferralReceiver
    given_by: GivenBy
    language: str
    reason: str | None

    @property
    def organisation(self) -> Organisation | None:
        return self.receiver.organisation


def clean_withdrawal_input(data: dict[str, Any]) -> WithdrawalInput:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    allowed = {"purpose", "organisation", "external_receiver", "given_by", "language", "reason"}
    for name in sorted(set(data) - allowed):
        errors[name] = [_("This field is not accepted here.")]
    cleaners = {
        "purpose": lambda v: clean_choice(v, [str(p) for p in ConsentPurpose]),
        "given_by": lambda v: clean_choice(v, [str(g) for g in GivenBy]),
        "language": clean_language,
    }
    for name, clean in cleaners.items():
        try:
            values[name] = clean(data.get(name))
        except Refused as refused:
            errors[name] = [refused.message]
    receiver = ReferralReceiver()
    named = not _empty(data.get("organisation")) or not _empty(data.get("external_receiver"))
    if values.get("purpose") == ConsentPurpose.REFERRAL or named:
        try:
            receiver = clean_referral_receiver(
                data.get("organisation"), data.get("external_receiver")
            )
        except Refused as refused:
            errors["organisation"] = [refused.message]
    reason = None
    if not _empty(data.get("reason")):
        try:
            reason = clean_text(data.get("reason"), MAX_REASON, multiline=True)
        except Refused as refused:
            errors["reason"] = [refused.message]
    if errors:
        raise invalid(errors)
    return WithdrawalInput(
        purpose=ConsentPurpose(values["purpose"]),
        receiver=receiver,
        given_by=GivenBy(values["given_by"]),
        language=values["language"],
        reason=reason,
    )


@dataclass(frozen=True)
class LegalBasisInput:
    purpose: ConsentPurpose
    kind: str
    reference: str
    reason: str
    organisation: Organisation | None
    valid_until: datetime.date | None


def _clean_future_date(value: Any) -> datetime.date:
    message = _("Enter a date as YYYY-MM-DD.")
    if not isinstance(value, str) or len(value.strip()) != 10:
        raise Refused(message)
    try:
        day = datetime.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise Refused(_("This date does not exist: check the day and month.")) from exc
    if day < timezone.localdate():
        raise Refused(_("This date is in the past."))
    return day


def clean_legal_basis_input(data: dict[str, Any]) -> LegalBasisInput:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    allowed = {"purpose", "kind", "reference", "reason", "organisation", "valid_until"}
    for name in sorted(set(data) - allowed):
        errors[name] = [_("This field is not accepted here.")]
    cleaners: dict[str, Any] = {
        "purpose": lambda v: clean_choice(v, [str(p) for p in sorted(LEGAL_BASIS_PURPOSES)]),
        "kind": lambda v: clean_choice(v, list(LegalBasisKind.values)),
        "reference": lambda v: clean_text(v, MAX_REFERENCE),
        "reason": lambda v: clean_text(v, MAX_REASON, multiline=True),
    }
    for name, clean in cleaners.items():
        if _empty(data.get(name)):
            errors[name] = [_("This field is required.")]
            continue
        try:
            values[name] = clean(data.get(name))
        except Refused as refused:
            errors[name] = [refused.message]
    for name, clean in (("organisation", clean_organisation), ("valid_until", _clean_future_date)):
        values[name] = None
        if not _empty(data.get(name)):
            try:
                values[name] = clean(data.get(name))
            except Refused as refused:
                errors[name] = [refused.message]
    if errors:
        raise invalid(errors)
    return LegalBasisInput(
        purpose=ConsentPurpose(values["purpose"]),
        kind=values["kind"],
        reference=values["reference"],
        reason=values["reason"],
        organisation=values["organisation"],
        valid_until=values["valid_until"],
    )


def clean_revocation_reason(data: dict[str, Any]) -> str:
    try:
        reason = clean_text(data.get("reason"), MAX_REASON, multiline=True)
    except Refused as refused:
        raise invalid({"reason": [refused.message]}) from None
    if not reason:
        raise invalid({"reason": [_("Say why the legal basis no longer applies.")]})
    return reason
