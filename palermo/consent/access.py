"""Consent as the access layer sees it: the person's state for the rules, and the choke points.

`permission_for` is what `palermo.people.selectors` calls to narrow the field groups an actor's
role would see; `consent_states` does the same for a page of persons in two queries. Nothing
here decrypts: the rules need only the clear columns (purpose, decision, who decided) and the
date of birth the caller has already loaded.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from functools import cache
from uuid import UUID

from django.db import connection
from django.utils import timezone

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import Forbidden, NotFound
from palermo.fastsql import column, placeholders, rows, table
from palermo.people.access import person_for_actor, persons_visible_to
from palermo.people.models import Person

from .models import LegalBasis
from .rules import (
    ConsentEntry,
    ConsentPurpose,
    ConsentState,
    Decision,
    GivenBy,
    LegalBasisEntry,
    Permission,
    is_child_on,
    permitted_groups,
    receiver_key,
)


def public_key(public_id: UUID | str) -> UUID:
    """A public id from a URL; anything that is not a canonical UUID is simply not found."""
    if isinstance(public_id, UUID):
        return public_id
    if len(public_id) > 36:
        raise NotFound()
    try:
        return UUID(public_id)
    except ValueError as exc:
        raise NotFound() from exc


def consent_states(
    persons: Iterable[Person], today: datetime.date | None = None
) -> dict[int, ConsentState]:
    """Each person's consent state, by primary key: one query, whatever the number (SQL built
    from the models' metadata; palermo.fastsql: the case pages read this on every request)."""
    persons = list(persons)
    today = today or timezone.localdate()
    ids = [p.pk for p in persons]
    entries: dict[int, list[ConsentEntry]] = {pk: [] for pk in ids}
    bases: dict[int, list[LegalBasisEntry]] = {pk: [] for pk in ids}
    found = (
        rows(
            _states_sql(connection.vendor, len(ids)),
            [*ids, *ids, connection.ops.adapt_datefield_value(today)],
        )
        if ids
        else []
    )
    order = 0
    for kind, person_id, purpose, decision, given_by, organisation_id, partner_id, external in (
        row[:8] for row in found
    ):
        if kind == _LEGAL_BASIS:
            bases[person_id].append(LegalBasisEntry(ConsentPurpose(purpose), organisation_id))
            continue
        entries[person_id].append(
            ConsentEntry(
                purpose=ConsentPurpose(purpose),
                decision=Decision(decision),
                given_by=GivenBy(given_by),
                organisation_id=organisation_id,
                order=order,
                receiver=receiver_key(partner_id=partner_id, external_name=external),
            )
        )
        order += 1
    return {
        p.pk: ConsentState(
            entries=tuple(entries[p.pk]),
            legal_bases=tuple(bases[p.pk]),
            is_child=is_child_on(p.birthdate, today),
        )
        for p in persons
    }


_CONSENT, _LEGAL_BASIS = 0, 1


@cache
def _states_sql(vendor: str, count: int) -> str:
    """The persons' consent records in the order they were recorded, then their legal bases
    in force on a day: (kind, person, purpose, decision, given by, organisation, partner,
    external receiver, recorded at, id). Only clear columns: nothing is decrypted."""
    from .models import ConsentRecord

    def c(name: str) -> str:
        return column(ConsentRecord, name)

    def b(name: str) -> str:
        return column(LegalBasis, name)

    ids = placeholders(count)
    return (
        f"SELECT {_CONSENT}, {c('person')}, {c('purpose')}, {c('decision')}, {c('given_by')}, "  # noqa: S608 - from model metadata
        f"{c('organisation')}, {c('partner')}, {c('external_receiver')}, {c('recorded_at')}, "
        f"{c('id')} FROM {table(ConsentRecord)} WHERE {c('person')} IN ({ids}) "
        f"UNION ALL SELECT {_LEGAL_BASIS}, {b('person')}, {b('purpose')}, NULL, NULL, "
        f"{b('organisation')}, NULL, NULL, NULL, {b('id')} FROM {table(LegalBasis)} "
        f"WHERE {b('person')} IN ({ids}) AND {b('revoked_at')} IS NULL "
        f"AND ({b('valid_until')} IS NULL OR {b('valid_until')} >= %s) "
        "ORDER BY 1, 9, 10"
    )


def consent_state(person: Person) -> ConsentState:
    return consent_states([person])[person.pk]


def permission_for(actor: Actor, person: Person, state: ConsentState | None = None) -> Permission:
    """What consent (or a legal basis) lets this actor touch of this person, for its purpose."""
    state = state if state is not None else consent_state(person)
    own = (
        actor.organisation_id is not None and person.owner_organisation_id == actor.organisation_id
    )
    return permitted_groups(
        state,
        purpose=str(actor.purpose),
        own_organisation=own,
        organisation_id=actor.organisation_id,
    )


def person_for_consent(actor: Actor, public_id: UUID | str, permission: Perm) -> Person:
    """A person whose consent the actor may record (or whose legal basis it may record).

    NotFound when the actor may not see the person at all; Forbidden when it may see it but
    its role may not do this.
    """
    person = person_for_actor(actor, public_id, "view")
    if not actor.can(permission):
        raise Forbidden()
    return person


def legal_basis_for_actor(actor: Actor, public_id: UUID | str) -> LegalBasis:
    """A legal basis of a person the actor may see, for a revocation (CONSENT_OVERRIDE only)."""
    key = public_key(public_id)
    basis = (
        LegalBasis.objects.select_related("person")
        .filter(public_id=key, person__in=persons_visible_to(actor))
        .first()
    )
    if basis is None:
        raise NotFound()
    if not actor.can(Perm.CONSENT_OVERRIDE):
        raise Forbidden()
    return basis
