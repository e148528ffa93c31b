"""Demo referrals: one in each state, between the demo coalition's organisations.

Runs after the cases demo and uses its cases; with no cases yet it does nothing. Referrals are
made through the real services (consent checked, events, audit, notifications), as the demo
organisations' own members, after recording the referral consent they rest on. Deterministic
for a seed: the same cases and receivers every time.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import ROLE_DEFAULT_PURPOSE, Perm, Role, role_can
from palermo.cases.models import OPEN_STATUSES, Case
from palermo.consent.models import ConsentRecord, ConsentSource
from palermo.notifications.models import Notification

from . import selectors, services
from .models import Referral


@dataclass(frozen=True)
class Planned:
    receiver: str  # a demo organisation key, or "" for an organisation outside Palermo
    steps: tuple[str, ...]  # transitions after sending
    groups: tuple[str, ...]
    kind: str = "referral"
    reason: str = "AdditionalServicesRequired"
    details: str = ""
    overdue: bool = False


EXTERNAL_NAME = "Caritas Moldova — Tiraspol Day Centre"
PLAN = (
    Planned("clinic", (), ("identity", "health"), details="Needs a medical check-up."),
    Planned("wings", ("accept",), ("identity", "contact"), details="Shelter place in Bălți."),
    Planned("clinic", ("accept", "start"), ("identity", "contact", "health")),
    Planned("social", ("accept", "start", "done"), ("identity", "contact", "location")),
    Planned("clinic", ("decline",), ("identity", "health"), details="Dental care."),
    Planned("wings", ("revoke",), ("identity",), details="Family reunification support."),
    Planned(
        "wings",
        (),
        ("identity", "contact", "location", "narrative"),
        kind="transfer",
        reason="MigrationOrChangeOfLocation",
        details="Moving to Bălți.",
    ),
    Planned("", (), ("identity",), details="Day centre activities."),
    Planned("clinic", (), ("identity", "health"), overdue=True),
)
NOTES = {
    "decline": "No places this month.",
    "revoke": "The person found help elsewhere.",
    "done": "Support completed.",
}


def _actor(membership: Membership) -> Actor:
    role = Role(membership.role)
    return Actor(
        user=membership.user,
        organisation=membership.organisation,
        role=role,
        purpose=ROLE_DEFAULT_PURPOSE[role],
    )


def _member_with(organisation: Organisation, permission: Perm) -> Membership | None:
    for membership in (
        Membership.objects.filter(organisation=organisation, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("pk")
    ):
        if role_can(Role(membership.role), permission):
            return membership
    return None


def _consent(case: Case, organisation: Organisation | None) -> None:
    ConsentRecord.objects.create(
        person=case.person,
        purpose="referral",
        decision="given",
        given_by="best_interest" if case.is_child else "person",
        organisation=organisation,
        # No organisation of Palermo: the consent names the one outside it by its name.
        external_receiver="" if organisation is not None else EXTERNAL_NAME,
        language="ro",
        source=ConsentSource.PERSON_PAGE,
        recording_organisation=case.owner_organisation,
    )


def load_demo(context: Any) -> dict[str, int]:
    """Referrals in every state; {} counts when the cases demo made no cases."""
    organisations: dict[str, Organisation] = context.organisations
    demo_orgs = list(organisations.values())
    if Referral.objects.filter(sending_organisation__in=demo_orgs).exists():
        return {"referrals": Referral.objects.filter(sending_organisation__in=demo_orgs).count()}
    cases = list(
        Case.objects.filter(owner_organisation__in=demo_orgs, status__in=OPEN_STATUSES)
        .select_related("person", "owner_organisation")
        .order_by("pk")[:500]
    )
    if not cases:
        return {"referrals": 0}
    rng = random.Random(context.seed)  # noqa: S311 - demo data, not security
    rng.shuffle(cases)
    senders: dict[int, Membership | None] = {}
    made = 0
    used: set[int] = set()
    for planned in PLAN:
        receiver = organisations.get(planned.receiver) if planned.receiver else None
        if planned.receiver and receiver is None:
            continue
        answerer = _member_with(receiver, Perm.REFERRAL_RESPOND) if receiver else None
        if receiver is not None and answerer is None:
            continue
        for case in cases:
            if case.pk in used or (receiver and case.owner_organisation_id == receiver.pk):
                continue
            owner = case.owner_organisation
            if owner.pk not in senders:
                senders[owner.pk] = _member_with(owner, Perm.REFERRAL_SEND)
            sender = senders[owner.pk]
            if sender is None:
                continue
            if (
                planned.kind == "transfer"
                and Case.objects.filter(
                    person_id=case.person_id, owner_organisation=owner, status__in=OPEN_STATUSES
                )
                .exclude(pk=case.pk)
                .exists()
            ):
                continue
            used.add(case.pk)
            if _make(planned, case, sender, receiver, answerer):
                made += 1
            break
    return {"referrals": made}


def _make(
    planned: Planned,
    case: Case,
    sender: Membership,
    receiver: Organisation | None,
    answerer: Membership | None,
) -> bool:
    actor = _actor(sender)
    groups = sorted(set(planned.groups) & selectors.shareable_groups(actor, case.person))
    if not groups:
        return False
    with transaction.atomic():
        _consent(case, receiver)
        data: dict[str, Any] = {
            "kind": planned.kind,
            "reason": planned.reason,
            "details": planned.details,
            "shared_groups": groups,
        }
        if receiver is not None:
            data["receiving_organisation"] = str(receiver.public_id)
        else:
            data["external_organisation_name"] = EXTERNAL_NAME
        referral = services.referral_send(actor=actor, case_public_id=case.public_id, data=data)
        for step in planned.steps:
            who = actor if step == "revoke" or answerer is None else _actor(answerer)
            services.referral_transition(
                actor=who,
                public_id=referral.public_id,
                action=step,
                data={"note": NOTES.get(step, "")},
            )
        if planned.overdue:
            Referral.objects.filter(pk=referral.pk).update(
                respond_by=timezone.localdate() - datetime.timedelta(days=2)
            )
    return True


def reset_demo() -> None:
    """Remove the demo referrals (and their notifications) before the demo persons go."""
    from palermo.demo.loader import demo_organisations

    referrals = Referral.objects.filter(sending_organisation__in=demo_organisations())
    ids = [str(pid) for pid in referrals.values_list("public_id", flat=True)]
    Notification.objects.filter(object_type="referral", object_id__in=ids).delete()
    referrals.delete()
