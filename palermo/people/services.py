"""Every write to Person records. Each is atomic and writes its audit event alongside."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.audit.services import audit_record
from palermo.errors import ApplicationError, Forbidden

from .field_groups import PERSONAL_FIELDS, group_of, groups_touched, person_blind_indexes
from .models import Person
from .validation import clean_person_input, require_a_name


def _refuse_hidden_groups(actor: Actor, cleaned: dict[str, Any]) -> None:
    """An actor may only write the field groups it may read."""
    allowed = actor.field_groups()
    hidden = {
        name: [_("You may not change this field.")]
        for name in cleaned
        if (group := group_of(name)) is not None and str(group) not in allowed
    }
    if hidden:
        raise ApplicationError(
            _("Some fields are outside what your role may see or change."),
            code="field_not_allowed", fields=hidden, status=403,
        )


def _default_region(actor: Actor) -> str | None:
    return actor.organisation.country if actor.organisation is not None else None


def _reindex(person: Person, actor: Actor) -> None:
    values = {name: getattr(person, name) for name in PERSONAL_FIELDS}
    for column, value in person_blind_indexes(values, _default_region(actor)).items():
        setattr(person, column, value)


@transaction.atomic
def person_create(*, actor: Actor, data: dict[str, Any]) -> Person:
    """Register a person owned by the actor's organisation."""
    if actor.organisation is None or not actor.can(Perm.PERSON_CREATE):
        raise Forbidden()
    cleaned = clean_person_input(data, default_region=_default_region(actor))
    _refuse_hidden_groups(actor, cleaned)
    require_a_name(cleaned)
    person = Person(owner_organisation=actor.organisation, created_by=actor.user)
    for name, value in cleaned.items():
        setattr(person, name, value)
    _reindex(person, actor)
    person.save()
    audit_record(
        actor=actor, action="person.create", object_type="person",
        object_id=str(person.public_id), field_groups=groups_touched(cleaned),
    )
    return person


@transaction.atomic
def person_update(*, actor: Actor, person: Person, data: dict[str, Any]) -> Person:
    """Change some fields of a person the actor may edit (checked by the caller's access call)."""
    cleaned = clean_person_input(data, default_region=_default_region(actor))
    _refuse_hidden_groups(actor, cleaned)
    changed = [name for name, value in cleaned.items() if getattr(person, name) != value]
    merged = {name: getattr(person, name) for name in ("first_name", "second_name")}
    merged.update({k: v for k, v in cleaned.items() if k in merged})
    require_a_name(merged)
    if not changed:
        return person
    for name in changed:
        setattr(person, name, cleaned[name])
    _reindex(person, actor)
    person.save()
    audit_record(
        actor=actor, action="person.update", object_type="person",
        object_id=str(person.public_id), field_groups=groups_touched(changed),
        details={"fields": sorted(changed)},
    )
    return person
