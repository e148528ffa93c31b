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

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation, OrganisationType, User
from palermo.accounts.roles import Perm, Role, role_can
from palermo.audit.services import audit_read

from .access import contact_for_actor, contacts_visible_to, require_permission
from .field_groups import CONTACT_FIELD_GROUPS, DERIVED_GROUP, group_of
from .models import Category, Contact, Identifier
from .statuses import OPEN_STATUSES, Status

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
