"""Reads of Person records for pages and the API: access-checked, field-group-filtered, audited."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Q

from palermo.accounts.actors import Actor
from palermo.accounts.roles import FieldGroup, Perm
from palermo.audit.services import audit_read, audit_record
from palermo.consent.access import consent_states, permission_for
from palermo.consent.rules import ConsentState
from palermo.referrals.access import ReferralGrant, referral_grants

from .access import Action, person_for_actor, persons_visible_to, require_permission
from .field_groups import DEMOGRAPHIC_FIELDS, PERSON_FIELD_GROUPS, group_of, search_digests
from .models import Person

# Lists (pages and API) show the identity group only: names and dates of birth. The other
# groups are shown, and their read audited, one person at a time.
LIST_FIELD_GROUPS = frozenset({"identity"})
MAX_QUERY_LENGTH = 200
# Blind-index columns outside the identity group, by the group whose values they index.
SEARCH_COLUMN_GROUPS = {
    "bidx_email": "contact",
    "bidx_mobile_phone": "contact",
    "bidx_home_phone": "contact",
}


@dataclass(frozen=True)
class PersonView:
    """A person as one actor may see it: fields of hidden groups are absent."""

    person: Person
    visible_groups: frozenset[str]
    # Groups the role would show but consent (or its absence) withholds, and why.
    consent_withheld: frozenset[str] = frozenset()
    consent_basis: str = ""

    @property
    def public_id(self) -> UUID:
        return self.person.public_id

    @property
    def reference(self) -> str:
        return self.person.reference

    def can_see(self, group: str) -> bool:
        return group in self.visible_groups

    def get(self, field_name: str) -> Any:
        """The field's value, or None when its group is withheld from the actor."""
        group = group_of(field_name)
        if group is not None and str(group) not in self.visible_groups:
            return None
        return getattr(self.person, field_name)

    @property
    def birthdate(self) -> datetime.date | None:
        """For lists: the date of birth, if the identity group is shown."""
        value: datetime.date | None = self.get("birthdate")
        return value

    @property
    def display_name(self) -> str:
        if "identity" not in self.visible_groups:
            return self.reference
        name = " ".join(filter(None, [self.person.first_name, self.person.second_name]))
        return name or self.reference

    def as_dict(self) -> dict[str, Any]:
        """The fields the actor may see; fields of withheld groups are absent, not None."""
        data: dict[str, Any] = {
            "id": str(self.person.public_id),
            "reference": self.reference,
            "owner_organisation": str(self.person.owner_organisation.public_id),
            "created_at": self.person.created_at,
            "updated_at": self.person.updated_at,
            "visible_groups": sorted(self.visible_groups),
        }
        for name in DEMOGRAPHIC_FIELDS:
            data[name] = getattr(self.person, name)
        for group, names in PERSON_FIELD_GROUPS.items():
            if str(group) in self.visible_groups:
                for name in names:
                    data[name] = getattr(self.person, name)
        return data


ALL_PERSONAL_GROUPS = frozenset(str(g) for g in FieldGroup)
PERSON_RECORD_GROUPS = frozenset(str(g) for g in PERSON_FIELD_GROUPS)


def _field_access(
    actor: Actor,
    person: Person,
    state: ConsentState | None = None,
    grants: dict[int, ReferralGrant] | None = None,
    universe: frozenset[str] = PERSON_RECORD_GROUPS,
) -> tuple[frozenset[str], frozenset[str], str]:
    """The groups shown, the groups consent withholds, and the consent basis (see consent.rules).

    The role sets the most an actor may see; the person's consent, or a recorded legal basis,
    for the actor's purpose narrows it (`palermo.consent.access.permission_for`). An
    organisation that sees the person through a referral sees at most the groups the sender
    shared; a referral sent on a recorded override is not narrowed by consent.
    """
    role_groups = actor.field_groups() & universe
    permission = permission_for(actor, person, state)
    consented = permission.groups
    if person.owner_organisation_id != actor.organisation_id:
        if grants is None:
            grants = referral_grants(actor, [person.pk])
        grant = grants.get(person.pk)
        if grant is not None:
            role_groups &= grant.groups
            if grant.overridden:
                consented = role_groups
    return (
        role_groups & consented,
        role_groups - consented,
        str(permission.basis),
    )


def visible_groups(
    actor: Actor, person: Person, state: ConsentState | None = None
) -> frozenset[str]:
    """The personal field groups of this person the actor may see (role, narrowed by consent)."""
    return _field_access(actor, person, state)[0]


