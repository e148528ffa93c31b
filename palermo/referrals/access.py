"""What a live referral lets the receiving organisation see.

A referral (or a transfer not yet accepted) gives the receiver access to the case and to the
person, limited to the field groups the sender chose, and only while it is live (pending,
accepted, in progress). Declined, done or revoked referrals give nothing. People and cases ask
here; nothing else decides what a referral shares.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import NotFound

from .models import LIVE_STATES, ConsentBasis, Referral


@dataclass(frozen=True)
class ReferralGrant:
    """The union of what the live referrals of one person to one organisation share."""

    groups: frozenset[str]
    # True when a referral was sent on an override: the person's consent does not narrow it.
    overridden: bool


def live_referrals_to(actor: Actor) -> Q:
    """Referrals that are live and addressed to the actor's organisation (a filter on Referral).

    Only for members whose role works on cases (CASE_VIEW): a referral is addressed to the
    organisation's case work, not to every member (a programme officer sees nothing of it).
    """
    if actor.organisation_id is None or not actor.can(Perm.CASE_VIEW):
        return Q(pk__in=[])
    return Q(receiving_organisation_id=actor.organisation_id, state__in=LIVE_STATES)


def person_referred_to(actor: Actor) -> Exists:
    """For filtering persons: a live referral of one of the person's cases to the actor's org."""
    return Exists(Referral.objects.filter(live_referrals_to(actor), case__person_id=OuterRef("pk")))


def case_referred_to(actor: Actor) -> Exists:
    """For filtering cases: a live referral of the case to the actor's organisation."""
    return Exists(Referral.objects.filter(live_referrals_to(actor), case_id=OuterRef("pk")))


def referral_grants(actor: Actor, person_ids: Iterable[int]) -> dict[int, ReferralGrant]:
    """What live referrals share with the actor's organisation, per person (one query)."""
    ids = list(person_ids)
    if not ids or actor.organisation_id is None:
        return {}
    rows = Referral.objects.filter(live_referrals_to(actor), case__person_id__in=ids).values_list(
        "case__person_id", "shared_groups", "consent_basis"
    )
    groups: dict[int, set[str]] = {}
    overridden: dict[int, bool] = {}
    for person_id, shared, basis in rows:
        groups.setdefault(person_id, set()).update(str(g) for g in shared)
        overridden[person_id] = overridden.get(person_id, False) or basis == ConsentBasis.OVERRIDE
    return {pid: ReferralGrant(frozenset(g), overridden[pid]) for pid, g in groups.items()}


# --- the referral records themselves ---------------------------------------------------------


def referrals_visible_to(actor: Actor) -> QuerySet[Referral]:
    """Referral records the actor may see: those its organisation sent or received, and those
    of cases it now owns (after a transfer, the new owner sees how the case was referred).

    Seeing the record is not seeing the person: what of the person a receiver sees is decided
    by `referral_grants` (live referrals only) and the people selectors.
    """
    if actor.user is None or actor.organisation_id is None or not actor.can(Perm.CASE_VIEW):
        return Referral.objects.none()
    org = actor.organisation_id
    return Referral.objects.filter(
        Q(sending_organisation_id=org)
        | Q(receiving_organisation_id=org)
        | Q(case__owner_organisation_id=org)
    )


def referral_key(public_id: UUID | str) -> UUID:
    """A public id from a URL; anything that is not a canonical UUID is simply not found."""
    if isinstance(public_id, UUID):
        return public_id
    if len(public_id) > 36:
        raise NotFound()
    try:
        return UUID(public_id)
    except ValueError as exc:
        raise NotFound() from exc


def referral_for_actor(actor: Actor, public_id: UUID | str) -> Referral:
    """The referral with this public id if the actor may see it; NotFound (404) otherwise."""
    referral = (
        referrals_visible_to(actor)
        .select_related(
            "case",
            "case__person",
            "case__owner_organisation",
            "sending_organisation",
            "receiving_organisation",
            "partner",
            "service",
            "service__provider",
            "sent_by",
            "receiving_case_worker",
        )
        .filter(public_id=referral_key(public_id))
        .first()
    )
    if referral is None:
        raise NotFound()
    return referral


def is_receiver(actor: Actor, referral: Referral) -> bool:
    """The actor acts for the organisation the referral is addressed to."""
    return (
        actor.organisation_id is not None
        and referral.receiving_organisation_id == actor.organisation_id
    )


def is_sender(actor: Actor, referral: Referral) -> bool:
    """The actor acts for the organisation that sent the referral, or that owns the case now."""
    org = actor.organisation_id
    return org is not None and (
        referral.sending_organisation_id == org or referral.case.owner_organisation_id == org
    )
