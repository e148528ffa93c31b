"""The choke point for Person records: every page and endpoint gets persons through here.

Record access: the owner organisation's members whose role may view persons, and users
assigned to the person. Anything else is NotFound (404), never a hint that it exists.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from django.db.models import Q, QuerySet

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import NotFound

from .models import Person

Action = Literal["view", "edit"]
_ACTION_PERMISSION = {"view": Perm.PERSON_VIEW, "edit": Perm.PERSON_EDIT}


def persons_visible_to(actor: Actor, action: Action = "view") -> QuerySet[Person]:
    """Persons the actor may see (or edit); an empty queryset when none."""
    if actor.user is None or actor.organisation is None:
        return Person.objects.none()
    if not actor.can(_ACTION_PERMISSION[action]):
        return Person.objects.none()
    return Person.objects.filter(
        Q(owner_organisation=actor.organisation) | Q(assigned_users=actor.user)
    ).distinct()


def person_for_actor(actor: Actor, public_id: UUID | str, action: Action = "view") -> Person:
    """The person with this public id, if the actor may perform `action` on it; else NotFound."""
    try:
        key = UUID(str(public_id))
    except ValueError as exc:
        raise NotFound() from exc
    person = persons_visible_to(actor, action).filter(public_id=key).first()
    if person is None:
        raise NotFound()
    return person
