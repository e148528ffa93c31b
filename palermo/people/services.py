"""Every write to Person records. Each is atomic and writes its audit event alongside."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.audit.services import audit_record
from palermo.errors import ApplicationError

from .access import require_permission
from .field_groups import PERSONAL_FIELDS, group_of, groups_touched, person_blind_indexes
from .models import Person
from .validation import clean_person_input


def _refuse_hidden_groups(actor: Actor, field_names: Iterable[str]) -> None:
    """An actor may only write the field groups it may read.

    Checked on the submitted names before their values are, so an actor learns nothing
    from the validation of fields it may not touch.
    """
    allowed = actor.field_groups()
    hidden = {
        name: [_("You may not change this field.")]
        for name in field_names
        if (group := group_of(name)) is not None and str(group) not in allowed
    }
    if hidden:
        raise ApplicationError(
            _("Some fields are outside what your role may see or change."),
            code="field_not_allowed",
            fields=hidden,
            status=403,
        )


def _default_region(actor: Actor) -> str | None:
    return actor.organisation.country if actor.organisation is not None else None


def _reindex(person: Person, actor: Actor) -> None:
    values = {name: getattr(person, name) for name in PERSONAL_FIELDS}
    for column, value in person_blind_indexes(values, _default_region(actor)).items():
        setattr(person, column, value)


@transaction.atomic
def person_create(*, actor: Actor, data: dict[str, Any]) -> Person:
    """Register a person owned by the actor's organisation; audited as person.create.

    Raises Forbidden (403) for an actor who may not register persons or who sends fields of
    a group it may not see, and ApplicationError (400) with messages per field for bad input.
    """
    require_permission(actor, Perm.PERSON_CREATE)
    _refuse_hidden_groups(actor, data)
    cleaned = clean_person_input(data, default_region=_default_region(actor))
    person = Person(owner_organisation=actor.organisation, created_by=actor.user)
    for name, value in cleaned.items():
        setattr(person, name, value)
    _reindex(person, actor)
    person.save()
    audit_record(
        actor=actor,
        action="person.create",
        object_type="person",
        object_id=str(person.public_id),
        field_groups=groups_touched(cleaned),
        subject_organisation=person.owner_organisation,
    )
    return person


@transaction.atomic
def person_update(*, actor: Actor, person: Person, data: dict[str, Any]) -> Person:
    """Change some fields of a person; audited as person.update (nothing when nothing changed).

    The caller gets `person` through `access.person_for_actor(actor, id, "edit")`; the role's
    permission and field groups are checked again here so no caller can skip them.
    """
    require_permission(actor, Perm.PERSON_EDIT)
    _refuse_hidden_groups(actor, data)
    cleaned = clean_person_input(
        data,
        default_region=_default_region(actor),
        current_names={"first_name": person.first_name, "second_name": person.second_name},
    )
    changed = [name for name, value in cleaned.items() if getattr(person, name) != value]
    if not changed:
        return person
    for name in changed:
        setattr(person, name, cleaned[name])
    _reindex(person, actor)
    person.save()
    audit_record(
        actor=actor,
        action="person.update",
        object_type="person",
        object_id=str(person.public_id),
        field_groups=groups_touched(changed),
        details={"fields": sorted(changed)},
        subject_organisation=person.owner_organisation,
    )
    return person
