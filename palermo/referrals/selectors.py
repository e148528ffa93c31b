"""Reads of referrals for pages and the API: access-checked, and audited where personal.

Lists and the referral's own facts (references, organisations, states, deadlines) hold no
personal data. What the receiver sees of the person goes through the people selectors, narrowed
to the groups this referral shares, and is audited as a read; so is the printable document.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Case as When_
from django.db.models import IntegerField, QuerySet, Value, When
from django.utils import timezone

from palermo.accounts.actors import Actor
from palermo.accounts.roles import FIELD_GROUP_LABELS, FieldGroup, Perm
from palermo.audit.services import audit_read, audit_record
from palermo.cases.access import cases_visible_to, owns_case
from palermo.cases.models import Case
from palermo.consent.access import consent_state
from palermo.consent.rules import ConsentPurpose, ConsentState
from palermo.errors import Forbidden, NotFound
from palermo.people.field_groups import PERSON_FIELD_GROUPS
from palermo.people.models import Person
from palermo.people.selectors import PersonView, personal_groups_seen

from . import rules
from .access import (
    is_receiver,
    is_sender,
    referral_for_actor,
    referrals_visible_to,
)
from .models import LIVE_STATES, Referral, ReferralEvent, ReferralKind, ReferralState

PERSON_GROUPS = frozenset(str(g) for g in PERSON_FIELD_GROUPS)
PER_PAGE = 25


def groups_seen(actor: Actor, person: Person, state: ConsentState | None = None) -> frozenset[str]:
    """Every personal field group of this person, and of their case, the actor may see."""
    return personal_groups_seen(actor, person, state)


def shareable_groups(actor: Actor, person: Person) -> frozenset[str]:
    """What a sender may share of a person: exactly what it may see itself."""
    return groups_seen(actor, person)


def group_choices(groups: frozenset[str] | set[str] | list[str]) -> list[tuple[str, Any]]:
    return [(str(g), FIELD_GROUP_LABELS[g]) for g in FieldGroup if str(g) in groups]


# --- lists -----------------------------------------------------------------------------------


def _listed(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    return queryset.select_related(
        "case",
        "sending_organisation",
        "receiving_organisation",
        "partner",
        "service",
        "service__provider",
    )


def _state_filter(queryset: QuerySet[Referral], state: str) -> QuerySet[Referral]:
    if state == "live":
        return queryset.filter(state__in=LIVE_STATES)
    if state in ReferralState.values:
        return queryset.filter(state=state)
    return queryset


def received(actor: Actor, *, state: str = "", page_number: int | str = 1) -> Page[Referral]:
    """Referrals addressed to the actor's organisation: those waiting for its answer first
    (soonest deadline first), then the rest, newest first."""
    _require_view(actor)
    queryset = _state_filter(
        referrals_visible_to(actor).filter(receiving_organisation_id=actor.organisation_id),
        state,
    ).annotate(
        waiting=When_(
            When(state=ReferralState.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
    ordered = _listed(queryset).order_by("waiting", "respond_by", "-created_at", "-id")
    return Paginator(ordered, PER_PAGE).get_page(page_number)


def sent(actor: Actor, *, state: str = "", page_number: int | str = 1) -> Page[Referral]:
    """Referrals the actor's organisation sent, newest first."""
    _require_view(actor)
    queryset = _state_filter(
        referrals_visible_to(actor).filter(sending_organisation_id=actor.organisation_id),
        state,
    )
    return Paginator(_listed(queryset).order_by("-created_at", "-id"), PER_PAGE).get_page(
        page_number
    )


def waiting_for(actor: Actor, limit: int = 10) -> tuple[list[Referral], int]:
    """Referrals waiting for the actor's organisation's answer: the soonest `limit`, and how
    many in all (the dashboard panel)."""
    if not actor.can(Perm.REFERRAL_RESPOND):
        return [], 0
    queryset = referrals_visible_to(actor).filter(
        receiving_organisation_id=actor.organisation_id, state=ReferralState.PENDING
    )
    rows = list(_listed(queryset).order_by("respond_by", "created_at")[:limit])
    return rows, queryset.count()


def case_referrals(actor: Actor, case: Case) -> list[Referral]:
    """The referrals of a case (that the actor already sees) the actor may see.

    `referrals_visible_to` for one case: the owner sees every referral of it, another
    organisation those it sent or received. Only what the case page's table shows is read
    (nothing encrypted is decrypted for it).
    """
    if owns_case(actor, case):
        referrals = Referral.objects.filter(case=case)
    else:
        referrals = referrals_visible_to(actor).filter(case=case)
    return list(
        referrals.select_related("sending_organisation", "receiving_organisation", "partner")
        .only(
            "public_id",
            "kind",
            "state",
            "respond_by",
            "created_at",
            "external_organisation_name",
            "sending_organisation__name",
            "receiving_organisation__name",
            "partner__name",
        )
        .order_by("-created_at", "-id")
    )


def _require_view(actor: Actor) -> None:
    if actor.user is None or actor.organisation is None or not actor.can(Perm.CASE_VIEW):
        raise Forbidden()


