"""Reads of contacts for pages and the API: access-checked, field-group-filtered, audited.

The queue shows no personal data (categories, times, channels, who has it), so refreshing it
every ten seconds writes nothing to the audit log; opening one contact reads its narrative
and the caller's details, and that read is audited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation, OrganisationType, User
from palermo.accounts.roles import Perm, Role, role_can
from palermo.audit.services import audit_read, audit_record
from palermo.errors import NotFound

from .access import (
    contact_for_actor,
    contacts_visible_to,
    require_permission,
    situation_for_actor,
    situations_visible_to,
)
from .field_groups import CONTACT_FIELD_GROUPS, DERIVED_GROUP, group_of
from .models import Campaign, Category, Contact, Identifier, Situation, SituationPerson
from .statuses import OPEN_STATUSES, SituationStatus, Status

QUEUE_LIMIT = 200
MAX_QUERY_LENGTH = 100
QUEUE_FILTERS = ("open", "mine", "new", "closed")


def queue_order(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
    """Crisis first, then by urgency, then the longest waiting."""
    return queryset.annotate(
        crisis_first=Case(
            When(category=Category.CRISIS, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("crisis_first", "-urgency", "received_at", "id")


def contact_queue(*, actor: Actor, show: str = "open") -> list[Contact]:
    """The queue of the actor's organisation (no personal data: nothing to audit).

    `show` is one of QUEUE_FILTERS: open contacts (default), the actor's own open ones, the
    new ones, or the most recently closed.
    """
    require_permission(actor, Perm.CONTACT_VIEW)
    contacts = contacts_visible_to(actor).select_related("assigned_to", "campaign")
    if show == "closed":
        return list(
            contacts.filter(status=Status.CLOSED.value).order_by("-closed_at", "-id")[:QUEUE_LIMIT]
        )
    contacts = contacts.filter(status__in=[s.value for s in OPEN_STATUSES])
    if show == "mine":
        contacts = contacts.filter(assigned_to=actor.user)
    elif show == "new":
        contacts = contacts.filter(status=Status.NEW.value)
    return list(queue_order(contacts)[:QUEUE_LIMIT])


def waiting(contact: Contact, now: datetime.datetime | None = None) -> datetime.timedelta:
    return (now or timezone.now()) - contact.received_at


@dataclass(frozen=True)
class ThreadMessage:
    direction: str
    text: str
    received_at: datetime.datetime
    status: str


@dataclass
class ContactView:
    """A contact as one actor may see it: fields of hidden groups are absent."""

    contact: Contact
    visible_groups: frozenset[str]
    identifiers: list[Identifier] = field(default_factory=list)
    messages: list[ThreadMessage] = field(default_factory=list)
    follow_ups: list[Any] = field(default_factory=list)

    @property
    def public_id(self) -> UUID:
        return self.contact.public_id

    @property
    def reference(self) -> str:
        return self.contact.reference

    def can_see(self, group: str) -> bool:
        return group in self.visible_groups

    def get(self, field_name: str) -> Any:
        group = group_of(field_name)
        if group is not None and str(group) not in self.visible_groups:
            return None
        return getattr(self.contact, field_name)

    def as_dict(self) -> dict[str, Any]:
        c = self.contact
        data: dict[str, Any] = {
            "id": str(c.public_id),
            "reference": c.reference,
            "channel": c.channel,
            "campaign": str(c.campaign.public_id) if c.campaign else None,
            "campaign_name": c.campaign.name if c.campaign else None,
            "via_number": c.via_number or None,
            "caller_type": c.caller_type,
            "language": c.language or None,
            "category": c.category,
            "urgency": c.urgency,
            "status": c.status,
            "assigned_to": c.assigned_to.username if c.assigned_to else None,
            "situation": str(c.situation.public_id) if c.situation else None,
            "received_at": c.received_at,
            "last_activity_at": c.last_activity_at,
            "visible_groups": sorted(self.visible_groups),
        }
        for group, names in CONTACT_FIELD_GROUPS.items():
            if str(group) in self.visible_groups:
                for name in names:
                    data[name] = getattr(c, name)
        if str(DERIVED_GROUP) in self.visible_groups:
            data["identifiers"] = [
                {
                    "kind": i.kind,
                    "value": i.value,
                    "source": i.source,
                    "start": i.start,
                    "end": i.end,
                    "country": i.country or None,
                }
                for i in self.identifiers
            ]
        return data


def visible_groups(actor: Actor) -> frozenset[str]:
    contact_groups = {str(g) for g in CONTACT_FIELD_GROUPS}
    return actor.field_groups() & frozenset(contact_groups)


def _thread(contact: Contact) -> list[ThreadMessage]:
    """The SMS conversation of a contact filed from SMS, both directions, oldest first."""
    if not (contact.source_key or "").startswith("sms:"):
        return []
    from palermo.channels.models import Message

    conversation = contact.source_key[4:]  # type: ignore[index]
    rows = Message.objects.filter(conversation__public_id=conversation).order_by(
        "received_at", "id"
    )
    return [ThreadMessage(m.direction, str(m.text or ""), m.received_at, m.status) for m in rows]


def contact_detail(*, actor: Actor, public_id: UUID | str) -> ContactView:
    """One contact as the actor may see it; the read of each shown group is audited."""
    contact = contact_for_actor(actor, public_id, "view")
    groups = visible_groups(actor)
    view = ContactView(contact, groups)
    if str(DERIVED_GROUP) in groups:
        view.identifiers = list(contact.identifiers.all())
        view.messages = _thread(contact)
        view.follow_ups = list(contact.tip.follow_ups.all()) if hasattr(contact, "tip") else []
    audit_read(
        actor=actor,
        object_type="contact",
        object_id=str(contact.public_id),
        field_groups=groups,
    )
    return view


def contact_for_change(*, actor: Actor, public_id: UUID | str) -> Contact:
    """A contact the actor may change, for a write: nothing shown, nothing read audited."""
    return contact_for_actor(actor, public_id, "change")


def colleagues(actor: Actor) -> list[User]:
    """Members of the actor's organisation a contact may be given to (roles that view them)."""
    if actor.organisation is None:
        return []
    memberships = Membership.objects.filter(
        organisation=actor.organisation, user__is_active=True
    ).select_related("user")
    users: dict[int, User] = {}
    for membership in memberships:
        if role_can(Role(membership.role), Perm.CONTACT_VIEW):
            users[membership.user.pk] = membership.user
    return sorted(users.values(), key=lambda u: (u.get_full_name() or u.username).lower())


