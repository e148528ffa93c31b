"""Reads for the partners pages and API: access-checked; reads of personal data audited."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db.models import Count, Q

from palermo.accounts.actors import Actor
from palermo.audit.services import audit_read
from palermo.people.field_groups import DEMOGRAPHIC_FIELDS, PERSON_FIELD_GROUPS, group_of

from . import packages
from .access import incoming_for_actor, incoming_visible_to, require_partner_manager
from .keys import deployment_keys_or_none
from .models import DeliveryState, IncomingReferral, OutboundPackage, PartnerDeployment
from .services import allowed_answers, designated_organisation, public_keys_of


@dataclass(frozen=True)
class DeploymentKeyInfo:
    key_string: str
    fingerprint: str  # the short one, to read out


def deployment_key_info() -> DeploymentKeyInfo | None:
    """This deployment's public key string and fingerprint; None before `keys --init`."""
    keys = deployment_keys_or_none()
    if keys is None:
        return None
    public = keys.public
    return DeploymentKeyInfo(public.key_string(), public.short_fingerprint)


@dataclass(frozen=True)
class PartnerRow:
    partner: PartnerDeployment
    fingerprint: str
    key_string: str
    receiving_organisation_name: str
    incoming: int
    waiting: int
    failed: int


def partner_rows(*, actor: Actor) -> list[PartnerRow]:
    """Every registered partner with its fingerprint and what is in flight (administrators)."""
    require_partner_manager(actor)
    partners = (
        PartnerDeployment.objects.select_related("receiving_organisation")
        .annotate(
            incoming_count=Count("incoming_referrals", distinct=True),
            waiting_count=Count(
                "outbound_packages",
                filter=Q(outbound_packages__state=DeliveryState.PENDING),
                distinct=True,
            ),
            failed_count=Count(
                "outbound_packages",
                filter=Q(outbound_packages__state=DeliveryState.FAILED),
                distinct=True,
            ),
        )
        .order_by("name")
    )
    rows = []
    for partner in partners:
        keys = public_keys_of(partner)
        organisation = designated_organisation(partner)
        rows.append(
            PartnerRow(
                partner=partner,
                fingerprint=keys.short_fingerprint,
                key_string=keys.key_string(),
                receiving_organisation_name=organisation.name if organisation else "",
                incoming=partner.incoming_count,  # type: ignore[attr-defined]
                waiting=partner.waiting_count,  # type: ignore[attr-defined]
                failed=partner.failed_count,  # type: ignore[attr-defined]
            )
        )
    return rows


def recent_packages(*, actor: Actor, limit: int = 20) -> list[OutboundPackage]:
    """The latest packages sent or waiting, with their delivery state (administrators)."""
    require_partner_manager(actor)
    return list(OutboundPackage.objects.select_related("partner").order_by("-created_at")[:limit])


def incoming_list(*, actor: Actor, state: str = "") -> list[IncomingReferral]:
    """The actor's organisation's referrals from partners, newest first (no personal data)."""
    rows = incoming_visible_to(actor).select_related("partner")
    if state:
        rows = rows.filter(state=state)
    return list(rows.order_by("-received_at", "-id")[:200])


@dataclass(frozen=True)
class IncomingView:
    incoming: IncomingReferral
    visible_groups: frozenset[str]
    person: dict[str, Any] = field(default_factory=dict)
    details: str = ""
    case_summary: str = ""
    answers: tuple[str, ...] = ()

    @property
    def withheld_groups(self) -> list[str]:
        return sorted(set(self.incoming.shared_groups) - self.visible_groups)

    def person_rows(self) -> list[tuple[str, Any]]:
        """(field name, value) in the order of the person's field groups."""
        order = [n for names in PERSON_FIELD_GROUPS.values() for n in names]
        order += list(DEMOGRAPHIC_FIELDS)
        return [(n, self.person[n]) for n in order if n in self.person]


def incoming_detail(*, actor: Actor, public_id: UUID | str) -> IncomingView:
    """One incoming referral with what the actor's role may see of the shared person fields;
    the read of each shown group is audited."""
    incoming = incoming_for_actor(actor, public_id, "view")
    visible = frozenset(incoming.shared_groups) & actor.field_groups()
    data: dict[str, Any] = json.loads(incoming.person_data or "{}")
    person = {
        name: value
        for name, value in data.items()
        if (group := group_of(name)) is None or str(group) in visible
    }
    shown = {str(g) for n in person if (g := group_of(n)) is not None}
    summary = incoming.case_summary or "" if "narrative" in visible else ""
    if summary:
        shown.add("narrative")
    audit_read(
        actor=actor,
        object_type="incoming_referral",
        object_id=str(incoming.public_id),
        field_groups=shown,
        subject_organisation=incoming.receiving_organisation,
    )
    return IncomingView(
        incoming=incoming,
        visible_groups=visible,
        person=person,
        details=incoming.details or "",
        case_summary=summary,
        answers=tuple(allowed_answers(incoming)),
    )


def fingerprint_for_key_string(text: str) -> str:
    """The short fingerprint of a pasted key string (for a confirmation), or ""."""
    try:
        return packages.parse_key_string(text).short_fingerprint
    except packages.InvalidKeyString:
        return ""
