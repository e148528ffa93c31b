"""Checking what a sender or a receiver submits: one translated message per field.

Shared by the pages and the API. Only shapes and references are checked here; whether the actor
may do it (the case, the groups it sees, consent) is the services' business.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.models import Membership, Organisation, User
from palermo.accounts.roles import FieldGroup, Perm, Role, role_can
from palermo.directory.models import Service
from palermo.errors import invalid
from palermo.partners.models import PartnerDeployment

from . import rules
from .models import ReferralKind, ReferralReason

RECEIVER_FIELDS = ("receiving_organisation", "partner", "external_organisation_name")
GROUP_VALUES = frozenset(str(g) for g in FieldGroup)
MAX_ID_LENGTH = 36
MAX_GROUPS = len(GROUP_VALUES)


class FieldError(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def _text(value: Any, *, max_length: int, multiline: bool = False) -> str:
    """Text as typed, without control characters (a newline only where a paragraph is fine)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(_("Enter text."))
    value = value.strip()
    allowed = {"\n", "\r", "\t"} if multiline else set()
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        raise FieldError(_("Remove the control characters from this text."))
    if len(value) > max_length:
        raise FieldError(_("Use at most %(max)d characters.") % {"max": max_length})
    return value


def _uuid(value: Any) -> UUID:
    if not isinstance(value, str) or len(value.strip()) > MAX_ID_LENGTH:
        raise FieldError(_("Choose one of the listed options."))
    try:
        return UUID(value.strip())
    except ValueError as exc:
        raise FieldError(_("Choose one of the listed options.")) from exc


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_date(value: Any, today: datetime.date) -> datetime.date:
    if not isinstance(value, str) or len(value.strip()) != 10:
        raise FieldError(_("Enter a date as YYYY-MM-DD."))
    try:
        day = datetime.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise FieldError(_("Enter a date as YYYY-MM-DD.")) from exc
    if day < today:
        raise FieldError(_("The deadline cannot be in the past."))
    if day > today + datetime.timedelta(days=rules.MAX_RESPONSE_DAYS):
        raise FieldError(_("Choose a deadline within a year."))
    return day


