"""The choke point for Person records: every page and endpoint gets persons through here.

Record access: the owner organisation's members whose role may view persons, users assigned
to the person, and the members of an organisation a case of the person is referred to while
that referral is live (which field groups they see is narrowed in `selectors`). Anything else
is NotFound (404), never a hint that it exists. An actor who may see a person but not change
it gets Forbidden (403) on a change: it already knows the person exists, so the honest answer
leaks nothing.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import Forbidden, NotFound

from .models import Person

Action = Literal["view", "edit"]
_ACTION_PERMISSION = {"view": Perm.PERSON_VIEW, "edit": Perm.PERSON_EDIT}


def persons_visible_to(actor: Actor, action: Action = "view") -> QuerySet[Person]:
    """Persons the actor may see (or edit); an empty queryset when none."""
    if actor.user is None or actor.organisation is None:
        return Person.objects.none()
    if not actor.can(_ACTION_PERMISSION[action]):
        return Person.objects.none()
    # Imported here: referrals build on cases, which build on people.
    from palermo.referrals.access import person_referred_to

    assigned = Person.assigned_users.through.objects.filter(
        person_id=OuterRef("pk"), user_id=actor.user.pk
    )
    return Person.objects.filter(
        Q(owner_organisation=actor.organisation) | Exists(assigned) | person_referred_to(actor)
    )


def require_permission(actor: Actor, permission: Perm) -> None:
    """For actions not about one record (listing, registering): Forbidden unless allowed."""
    if actor.user is None or actor.organisation is None or not actor.can(permission):
        raise Forbidden()


def _public_key(public_id: UUID | str) -> UUID:
    if isinstance(public_id, UUID):
        return public_id
    # Ids come from URLs: anything that is not a canonical UUID is simply not found.
    if len(public_id) > 36:
        raise NotFound()
    try:
        return UUID(public_id)
    except ValueError as exc:
        raise NotFound() from exc


def person_for_actor(actor: Actor, public_id: UUID | str, action: Action = "view") -> Person:
    """The person with this public id if the actor may perform `action` on it.

    NotFound when the actor may not see it (or it does not exist: the two are
    indistinguishable); Forbidden when the actor may see it but not perform `action`.
    """
    key = _public_key(public_id)
    person = (
        persons_visible_to(actor, "view")
        .select_related("owner_organisation")
        .filter(public_id=key)
        .first()
    )
    if person is None:
        raise NotFound()
    if action != "view" and not persons_visible_to(actor, action).filter(pk=person.pk).exists():
        raise Forbidden()
    return person
