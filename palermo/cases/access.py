"""The choke point for cases: every page, endpoint and export gets cases through here.

Who sees a case: members of the owner organisation whose role may view cases, the case's
primary case worker, members of the competent organisation the case is referred to for the
mechanism's decisions whose role may decide, and members of an organisation the case is
referred to while the referral is live (they see only the person's field groups the sender
shared; see `palermo.referrals.access`). Anything else is NotFound (404), never a hint that it
exists; an actor who sees a case but may not do something to it gets Forbidden (403).
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from django.db.models import Q, QuerySet

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.consent.rules import ConsentState
from palermo.errors import Forbidden, NotFound
from palermo.people.models import Person
from palermo.people.selectors import personal_groups_seen
from palermo.referrals.access import (
    ReferralGrant,
    case_referred_to,
    live_referrals_to,
)
from palermo.referrals.models import Referral

from .models import Case

CaseAction = Literal["view", "edit", "decide", "close"]
_ACTION_PERMISSION = {
    "view": Perm.CASE_VIEW,
    "edit": Perm.CASE_EDIT,
    "decide": Perm.CASE_DECIDE,
    "close": Perm.CASE_CLOSE,
}


def cases_visible_to(actor: Actor) -> QuerySet[Case]:
    """Cases the actor may see; empty when none."""
    if actor.user is None or actor.organisation is None or not actor.can(Perm.CASE_VIEW):
        return Case.objects.none()
    return Case.objects.filter(visibility_branches(actor)[0])


def visibility_branches(actor: Actor) -> list[Q]:
    """The ways a case can be visible to the actor, as filters that do not overlap.

    Their union is `cases_visible_to`; the case list runs one index-backed query per branch
    and merges them (an OR of all of them cannot use an index on PostgreSQL). The first item
    is the union itself, the rest the disjoint branches; the last is the referral branch
    (see `referral_branch` for how the case list reads that one).
    """
    if actor.user is None or actor.organisation is None or not actor.can(Perm.CASE_VIEW):
        return [Q(pk__in=[])]
    own, deciding, assigned = _direct_branches(actor)
    branches = [own]
    if deciding is not None:
        branches.append(deciding & ~own)
    branches.append(assigned & ~own & ~_or_none(deciding))
    referred = Q(case_referred_to(actor))
    others = referral_branch(actor)
    branches.append(referred & others)
    union = own | _or_none(deciding) | assigned | referred
    return [union, *branches]


def may_see_case(actor: Actor, case: Case) -> bool:
    """Whether `cases_visible_to(actor)` holds this case, for one case already loaded: the
    direct branches from its columns, a query only for the referral branch."""
    if actor.user is None or actor.organisation is None or not actor.can(Perm.CASE_VIEW):
        return False
    if case.owner_organisation_id == actor.organisation_id:
        return True
    if actor.can(Perm.CASE_DECIDE) and case.competent_organisation_id == actor.organisation_id:
        return True
    if case.case_worker_id == actor.user.pk:
        return True
    return Referral.objects.filter(live_referrals_to(actor), case_id=case.pk).exists()


def _direct_branches(actor: Actor) -> tuple[Q, Q | None, Q]:
    user_id = actor.user.pk if actor.user is not None else None
    own = Q(owner_organisation_id=actor.organisation_id)
    deciding = (
        Q(competent_organisation_id=actor.organisation_id) if actor.can(Perm.CASE_DECIDE) else None
    )
    return own, deciding, Q(case_worker_id=user_id)


def _or_none(condition: Q | None) -> Q:
    return condition if condition is not None else Q(pk__in=[])


def referral_branch(actor: Actor) -> Q:
    """The cases no other branch shows the actor (not its organisation's, not to decide, not
    assigned to it): the referral branch is these, with a live referral to the organisation.

    The case list reads that branch from the live referrals themselves, which carry copies
    of the case's list columns (`selectors._branches`); there it may meet the other branches,
    and the list merges rows by case.
    """
    if actor.user is None or actor.organisation is None or not actor.can(Perm.CASE_VIEW):
        return Q(pk__in=[])
    own, deciding, assigned = _direct_branches(actor)
    return ~own & ~_or_none(deciding) & ~assigned


def owns_case(actor: Actor, case: Case) -> bool:
    """The actor acts for the organisation that owns the case (not through a referral)."""
    return actor.organisation_id is not None and case.owner_organisation_id == actor.organisation_id


def require_permission(actor: Actor, permission: Perm) -> None:
    """For actions not about one case (listing, opening): Forbidden unless allowed."""
    if actor.user is None or actor.organisation is None or not actor.can(permission):
        raise Forbidden()


def case_key(public_id: UUID | str) -> UUID:
    """A public id from a URL; anything that is not a canonical UUID is simply not found."""
    if isinstance(public_id, UUID):
        return public_id
    if len(public_id) > 36:
        raise NotFound()
    try:
        return UUID(public_id)
    except ValueError as exc:
        raise NotFound() from exc


def case_for_actor(actor: Actor, public_id: UUID | str, action: CaseAction = "view") -> Case:
    """The case with this public id if the actor may perform `action` on it.

    NotFound when the actor may not see it (or it does not exist); Forbidden when it may see
    it but not perform `action`.
    """
    case = (
        Case.objects.select_related(
            "person", "owner_organisation", "case_worker", "competent_organisation"
        )
        .filter(public_id=case_key(public_id))
        .first()
    )
    if case is None or not may_see_case(actor, case):
        raise NotFound()
    if action != "view" and not actor.can(_ACTION_PERMISSION[action]):
        raise Forbidden()
    return case


def case_field_groups(
    actor: Actor,
    person: Person,
    state: ConsentState | None = None,
    grants: dict[int, ReferralGrant] | None = None,
) -> frozenset[str]:
    """The field groups of a case's person the actor may see, over all six groups
    (`palermo.people.selectors.personal_groups_seen`; pass `state` and `grants` loaded for a
    whole page to keep the number of queries constant)."""
    return personal_groups_seen(actor, person, state, grants)


def case_groups_seen(
    actor: Actor,
    case: Case,
    state: ConsentState | None = None,
    grants: dict[int, ReferralGrant] | None = None,
) -> frozenset[str]:
    """`case_field_groups` of the case's person, worked out once per case instance and actor.

    The case page and each of its sections ask; the answer is kept on the Case object the
    page loaded for this request (so it never outlives the request), keyed by the actor.
    """
    memo: dict[tuple[Any, ...], frozenset[str]] = case.__dict__.setdefault("_groups_seen", {})
    user_id = actor.user.pk if actor.user is not None else None
    key = (user_id, actor.organisation_id, actor.role, actor.purpose, actor.token)
    if key not in memo:
        memo[key] = case_field_groups(actor, case.person, state, grants)
    return memo[key]