def organisation_search(
    *, actor: Actor, query: str = "", org_type: str = "", country: str = "", limit: int = 25
) -> list[Organisation]:
    """Coalition organisations by name, type and country, for the operator's inline lookup.

    Organisations are not personal data. (The service directory, when it exists, will add
    services, languages and populations served.)
    """
    if actor.user is None or not (actor.can(Perm.CONTACT_VIEW) or actor.can(Perm.CONTACT_CREATE)):
        require_permission(actor, Perm.CONTACT_VIEW)
    organisations = Organisation.objects.filter(is_active=True)
    query = query.strip()[:MAX_QUERY_LENGTH]
    if query:
        organisations = organisations.filter(Q(name__icontains=query) | Q(city__icontains=query))
    if org_type in OrganisationType.values:
        organisations = organisations.filter(org_type=org_type)
    if len(country) == 2 and country.isalpha():
        organisations = organisations.filter(country=country.upper())
    return list(organisations.order_by("country", "name")[:limit])


# --- situations ------------------------------------------------------------------------------

SITUATION_FILTERS = ("open", "closed", "all")
SITUATIONS_PER_PAGE = 50
# A situation's persons are listed as the people list lists them: names (the identity group)
# at most, one audit event for the names shown.
PERSON_LIST_GROUPS = frozenset({"identity"})
SUMMARY_GROUP = str(DERIVED_GROUP)  # a situation's summary says what the narratives say