def clean_groups(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or len(value) > MAX_GROUPS * 2:
        raise FieldError(_("Choose from the listed groups of information."))
    if not all(isinstance(v, str) and v in GROUP_VALUES for v in value):
        raise FieldError(_("Choose from the listed groups of information."))
    if not value:
        raise FieldError(_("Choose at least one group of information to share."))
    return frozenset(value)


@dataclass(frozen=True)
class SendInput:
    kind: str
    receiving_organisation: Organisation | None
    partner: PartnerDeployment | None
    external_organisation_name: str
    service: Service | None
    reason: str
    details: str
    shared_groups: frozenset[str]
    respond_by: datetime.date | None
    override_reason: str


def clean_send_input(data: dict[str, Any], *, own_organisation_id: int | None) -> SendInput:
    """The sender's form or request body, checked; ApplicationError (400) with all messages."""
    errors: dict[str, list[Any]] = {}
    today = timezone.localdate()

    def field(name: str, check: Any) -> Any:
        try:
            return check(data.get(name))
        except FieldError as exc:
            errors[name] = [exc.message]
            return None

    kind = data.get("kind") or ReferralKind.REFERRAL
    if kind not in ReferralKind.values:
        errors["kind"] = [_("Choose one of the listed options.")]
    reason = data.get("reason")
    if _empty(reason):
        errors["reason"] = [_("Choose a reason.")]
    elif reason not in ReferralReason.values:
        errors["reason"] = [_("Choose one of the listed options.")]

    service = None
    if not _empty(data.get("service")):
        key = field("service", _uuid)
        if key is not None:
            service = (
                Service.objects.select_related("provider", "provider__organisation")
                .filter(public_id=key, active=True)
                .first()
            )
            if service is None:
                errors["service"] = [_("This service is not in the directory.")]

    given = [name for name in RECEIVER_FIELDS if not _empty(data.get(name))]
    organisation = partner = None
    external = ""
    if not given and service is not None:
        # A service chosen in the directory names its provider: a coalition member is referred
        # to through Palermo, any other provider gets the printed document.
        if service.provider.organisation is not None:
            organisation = service.provider.organisation
        else:
            external = service.provider.name[: rules.MAX_EXTERNAL_NAME_LENGTH]
    elif not given:
        errors["receiving_organisation"] = [_("Choose who the case is referred to.")]
    elif len(given) > 1:
        for name in given:
            errors[name] = [_("Choose one receiver only.")]
    elif given[0] == "receiving_organisation":
        key = field("receiving_organisation", _uuid)
        if key is not None:
            organisation = Organisation.objects.filter(public_id=key, is_active=True).first()
            if organisation is None:
                errors["receiving_organisation"] = [_("Choose one of the listed organisations.")]
            elif organisation.pk == own_organisation_id:
                errors["receiving_organisation"] = [_("Choose another organisation than your own.")]
    elif given[0] == "partner":
        key = field("partner", _uuid)
        if key is not None:
            partner = PartnerDeployment.objects.filter(public_id=key, active=True).first()
            if partner is None:
                errors["partner"] = [_("Choose one of the listed partner deployments.")]
    else:
        external = (
            field(
                "external_organisation_name",
                lambda v: _text(v, max_length=rules.MAX_EXTERNAL_NAME_LENGTH),
            )
            or ""
        )

    if service is not None and given and "service" not in errors:
        if organisation is not None and service.provider.organisation_id != organisation.pk:
            errors["service"] = [_("This service belongs to another organisation.")]
        elif partner is not None:
            errors["service"] = [_("Services of this directory are not a partner's services.")]
        elif external and service.provider.organisation_id is not None:
            errors["service"] = [
                _("This service's provider is in Palermo: refer the case to it directly.")
            ]
    if kind == ReferralKind.TRANSFER and (partner is not None or external):
        errors["kind"] = [
            _("A case can be transferred only to an organisation of this deployment.")
        ]

    details = field(
        "details", lambda v: _text(v, max_length=rules.MAX_DETAILS_LENGTH, multiline=True)
    )
    groups = field("shared_groups", clean_groups)
    respond_by = None
    if not _empty(data.get("respond_by")):
        respond_by = field("respond_by", lambda v: clean_date(v, today))
    override = field(
        "override_reason", lambda v: _text(v, max_length=rules.MAX_NOTE_LENGTH, multiline=True)
    )
    if errors:
        raise invalid(errors)
    return SendInput(
        kind=str(kind),
        receiving_organisation=organisation,
        partner=partner,
        external_organisation_name=external,
        service=service,
        reason=str(reason),
        details=details or "",
        shared_groups=groups or frozenset(),
        respond_by=respond_by,
        override_reason=override or "",
    )


def clean_note(data: dict[str, Any], *, required: bool) -> str:
    """The note of a transition (why declined, revoked, or what was done)."""
    try:
        note = _text(data.get("note"), max_length=rules.MAX_NOTE_LENGTH, multiline=True)
    except FieldError as exc:
        raise invalid({"note": [exc.message]}) from exc
    if required and not note:
        raise invalid({"note": [_("Say why.")]})
    return note


def case_worker_candidates(organisation: Organisation) -> list[User]:
    """Members of the receiving organisation who may be its primary case worker for the case."""
    memberships = (
        Membership.objects.filter(organisation=organisation, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    seen: set[int] = set()
    users: list[User] = []
    for m in memberships:
        if m.user_id not in seen and role_can(Role(m.role), Perm.CASE_VIEW):
            seen.add(m.user_id)
            users.append(m.user)
    return users


def clean_case_worker(data: dict[str, Any], organisation: Organisation) -> User | None:
    """The chosen primary case worker (a username), or None when none was chosen."""
    value = data.get("case_worker")
    if _empty(value):
        return None
    if not isinstance(value, str) or len(value) > 150:
        raise invalid({"case_worker": [_("Choose one of the listed people.")]})
    for user in case_worker_candidates(organisation):
        if user.username == value.strip():
            return user
    raise invalid({"case_worker": [_("Choose one of the listed people.")]})