# --- sending -------------------------------------------------------------------------------


def may_refer(actor: Actor, case: Case) -> bool:
    """Whether the actor may refer this case (the owner, or an accepted onward referral)."""
    if not actor.can(Perm.REFERRAL_SEND) or not case.is_open:
        return False
    if owns_case(actor, case):
        return True
    return Referral.objects.filter(
        case=case,
        receiving_organisation_id=actor.organisation_id,
        state__in=[ReferralState.ACCEPTED, ReferralState.IN_PROGRESS],
    ).exists()


@dataclass(frozen=True)
class ConsentLine:
    """A referral consent in force for the person, for the form (no personal data)."""

    organisation_name: str
    organisation_id: str | None
    decision: str
    # The decision in force allows this referral (for a child: a best-interest decision).
    allowed: bool
    best_interest: bool


@dataclass(frozen=True)
class SendForm:
    case: Case
    shareable: frozenset[str]
    defaults: frozenset[str]
    is_child: bool
    consents: list[ConsentLine]
    can_override: bool
    may_transfer: bool


def send_form(actor: Actor, case: Case, service_type: str | None) -> SendForm:
    """What the "refer this case" form offers: the groups the sender may share (the minimum
    for the service ticked), and the referral consents in force for the person."""
    from palermo.accounts.models import Organisation

    from .consent_check import referral_consent

    state = consent_state(case.person)
    shareable = groups_seen(actor, case.person, state)
    named = {
        e.organisation_id
        for e in state.entries
        if e.purpose == ConsentPurpose.REFERRAL and e.organisation_id is not None
    }
    names = dict(Organisation.objects.filter(pk__in=named).values_list("pk", "name"))
    publics = dict(Organisation.objects.filter(pk__in=named).values_list("pk", "public_id"))
    lines = []
    for org_id in [*sorted(named, key=lambda k: names.get(k, "")), None]:
        entry = state.effective(ConsentPurpose.REFERRAL, org_id)
        if entry is None:
            continue
        status = referral_consent(case, organisation_id=org_id, state=state)
        lines.append(
            ConsentLine(
                organisation_name=names.get(org_id, "") if org_id else "",
                organisation_id=str(publics[org_id]) if org_id else None,
                decision=str(entry.decision),
                allowed=status.allowed,
                best_interest=status.basis == "best_interest",
            )
        )
    return SendForm(
        case=case,
        shareable=shareable,
        defaults=rules.minimum_groups(service_type, shareable),
        is_child=bool(case.is_child) or state.presumed_child,
        consents=lines,
        can_override=actor.can(Perm.CONSENT_OVERRIDE),
        may_transfer=owns_case(actor, case),
    )


# --- one referral ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralView:
    referral: Referral
    side: str  # "sender", "receiver" or "owner"
    actions: list[str]
    events: list[ReferralEvent]
    # What the receiver sees of the person through this referral (None for the sender: it
    # sees the case itself; and for a referral no longer live).
    person: PersonView | None = None
    summary: str | None = None
    withheld: frozenset[str] = frozenset()
    show_details: bool = False
    case_visible: bool = False
    can_print: bool = False
    case_workers: list[Any] = field(default_factory=list)
    # For the sending side of a referral to a partner deployment: its packages (the referral,
    # and a revocation) with their delivery state.
    partner_packages: list[Any] = field(default_factory=list)

    @property
    def shared_labels(self) -> list[Any]:
        return [label for _, label in group_choices(self.referral.shared_groups)]

    @property
    def overdue(self) -> bool:
        return (
            self.referral.state == ReferralState.PENDING
            and self.referral.respond_by < timezone.localdate()
        )


def _actions_for(actor: Actor, referral: Referral) -> list[str]:
    allowed = rules.allowed_actions(
        referral.state, is_transfer=referral.kind == ReferralKind.TRANSFER
    )
    mine: list[str] = []
    for action in rules.Action:
        if action not in allowed:
            continue
        side = rules.TRANSITIONS[action].side
        if side == rules.Side.SENDER or referral.receiving_organisation_id is None:
            if side == rules.Side.RECEIVER and referral.partner_id is not None:
                continue
            if is_sender(actor, referral) and actor.can(Perm.REFERRAL_SEND):
                mine.append(str(action))
        elif is_receiver(actor, referral) and actor.can(Perm.REFERRAL_RESPOND):
            mine.append(str(action))
    return mine