def situation_rows(queryset: QuerySet[Situation]) -> QuerySet[Situation]:
    """Situations with what a list shows of them (counts and times: no personal data)."""
    return queryset.annotate(
        contact_count=Count("contacts", distinct=True),
        person_count=Count("person_links", distinct=True),
        last_contact_at=Max("contacts__received_at"),
        top_urgency=Max("contacts__urgency"),
        crisis_count=Count("contacts", filter=Q(contacts__category=Category.CRISIS), distinct=True),
        open_first=Case(
            When(status=SituationStatus.OPEN.value, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
    )


def situation_list(
    *, actor: Actor, show: str = "open", page_number: int | str = 1
) -> Page[Situation]:
    """The organisation's situations, open ones first, most recently changed first.

    No personal data (no summary, no names): nothing to audit. Two queries a page.
    """
    require_permission(actor, Perm.CONTACT_VIEW)
    situations = situations_visible_to(actor).select_related("created_by")
    if show == "open":
        situations = situations.filter(status=SituationStatus.OPEN.value)
    elif show == "closed":
        situations = situations.filter(status=SituationStatus.CLOSED.value)
    ordered = situation_rows(situations).order_by("open_first", "-updated_at", "-id")
    paginator = Paginator(ordered, SITUATIONS_PER_PAGE)
    return paginator.get_page(page_number)


@dataclass(frozen=True)
class SituationPersonEntry:
    """A person linked to a situation, as the actor may see it.

    `view` is None for a person the actor may not see at all (a role without the people
    module, or a record it has no access to): only its reference is shown.
    """

    link: SituationPerson
    view: Any  # palermo.people.selectors.PersonView | None

    @property
    def public_id(self) -> UUID:
        return self.link.person.public_id

    @property
    def reference(self) -> str:
        return str(self.link.person.reference)

    @property
    def visible(self) -> bool:
        return self.view is not None

    @property
    def shows_name(self) -> bool:
        return self.view is not None and self.view.can_see("identity")

    @property
    def display_name(self) -> str:
        return str(self.view.display_name) if self.view is not None else self.reference


@dataclass
class SituationView:
    """A situation as one actor may see it: its contacts (no personal data), its persons
    (names where the identity group is visible), its summary (with the narrative group)."""

    situation: Situation
    visible_groups: frozenset[str]
    contacts: list[Contact]
    persons: list[SituationPersonEntry]

    @property
    def public_id(self) -> UUID:
        return self.situation.public_id

    @property
    def reference(self) -> str:
        return self.situation.reference

    @property
    def shows_summary(self) -> bool:
        return SUMMARY_GROUP in self.visible_groups

    @property
    def summary(self) -> str | None:
        return self.situation.summary if self.shows_summary else None

    def as_dict(self) -> dict[str, Any]:
        s = self.situation
        data: dict[str, Any] = {
            "id": str(s.public_id),
            "reference": s.reference,
            "status": s.status,
            "created_at": s.created_at,
            "updated_at": s.updated_at,
            "closed_at": s.closed_at,
            "visible_groups": sorted(self.visible_groups),
            "contacts": [_contact_item(c) for c in self.contacts],
            "persons": [
                {
                    "id": str(entry.public_id),
                    "reference": entry.reference,
                    "role": entry.link.role,
                    "linked_at": entry.link.linked_at,
                    **({"display_name": entry.display_name} if entry.shows_name else {}),
                }
                for entry in self.persons
            ],
        }
        if self.shows_summary:
            data["summary"] = s.summary
        return data


def _contact_item(contact: Contact) -> dict[str, Any]:
    return {
        "id": str(contact.public_id),
        "reference": contact.reference,
        "received_at": contact.received_at,
        "channel": contact.channel,
        "category": contact.category,
        "urgency": contact.urgency,
        "status": contact.status,
    }


def _person_entries(actor: Actor, links: list[SituationPerson]) -> list[SituationPersonEntry]:
    """Each linked person with the groups the actor may see of it, as the people list does
    (role, narrowed by consent and referral grants), limited to names."""
    from palermo.consent.access import consent_states
    from palermo.people.access import persons_visible_to
    from palermo.people.selectors import PersonView, visible_groups

    person_ids = [link.person_id for link in links]
    visible: set[int] = set()
    if person_ids and actor.can(Perm.PERSON_VIEW):
        visible = set(
            persons_visible_to(actor).filter(pk__in=person_ids).values_list("pk", flat=True)
        )
    shown_persons = [link.person for link in links if link.person_id in visible]
    states = consent_states(shown_persons) if shown_persons else {}
    entries = []
    for link in links:
        view = None
        if link.person_id in visible:
            groups = visible_groups(actor, link.person, states[link.person_id])
            view = PersonView(link.person, groups & PERSON_LIST_GROUPS)
        entries.append(SituationPersonEntry(link, view))
    return entries


def _audit_person_names(
    actor: Actor, situation: Situation, entries: list[SituationPersonEntry]
) -> None:
    """The names shown are a read of the identity group, recorded as the people list
    records its pages; names the role would show but consent withholds are recorded too."""
    shown = [str(e.public_id) for e in entries if e.shows_name]
    if shown:
        audit_record(
            actor=actor,
            action="person.list",
            object_type="person",
            field_groups=PERSON_LIST_GROUPS,
            details={"persons": shown, "situation": str(situation.public_id)},
        )
    role_shows_names = "identity" in actor.field_groups()
    refused = [str(e.public_id) for e in entries if e.visible and not e.shows_name]
    if refused and role_shows_names:
        audit_record(
            actor=actor,
            action="person.read_refused",
            object_type="person",
            field_groups=PERSON_LIST_GROUPS,
            details={
                "purpose": str(actor.purpose),
                "persons": refused,
                "situation": str(situation.public_id),
            },
        )


def situation_detail(*, actor: Actor, public_id: UUID | str) -> SituationView:
    """One situation as the actor may see it; reads of personal data are audited: the summary
    (narrative group) as situation.read, the persons' names as person.list."""
    situation = situation_for_actor(actor, public_id, "view")
    groups = visible_groups(actor)
    contacts = list(situation.contacts.select_related("campaign").order_by("received_at", "id"))
    links = list(
        situation.person_links.select_related("person", "person__owner_organisation").order_by(
            "linked_at", "id"
        )
    )
    view = SituationView(situation, groups, contacts, _person_entries(actor, links))
    if view.shows_summary and situation.summary:
        audit_read(
            actor=actor,
            object_type="situation",
            object_id=str(situation.public_id),
            field_groups=[SUMMARY_GROUP],
        )
    _audit_person_names(actor, situation, view.persons)
    return view


def situation_for_change(*, actor: Actor, public_id: UUID | str) -> Situation:
    """A situation the actor may change, for a write: nothing shown, nothing read audited."""
    return situation_for_actor(actor, public_id, "change")


def contacts_without_situation(*, actor: Actor, limit: int = 50) -> list[Contact]:
    """The organisation's most recent open contacts not in a situation yet (to add to one or
    open one from): references, categories and times only."""
    return list(
        contacts_visible_to(actor)
        .filter(situation__isnull=True, status__in=[s.value for s in OPEN_STATUSES])
        .order_by("-received_at", "-id")[:limit]
    )


_HEX = frozenset("0123456789abcdef")


def _by_reference(queryset: QuerySet[Any], letter: str, text: str) -> Any:
    """The one record of `queryset` whose reference (``C-1A2B3C4D``: the letter and the first
    eight hex digits of its id) is `text`; NotFound when none or more than one."""
    reference = text.strip().upper()
    prefix = reference[2:].lower()
    if not reference.startswith(f"{letter}-") or len(prefix) != 8 or not set(prefix) <= _HEX:
        raise NotFound()
    # The ids that begin with those digits form one range of the unique index.
    candidates = list(
        queryset.filter(
            public_id__gte=UUID(prefix + "0" * 24), public_id__lte=UUID(prefix + "f" * 24)
        )[:2]
    )
    if len(candidates) != 1:
        raise NotFound()
    return candidates[0]


def _is_reference(text: str) -> bool:
    return len(text.strip()) == 10 and text.strip()[1:2] == "-"


def contact_by_reference(*, actor: Actor, text: str, action: str = "view") -> Contact:
    """A contact of the organisation by its full id or its reference (C-1A2B3C4D), for
    `action` (as `access.contact_for_actor`); NotFound when there is none."""
    if not isinstance(text, str) or len(text) > 36:
        raise NotFound()
    if _is_reference(text):
        found: Contact = _by_reference(contacts_visible_to(actor), "C", text)
        text = str(found.public_id)
    return contact_for_actor(actor, text, action)  # type: ignore[arg-type]


def situation_by_reference(*, actor: Actor, text: str, action: str = "view") -> Situation:
    """A situation of the organisation by its full id or its reference (S-1A2B3C4D)."""
    if not isinstance(text, str) or len(text) > 36:
        raise NotFound()
    if _is_reference(text):
        found: Situation = _by_reference(situations_visible_to(actor), "S", text)
        text = str(found.public_id)
    return situation_for_actor(actor, text, action)  # type: ignore[arg-type]


# --- campaigns -----------------------------------------------------------------------------


def campaign_rows(*, actor: Actor) -> list[Campaign]:
    """The organisation's campaigns, active first, with how many contacts each brought."""
    from .access import may_manage_campaigns

    if not may_manage_campaigns(actor):
        return []
    return list(
        Campaign.objects.filter(owner_organisation=actor.organisation)
        .annotate(contact_count=Count("contacts"), last_contact_at=Max("contacts__received_at"))
        .order_by("-active", "name", "id")
    )