def personal_groups_seen(
    actor: Actor,
    person: Person,
    state: ConsentState | None = None,
    grants: dict[int, ReferralGrant] | None = None,
) -> frozenset[str]:
    """Every personal field group of this person and of their cases the actor may see.

    The rule of `visible_groups` (role ∩ consent for the actor's purpose; through a referral,
    ∩ the groups it shares, not narrowed by consent when the referral rests on an override)
    over all six groups: case content lives in health, legal and narrative, which the Person
    record itself has no fields of. Pass `state` and `grants` loaded for a whole page to keep
    the number of queries constant.
    """
    return _field_access(actor, person, state, grants, ALL_PERSONAL_GROUPS)[0]


def _view(
    actor: Actor,
    person: Person,
    state: ConsentState | None,
    limit: frozenset[str] | None = None,
    grants: dict[int, ReferralGrant] | None = None,
) -> PersonView:
    shown, withheld, basis = _field_access(actor, person, state, grants)
    if limit is not None:
        shown, withheld = shown & limit, withheld & limit
    return PersonView(person, shown, consent_withheld=withheld, consent_basis=basis)


def _audit_refused(actor: Actor, views: list[PersonView], *, listing: bool) -> None:
    """A read that consent refused is recorded, with the purpose it was attempted for."""
    refused = [v for v in views if v.consent_withheld]
    if not refused:
        return
    groups = frozenset().union(*(v.consent_withheld for v in refused))
    details: dict[str, Any] = {"purpose": str(actor.purpose)}
    if listing:
        details["persons"] = [str(v.public_id) for v in refused]
    else:
        details["basis"] = refused[0].consent_basis
    audit_record(
        actor=actor,
        action="person.read_refused",
        object_type="person",
        object_id="" if listing else str(refused[0].public_id),
        field_groups=groups,
        details=details,
        subject_organisation=None if listing else refused[0].person.owner_organisation,
    )


def person_list(
    *, actor: Actor, query: str = "", page_number: int | str = 1, per_page: int = 25
) -> Page[PersonView]:
    """The actor's persons, newest first, optionally filtered by an exact blind-indexed search.

    The names shown in the list are a read of the identity group: one audit event per page
    (none when nothing is shown). Forbidden for an actor who may not view persons at all.
    """
    require_permission(actor, Perm.PERSON_VIEW)
    persons = persons_visible_to(actor).select_related("owner_organisation")
    query = query.strip()[:MAX_QUERY_LENGTH]
    searched_groups: set[str] = set()
    if query:
        region = actor.organisation.country if actor.organisation else None
        allowed = actor.field_groups()
        condition = Q()
        for column, digests in search_digests(query, region).items():
            # Searching by a phone number is a use of the contact group: only for those who
            # may see it, or the search would confirm who owns a number.
            group = SEARCH_COLUMN_GROUPS.get(column, "identity")
            if group in allowed:
                searched_groups.add(group)
                condition |= Q(**{f"{column}__in": digests})
        persons = persons.filter(condition) if condition else persons.none()
    paginator = Paginator(persons.order_by("-created_at", "-id"), per_page)
    page = paginator.get_page(page_number)
    persons_shown = list(page.object_list)
    states = consent_states(persons_shown)
    grants = referral_grants(actor, [p.pk for p in persons_shown])
    views = [_view(actor, p, states[p.pk], LIST_FIELD_GROUPS, grants) for p in persons_shown]
    _audit_refused(actor, views, listing=True)
    shown = [str(v.public_id) for v in views if v.can_see("identity")]
    if shown:
        audit_record(
            actor=actor,
            action="person.list",
            object_type="person",
            field_groups=LIST_FIELD_GROUPS,
            details={
                "persons": shown,
                "searched": bool(query),
                "searched_groups": sorted(searched_groups),
            },
        )
    return Page(views, page.number, paginator)  # type: ignore[arg-type]


def person_detail(*, actor: Actor, public_id: UUID | str, action: Action = "view") -> PersonView:
    """One person as the actor may see it; the read of each shown group is audited."""
    person = person_for_actor(actor, public_id, action)
    view = _view(actor, person, None)
    _audit_refused(actor, [view], listing=False)
    audit_read(
        actor=actor,
        object_type="person",
        object_id=str(person.public_id),
        field_groups=view.visible_groups,
        subject_organisation=person.owner_organisation,
    )
    return view


def person_for_change(*, actor: Actor, public_id: UUID | str) -> PersonView:
    """A person the actor may edit, for a write: nothing is shown, so nothing read is audited.

    NotFound when the actor may not see the person; Forbidden when it may see but not edit.
    """
    person = person_for_actor(actor, public_id, "edit")
    return _view(actor, person, None)