def _receiver_view(
    actor: Actor, referral: Referral
) -> tuple[PersonView, str | None, frozenset[str]]:
    """The person and case summary as the receiver may see them, the read audited."""
    person = referral.case.person
    state = consent_state(person)
    shared = frozenset(str(g) for g in referral.shared_groups)
    seen = groups_seen(actor, person, state) & shared
    role_allows = actor.field_groups() & shared
    withheld = role_allows - seen
    person_groups = seen & PERSON_GROUPS
    view = PersonView(person, person_groups, consent_withheld=withheld & PERSON_GROUPS)
    summary = referral.case.summary if "narrative" in seen else None
    if withheld:
        audit_record(
            actor=actor,
            action="person.read_refused",
            object_type="person",
            object_id=str(person.public_id),
            field_groups=withheld,
            details={"purpose": str(actor.purpose), "referral": str(referral.public_id)},
            subject_organisation=person.owner_organisation,
        )
    audit_read(
        actor=actor,
        object_type="person",
        object_id=str(person.public_id),
        field_groups=person_groups,
        details={"referral": str(referral.public_id)},
        subject_organisation=person.owner_organisation,
    )
    if summary:
        audit_read(
            actor=actor,
            object_type="case",
            object_id=str(referral.case.public_id),
            field_groups={"narrative"},
            details={"referral": str(referral.public_id)},
            subject_organisation=referral.case.owner_organisation,
        )
    return view, summary, withheld


def referral_detail(actor: Actor, public_id: UUID | str) -> ReferralView:
    """One referral as the actor may see it; what it shows of the person is audited."""
    from .validation import case_worker_candidates

    referral = referral_for_actor(actor, public_id)
    receiver = is_receiver(actor, referral)
    side = (
        "receiver"
        if receiver
        else ("sender" if referral.sending_organisation_id == actor.organisation_id else "owner")
    )
    live = referral.state in LIVE_STATES
    events = list(
        referral.events.select_related("actor_user", "actor_organisation").order_by("at", "id")
    )
    person = summary = None
    withheld: frozenset[str] = frozenset()
    if receiver and live:
        person, summary, withheld = _receiver_view(actor, referral)
    actions = _actions_for(actor, referral)
    return ReferralView(
        referral=referral,
        side=side,
        actions=actions,
        events=events,
        person=person,
        summary=summary,
        withheld=withheld,
        # The sender's words may describe the person: for the receiver, only while live.
        show_details=not receiver or live,
        case_visible=cases_visible_to(actor).filter(pk=referral.case_id).exists(),
        can_print=not receiver and live and actor.can(Perm.REFERRAL_SEND),
        case_workers=case_worker_candidates(referral.receiving_organisation)
        if "accept" in actions and referral.receiving_organisation is not None
        else [],
        partner_packages=list(referral.partner_packages.order_by("created_at", "id"))
        if referral.partner_id is not None and not receiver
        else [],
    )


@dataclass(frozen=True)
class ReferralDocument:
    """The printable referral for a receiver outside Palermo: only the shared groups."""

    referral: Referral
    person: PersonView
    summary: str | None
    groups: frozenset[str]
    printed_at: datetime.datetime
    printed_by: str


def referral_document(actor: Actor, public_id: UUID | str) -> ReferralDocument:
    """The document's content, for the sending side of a live referral; audited as a read.

    The groups shown are those the referral shares that the sender may still see itself.
    """
    referral = referral_for_actor(actor, public_id)
    if is_receiver(actor, referral) or not is_sender(actor, referral):
        raise NotFound()
    if not actor.can(Perm.REFERRAL_SEND):
        raise Forbidden()
    if referral.state not in LIVE_STATES:
        raise NotFound()
    person = referral.case.person
    shared = frozenset(str(g) for g in referral.shared_groups)
    groups = groups_seen(actor, person) & shared
    summary = referral.case.summary if "narrative" in groups else None
    audit_read(
        actor=actor,
        object_type="referral",
        object_id=str(referral.public_id),
        field_groups=groups,
        details={"view": "document", "person": str(person.public_id)},
        subject_organisation=referral.case.owner_organisation,
    )
    user = actor.user
    return ReferralDocument(
        referral=referral,
        person=PersonView(person, groups & PERSON_GROUPS),
        summary=summary,
        groups=groups,
        printed_at=timezone.now(),
        printed_by=(user.get_full_name() or user.username) if user else actor.label,
    )


def service_for_form(public_id: str | None) -> Any:
    """A directory service named in ?service= (active), or None for anything else."""
    from palermo.directory.models import Service

    if not public_id or len(public_id) > 36:
        return None
    try:
        key = UUID(public_id)
    except ValueError:
        return None
    return (
        Service.objects.select_related("provider", "provider__organisation")
        .filter(public_id=key, active=True)
        .first()
    )


def case_for_referring(actor: Actor, case_public_id: UUID | str) -> Case:
    """A case the actor may refer; NotFound when it may not see it, Forbidden otherwise."""
    from palermo.cases.access import case_for_actor

    case = case_for_actor(actor, case_public_id, "view")
    if not may_refer(actor, case):
        raise Forbidden()
    return case


def organisations_to_refer_to(actor: Actor) -> list[Any]:
    """Active organisations other than the actor's, by name (the form's picker)."""
    from palermo.accounts.models import Organisation

    return list(
        Organisation.objects.filter(is_active=True)
        .exclude(pk=actor.organisation_id or 0)
        .order_by("name", "country")
    )


def partners_to_refer_to() -> list[Any]:
    """Active trusted partner deployments (transnational referrals)."""
    from palermo.partners.models import PartnerDeployment

    return list(PartnerDeployment.objects.filter(active=True).order_by("name"))
