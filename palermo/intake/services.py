"""Every write to contacts and situations. Each is atomic and writes its audit event alongside.

Audit details never hold personal data: records are named by public id, fields by name.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation, OrganisationType, User
from palermo.accounts.roles import Perm, Role, role_can
from palermo.audit.services import audit_record
from palermo.errors import ApplicationError, Forbidden, NotFound, invalid
from palermo.people.access import person_for_actor
from palermo.vault.fields import blind_index

from . import identifiers as extraction
from .access import may_manage_campaigns, public_key, require_permission
from .field_groups import IDENTIFIER_DOMAINS, groups_touched, reporter_indexes
from .models import (
    CallerType,
    Campaign,
    Category,
    Contact,
    ContactChannel,
    ContactDraft,
    ContactPerson,
    Escalation,
    Identifier,
    IdentifierSource,
    Situation,
    SituationPerson,
    Urgency,
)
from .statuses import SituationStatus, Status, can_move, situation_can_move
from .validation import (
    CONTACT_FIELDS,
    MAX_LENGTHS,
    clean_campaign_input,
    clean_contact_input,
    clean_escalation,
    clean_person_role,
    clean_summary,
)

# Fields whose text is searched for identifiers, and the source each is recorded under.
_EXTRACTED_FIELDS = {
    "narrative": IdentifierSource.NARRATIVE,
    "location_text": IdentifierSource.LOCATION,
}


def _region(actor: Actor) -> str | None:
    return actor.organisation.country if actor.organisation is not None else None


# --- identifiers -------------------------------------------------------------------------------


def identifiers_record(
    *, contact: Contact, source: str, source_ref: str, text: str | None, region: str | None
) -> int:
    """Store the identifiers found in one text of a contact; returns how many are stored.

    Idempotent: running it again on the same text stores nothing twice (the spans are unique
    per source), and on a changed text replaces what the old text gave.
    """
    found = extraction.extract(text or "", region=region)
    wanted = {(f.kind, f.start, f.end) for f in found}
    existing = Identifier.objects.filter(contact=contact, source=source, source_ref=source_ref)
    stale = [
        pk
        for pk, *key in existing.values_list("pk", "kind", "start", "end")
        if tuple(key) not in wanted
    ]
    if stale:
        Identifier.objects.filter(pk__in=stale).delete()
    rows = [
        Identifier(
            contact=contact,
            source=source,
            source_ref=source_ref,
            kind=f.kind,
            value=f.value,
            value_index=blind_index(IDENTIFIER_DOMAINS[f.kind], f.value),
            country=f.country,
            start=f.start,
            end=f.end,
            detail=_public_detail(f),
        )
        for f in found
    ]
    Identifier.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _public_detail(found: extraction.Found) -> dict[str, Any]:
    """What may stay in clear next to an identifier: the currency, the gazetteer's entry."""
    if found.kind == "money":
        return {"currency": found.detail.get("currency", "")}
    if found.kind == "place":
        return {
            "name": found.detail.get("name", ""),
            "geonames_id": found.detail.get("geonames_id"),
        }
    return {}


def _extract_contact_fields(contact: Contact, names: set[str], region: str | None) -> None:
    for name, source in _EXTRACTED_FIELDS.items():
        if name in names:
            identifiers_record(
                contact=contact,
                source=source,
                source_ref="",
                text=getattr(contact, name),
                region=region,
            )


# --- contacts ------------------------------------------------------------------------------


def campaign_for(
    organisation: Organisation, *, public_id: str | None = None, number: str = "", code: str = ""
) -> Campaign | None:
    """The organisation's active campaign by public id, by one of its numbers, or by a code."""
    campaigns = Campaign.objects.filter(owner_organisation=organisation, active=True)
    if public_id:
        try:
            key = public_key(public_id)
        except NotFound:
            return None
        return campaigns.filter(public_id=key).first()
    digits = "".join(c for c in number if c.isdigit())
    wanted_code = code.strip().upper()
    for campaign in campaigns.order_by("id"):
        if digits and any(
            "".join(c for c in str(n) if c.isdigit()) == digits for n in campaign.numbers
        ):
            return campaign
        if wanted_code and any(str(c).strip().upper() == wanted_code for c in campaign.codes):
            return campaign
    return None


def _apply(contact: Contact, cleaned: dict[str, Any], region: str | None) -> list[str]:
    """Set the cleaned fields on the contact; returns the names that changed."""
    changed = []
    for name, value in cleaned.items():
        if name == "campaign":
            campaign = campaign_for(contact.owner_organisation, public_id=value) if value else None
            if value and campaign is None:
                raise invalid({"campaign": [_("Choose one of the listed options.")]})
            if contact.campaign_id != (campaign.pk if campaign else None):
                contact.campaign = campaign
                changed.append(name)
            continue
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.append(name)
    if {"reporter_phone", "reporter_email"} & set(changed):
        for column, digest in reporter_indexes(
            contact.reporter_phone, contact.reporter_email, region
        ).items():
            setattr(contact, column, digest)
    return changed


@transaction.atomic
def contact_create(*, actor: Actor, data: dict[str, Any]) -> Contact:
    """Record a contact received by the actor's organisation; audited as contact.create.

    The identifiers in its narrative are extracted and stored at once. Forbidden for a role
    that may not record contacts; ApplicationError (400) per field for bad input.
    """
    require_permission(actor, Perm.CONTACT_CREATE)
    region = _region(actor)
    cleaned = clean_contact_input(data, default_region=region, creating=True)
    now = timezone.now()
    contact = Contact(
        owner_organisation=actor.organisation,
        created_by=actor.user,
        received_at=now,
        last_activity_at=now,
    )
    changed = _apply(contact, cleaned, region)
    contact.save()
    _extract_contact_fields(contact, set(changed), region)
    audit_record(
        actor=actor,
        action="contact.create",
        object_type="contact",
        object_id=str(contact.public_id),
        field_groups=groups_touched(changed),
        details={"channel": contact.channel, "category": contact.category},
    )
    return contact


@transaction.atomic
def contact_update(*, actor: Actor, contact: Contact, data: dict[str, Any]) -> Contact:
    """Change the triage fields or the narrative of a contact; audited as contact.update.

    The caller gets `contact` through `access.contact_for_actor(actor, id, "change")`.
    """
    require_permission(actor, Perm.CONTACT_CREATE)
    region = _region(actor)
    cleaned = clean_contact_input(data, default_region=region, creating=False)
    changed = _apply(contact, cleaned, region)
    if not changed:
        return contact
    contact.last_activity_at = timezone.now()
    contact.save()
    _extract_contact_fields(contact, set(changed), region)
    audit_record(
        actor=actor,
        action="contact.update",
        object_type="contact",
        object_id=str(contact.public_id),
        field_groups=groups_touched(changed),
        details={"fields": sorted(changed)},
    )
    return contact


def _move(contact: Contact, target: Status) -> str:
    current = contact.status
    if current == target.value:
        return current
    if not can_move(current, target.value):
        raise ApplicationError(
            _("A contact that is %(current)s cannot become %(target)s.")
            % {
                "current": contact.get_status_display(),
                "target": dict(Contact._meta.get_field("status").choices or [])[target.value],
            },  # type: ignore[arg-type]
            code="invalid_transition",
            status=409,
        )
    contact.status = target.value
    now = timezone.now()
    if target == Status.CLAIMED:
        contact.claimed_at = now
    if target == Status.CLOSED:
        contact.closed_at = now
    elif current == Status.CLOSED.value:
        contact.closed_at = None
    if target == Status.NEW:
        contact.assigned_to = None
        contact.claimed_at = None
    return current


def _colleague(actor: Actor, user_id: Any) -> User:
    """A member of the actor's organisation whose role may work on contacts; else invalid."""
    message = _("Choose a colleague of your organisation who works on contacts.")
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise invalid({"user": [message]}) from None
    if not 0 < pk < 2**63:
        raise invalid({"user": [message]})
    memberships = Membership.objects.filter(
        organisation=actor.organisation, user_id=pk, user__is_active=True
    ).select_related("user")
    for membership in memberships:
        if role_can(Role(membership.role), Perm.CONTACT_VIEW):
            return membership.user
    raise invalid({"user": [message]})


@transaction.atomic
def contact_assign(*, actor: Actor, contact: Contact, user_id: Any = None) -> Contact:
    """Give the contact to a colleague, or to the actor itself (a claim) when no one is named.

    A new contact becomes claimed; one in progress stays so. Audited as contact.claimed or
    contact.assigned.
    """
    require_permission(actor, Perm.CONTACT_VIEW)
    require_permission(actor, Perm.CONTACT_CREATE)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    user = actor.user if user_id in (None, "") else _colleague(actor, user_id)
    if contact.status == Status.CLOSED.value:
        raise ApplicationError(
            _("This contact is closed. Reopen it before giving it to someone."),
            code="invalid_transition",
            status=409,
        )
    previous = contact.assigned_to_id
    if contact.status == Status.NEW.value:
        _move(contact, Status.CLAIMED)
    contact.assigned_to = user
    contact.last_activity_at = timezone.now()
    contact.save()
    assert user is not None  # noqa: S101 - an actor with an organisation has a user
    claimed = user.pk == (actor.user.pk if actor.user else None)
    audit_record(
        actor=actor,
        action="contact.claimed" if claimed else "contact.assigned",
        object_type="contact",
        object_id=str(contact.public_id),
        details={"to_user": user.pk, "from_user": previous},
    )
    return contact


@transaction.atomic
def contact_set_status(*, actor: Actor, contact: Contact, status: Any) -> Contact:
    """Move the contact along its lifecycle (statuses.py); audited as contact.status."""
    require_permission(actor, Perm.CONTACT_CREATE)
    try:
        target = Status(status)
    except ValueError:
        raise invalid({"status": [_("Choose one of the listed options.")]}) from None
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    previous = _move(contact, target)
    if previous == target.value:
        return contact
    if target in (Status.CLAIMED, Status.IN_PROGRESS) and contact.assigned_to_id is None:
        contact.assigned_to = actor.user
    contact.last_activity_at = timezone.now()
    contact.save()
    audit_record(
        actor=actor,
        action="contact.status",
        object_type="contact",
        object_id=str(contact.public_id),
        details={"from": previous, "to": target.value},
    )
    return contact


def law_enforcement_organisations() -> list[Organisation]:
    """The organisations a contact may be escalated to."""
    return list(
        Organisation.objects.filter(
            org_type=OrganisationType.LAW_ENFORCEMENT, is_active=True
        ).order_by("country", "name")
    )


@transaction.atomic
def contact_escalate(*, actor: Actor, contact: Contact, data: dict[str, Any]) -> Escalation:
    """Pass a contact to law enforcement, recording the basis that allows it.

    The hotline reports to the authorities only with consent, or without it when a child may
    be harmed or someone is in imminent danger; the basis is required and recorded in the
    audit log (contact.escalated, with the basis and the receiving organisation).
    """
    if not actor.can(Perm.CONTACT_ESCALATE):
        raise Forbidden()
    cleaned = clean_escalation(data)
    try:
        key = public_key(cleaned["to_organisation"])
    except NotFound:
        key = None
    to_organisation = (
        Organisation.objects.filter(
            public_id=key, org_type=OrganisationType.LAW_ENFORCEMENT, is_active=True
        ).first()
        if key
        else None
    )
    if to_organisation is None:
        raise invalid({"to_organisation": [_("Choose one of the listed options.")]})
    escalation = Escalation.objects.create(
        contact=contact,
        to_organisation=to_organisation,
        basis=cleaned["basis"],
        note=cleaned.get("note"),
        escalated_by=actor.user,
    )
    Contact.objects.filter(pk=contact.pk).update(last_activity_at=timezone.now())
    audit_record(
        actor=actor,
        action="contact.escalated",
        object_type="contact",
        object_id=str(contact.public_id),
        field_groups=["narrative"] if cleaned.get("note") else [],
        details={"basis": cleaned["basis"], "to_organisation": str(to_organisation.public_id)},
    )
    return escalation


@transaction.atomic
def contact_link_person(
    *, actor: Actor, contact: Contact, person_id: Any, role: Any = None
) -> ContactPerson:
    """Link a person the actor may see to the contact; audited as contact.person_linked.

    The person goes through the people module's access check: a person the actor may not see
    is NotFound, exactly as on the person pages.
    """
    require_permission(actor, Perm.CONTACT_CREATE)
    if not isinstance(person_id, str):
        raise NotFound()
    person = person_for_actor(actor, person_id, "view")
    cleaned_role = clean_person_role(role)
    link, created = ContactPerson.objects.get_or_create(
        contact=contact, person=person, defaults={"role": cleaned_role, "linked_by": actor.user}
    )
    if created:
        audit_record(
            actor=actor,
            action="contact.person_linked",
            object_type="contact",
            object_id=str(contact.public_id),
            details={"person": str(person.public_id), "role": cleaned_role},
        )
    return link


# --- situations ----------------------------------------------------------------------------


def _touch(situation: Situation, *fields: str) -> None:
    situation.updated_at = timezone.now()
    situation.save(update_fields=["updated_at", *fields])


def _adopt_persons(situation: Situation, contact: Contact, actor: Actor) -> list[str]:
    """Link the contact's persons to the situation too; returns the public ids newly linked."""
    added = []
    for link in contact.person_links.select_related("person"):
        _link, created = SituationPerson.objects.get_or_create(
            situation=situation,
            person_id=link.person_id,
            defaults={"role": link.role, "linked_by": actor.user},
        )
        if created:
            added.append(str(link.person.public_id))
    return added


def _same_organisation(situation: Situation, contact: Contact) -> None:
    # Both come through the access layer already; a mismatch is a contact the situation's
    # organisation cannot see, so it is not found (never a hint).
    if situation.owner_organisation_id != contact.owner_organisation_id:
        raise NotFound()


@transaction.atomic
def situation_create(*, actor: Actor, contact: Contact, summary: Any = None) -> Situation:
    """Open a situation from a contact, which joins it with its linked persons.

    The caller gets `contact` through `access.contact_for_actor(actor, id, "change")`.
    Audited as situation.create (with the narrative group when a summary is given).
    """
    require_permission(actor, Perm.CONTACT_CREATE)
    text = clean_summary(summary)
    now = timezone.now()
    situation = Situation.objects.create(
        owner_organisation=contact.owner_organisation,
        summary=text,
        created_by=actor.user,
        updated_at=now,
    )
    previous = contact.situation
    contact.situation = situation
    contact.save(update_fields=["situation", "updated_at"])
    persons = _adopt_persons(situation, contact, actor)
    audit_record(
        actor=actor,
        action="situation.create",
        object_type="situation",
        object_id=str(situation.public_id),
        field_groups=["narrative"] if text else [],
        details={
            "contact": str(contact.public_id),
            "persons": persons,
            "left_situation": str(previous.public_id) if previous else None,
        },
    )
    return situation


@transaction.atomic
def situation_update(*, actor: Actor, situation: Situation, summary: Any) -> Situation:
    """Change a situation's summary; audited as situation.update (narrative group)."""
    require_permission(actor, Perm.CONTACT_CREATE)
    text = clean_summary(summary)
    if text == situation.summary:
        return situation
    situation.summary = text
    _touch(situation, "summary")
    audit_record(
        actor=actor,
        action="situation.update",
        object_type="situation",
        object_id=str(situation.public_id),
        field_groups=["narrative"],
        details={"fields": ["summary"]},
    )
    return situation


@transaction.atomic
def situation_set_status(*, actor: Actor, situation: Situation, status: Any) -> Situation:
    """Close or reopen a situation (statuses.py); audited as situation.status."""
    require_permission(actor, Perm.CONTACT_CREATE)
    try:
        target = SituationStatus(status)
    except ValueError:
        raise invalid({"status": [_("Choose one of the listed options.")]}) from None
    situation = Situation.objects.select_for_update().get(pk=situation.pk)
    current = situation.status
    if current == target.value:
        return situation
    if not situation_can_move(current, target.value):
        raise ApplicationError(
            _("This situation cannot change to that status."),
            code="invalid_transition",
            status=409,
        )
    situation.status = target.value
    situation.closed_at = timezone.now() if target == SituationStatus.CLOSED else None
    _touch(situation, "status", "closed_at")
    audit_record(
        actor=actor,
        action="situation.status",
        object_type="situation",
        object_id=str(situation.public_id),
        details={"from": current, "to": target.value},
    )
    return situation


@transaction.atomic
def situation_add_contact(*, actor: Actor, situation: Situation, contact: Contact) -> Situation:
    """Add a contact (and its linked persons) to a situation of the same organisation.

    A contact belongs to one situation at most: adding it here takes it out of another.
    Audited as situation.contact_added.
    """
    require_permission(actor, Perm.CONTACT_CREATE)
    _same_organisation(situation, contact)
    if contact.situation_id == situation.pk:
        return situation
    previous = contact.situation
    contact.situation = situation
    contact.save(update_fields=["situation", "updated_at"])
    persons = _adopt_persons(situation, contact, actor)
    _touch(situation)
    audit_record(
        actor=actor,
        action="situation.contact_added",
        object_type="situation",
        object_id=str(situation.public_id),
        details={
            "contact": str(contact.public_id),
            "persons": persons,
            "left_situation": str(previous.public_id) if previous else None,
        },
    )
    return situation


@transaction.atomic
def situation_remove_contact(*, actor: Actor, situation: Situation, contact: Contact) -> Situation:
    """Take a contact out of the situation (the persons it brought stay linked: unlink them
    one by one if they do not belong). Audited as situation.contact_removed."""
    require_permission(actor, Perm.CONTACT_CREATE)
    _same_organisation(situation, contact)
    if contact.situation_id != situation.pk:
        raise invalid({"contact": [_("This contact is not part of this situation.")]})
    contact.situation = None
    contact.save(update_fields=["situation", "updated_at"])
    _touch(situation)
    audit_record(
        actor=actor,
        action="situation.contact_removed",
        object_type="situation",
        object_id=str(situation.public_id),
        details={"contact": str(contact.public_id)},
    )
    return situation


@transaction.atomic
def situation_link_person(
    *, actor: Actor, situation: Situation, person_id: Any, role: Any = None
) -> SituationPerson:
    """Link a person the actor may see to the situation; audited as situation.person_linked.

    The person goes through the people module's access check: one the actor may not see is
    NotFound, exactly as on the person pages. Linking again changes nothing (not even the
    role: unlink first to change it).
    """
    require_permission(actor, Perm.CONTACT_CREATE)
    if not isinstance(person_id, str):
        raise NotFound()
    person = person_for_actor(actor, person_id, "view")
    cleaned_role = clean_person_role(role)
    link, created = SituationPerson.objects.get_or_create(
        situation=situation,
        person=person,
        defaults={"role": cleaned_role, "linked_by": actor.user},
    )
    if created:
        _touch(situation)
        audit_record(
            actor=actor,
            action="situation.person_linked",
            object_type="situation",
            object_id=str(situation.public_id),
            details={"person": str(person.public_id), "role": cleaned_role},
        )
    return link


@transaction.atomic
def situation_unlink_person(*, actor: Actor, situation: Situation, person_id: Any) -> None:
    """Remove a person from the situation (by the person's public id among its links);
    audited as situation.person_unlinked. The person record itself is untouched."""
    require_permission(actor, Perm.CONTACT_CREATE)
    try:
        key = public_key(person_id)
    except NotFound:
        raise invalid({"person": [_("This person is not linked to this situation.")]}) from None
    link = situation.person_links.filter(person__public_id=key).first()
    if link is None:
        raise invalid({"person": [_("This person is not linked to this situation.")]})
    role = link.role
    link.delete()
    _touch(situation)
    audit_record(
        actor=actor,
        action="situation.person_unlinked",
        object_type="situation",
        object_id=str(situation.public_id),
        details={"person": str(key), "role": role},
    )


# --- campaigns -----------------------------------------------------------------------------


def _campaign_conflicts(
    organisation: Organisation, cleaned: dict[str, Any], campaign: Campaign | None
) -> dict[str, list[str]]:
    """What would make attribution ambiguous: a name, number or code already taken, or a
    second campaign for the public tip form."""
    others = Campaign.objects.exclude(pk=campaign.pk) if campaign else Campaign.objects.all()
    errors: dict[str, list[str]] = {}
    name = cleaned.get("name")
    if name and others.filter(owner_organisation=organisation, name__iexact=name).exists():
        errors["name"] = [_("Your organisation already has a campaign of that name.")]
    numbers = set(cleaned.get("numbers") or [])
    if numbers:
        digits = {"".join(c for c in n if c.isdigit()) for n in numbers}
        for other in others.filter(owner_organisation=organisation, active=True):
            taken = {"".join(c for c in str(n) if c.isdigit()) for n in other.numbers}
            if digits & taken:
                errors["numbers"] = [
                    _("A number is already published by the campaign “%(name)s”.")
                    % {"name": other.name}
                ]
                break
    codes = set(cleaned.get("codes") or [])
    if codes:
        # Codes are looked up across every organisation (a tip names no organisation).
        for other in others.filter(active=True).only("codes", "name", "owner_organisation"):
            if codes & {str(c).upper() for c in other.codes}:
                errors["codes"] = [_("A code is already used by another campaign.")]
                break
    if cleaned.get("receives_web_tips") and others.filter(receives_web_tips=True).exists():
        errors["receives_web_tips"] = [
            _(
                "Another campaign already receives the public tip form; only one may. "
                "Clear it there first."
            )
        ]
    return errors


def _campaign_audit_details(campaign: Campaign) -> dict[str, Any]:
    # Campaigns are published facts (numbers on posters), not personal data.
    return {
        "name": campaign.name,
        "numbers": list(campaign.numbers),
        "codes": list(campaign.codes),
        "web_tips": campaign.receives_web_tips,
        "active": campaign.active,
    }


@transaction.atomic
def campaign_create(*, actor: Actor, data: dict[str, Any]) -> Campaign:
    """A campaign of the actor's organisation: the numbers, codes and posters contacts come
    through, for attribution and the statistics. Audited as campaign.create."""
    if not may_manage_campaigns(actor):
        raise Forbidden()
    assert actor.organisation is not None  # noqa: S101 - may_manage_campaigns checked it
    cleaned = clean_campaign_input(data, creating=True)
    conflicts = _campaign_conflicts(actor.organisation, cleaned, None)
    if conflicts:
        raise invalid(conflicts)
    campaign = Campaign(owner_organisation=actor.organisation, **cleaned)
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError:  # a concurrent create took the name or the tip form
        raise invalid(
            _campaign_conflicts(actor.organisation, cleaned, None)
            or {"name": [_("Your organisation already has a campaign of that name.")]}
        ) from None
    audit_record(
        actor=actor,
        action="campaign.create",
        object_type="campaign",
        object_id=str(campaign.public_id),
        details=_campaign_audit_details(campaign),
    )
    return campaign


@transaction.atomic
def campaign_update(*, actor: Actor, campaign: Campaign, data: dict[str, Any]) -> Campaign:
    """Change a campaign's fields; audited as campaign.update with what changed.

    The caller gets `campaign` through `access.campaign_for_actor`.
    """
    if not may_manage_campaigns(actor):
        raise Forbidden()
    current = {"starts_on": campaign.starts_on, "ends_on": campaign.ends_on}
    cleaned = clean_campaign_input(data, creating=False, current=current)
    changed = {k: v for k, v in cleaned.items() if getattr(campaign, k) != v}
    if not changed:
        return campaign
    conflicts = _campaign_conflicts(campaign.owner_organisation, changed, campaign)
    if conflicts:
        raise invalid(conflicts)
    for name, value in changed.items():
        setattr(campaign, name, value)
    try:
        with transaction.atomic():
            campaign.save(update_fields=list(changed))
    except IntegrityError:
        raise invalid(
            _campaign_conflicts(campaign.owner_organisation, changed, campaign)
            or {"name": [_("Your organisation already has a campaign of that name.")]}
        ) from None
    audit_record(
        actor=actor,
        action="campaign.update",
        object_type="campaign",
        object_id=str(campaign.public_id),
        details={"fields": sorted(changed), **_campaign_audit_details(campaign)},
    )
    return campaign


@transaction.atomic
def campaign_set_active(*, actor: Actor, campaign: Campaign, active: bool) -> Campaign:
    """Deactivate a campaign (contacts are no longer attributed to it, and a tip-form
    campaign closes the form) or activate it again; audited as campaign.deactivate or
    campaign.activate. Its contacts keep their attribution either way."""
    if not may_manage_campaigns(actor):
        raise Forbidden()
    if campaign.active == active:
        return campaign
    if active:
        conflicts = _campaign_conflicts(
            campaign.owner_organisation,
            {"numbers": campaign.numbers, "codes": campaign.codes},
            campaign,
        )
        if conflicts:
            raise invalid(conflicts)
    campaign.active = active
    campaign.save(update_fields=["active"])
    audit_record(
        actor=actor,
        action="campaign.activate" if active else "campaign.deactivate",
        object_type="campaign",
        object_id=str(campaign.public_id),
        details=_campaign_audit_details(campaign),
    )
    return campaign


# --- drafts of the quick contact form --------------------------------------------------------

DRAFT_FIELDS = CONTACT_FIELDS


def draft_save(*, actor: Actor, data: dict[str, Any]) -> ContactDraft:
    """Keep what the operator has typed so far (nothing is validated: it is a draft).

    Not audited: the draft is the operator's own text, seen by nobody else, and it is
    discarded once the contact is saved.
    """
    require_permission(actor, Perm.CONTACT_CREATE)
    kept = {
        name: value[: MAX_LENGTHS.get(name, 200)]
        for name, value in data.items()
        if name in DRAFT_FIELDS and isinstance(value, str)
    }
    draft, _created = ContactDraft.objects.update_or_create(
        user=actor.user, organisation=actor.organisation, defaults={"data": json.dumps(kept)}
    )
    return draft


def draft_load(*, actor: Actor) -> dict[str, str]:
    draft = ContactDraft.objects.filter(user=actor.user, organisation=actor.organisation).first()
    if draft is None or not draft.data:
        return {}
    try:
        data = json.loads(draft.data)
    except ValueError:
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def draft_clear(*, actor: Actor) -> None:
    ContactDraft.objects.filter(user=actor.user, organisation=actor.organisation).delete()


def _travel_alert_narrative(alert: Any) -> str:
    """The alert's snapshot, in words an operator reads at a glance (no raw JSON)."""
    try:
        snapshot = json.loads(alert.snapshot_text or "{}")
    except ValueError:
        snapshot = {}
    traveller = snapshot.get("traveller", {})
    trip = snapshot.get("trip", {})
    access = snapshot.get("last_access", {})
    lines = [
        _("Safe-travel alert (%(kind)s) for traveller %(reference)s.")
        % {"kind": alert.get_kind_display(), "reference": traveller.get("reference", "")},
        _("Name: %(name)s · phone: %(phone)s · email: %(email)s")
        % {k: traveller.get(k) or "—" for k in ("name", "phone", "email")},
        _("Trip to %(city)s, %(country)s; employer: %(employer)s; recruiter: %(recruiter)s")
        % {
            "city": trip.get("destination_city") or "—",
            "country": trip.get("destination_country") or "—",
            "employer": trip.get("employer") or "—",
            "recruiter": trip.get("recruiter") or "—",
        },
        _("Last known access: %(ip)s (%(city)s, %(country)s) at %(time)s")
        % {
            "ip": access.get("ip") or "—",
            "city": access.get("city") or "—",
            "country": access.get("country") or "—",
            "time": access.get("at") or "—",
        },
    ]
    if alert.is_test:
        lines.insert(0, _("[TEST] This is a test alert."))
    return "\n".join(lines)


@transaction.atomic
def contact_open_from_travel_alert(*, alert: Any) -> Contact | None:
    """Open a crisis contact at the top of the hotline's queue for an urgent travel alert.

    Called by the safe-travel module after the alert commits. Idempotent: one contact per
    alert. An alert with no hotline organisation stays in the safe-travel queue only.
    """
    if alert.organisation_id is None:
        return None
    existing = Contact.objects.filter(travel_alert=alert).first()
    if existing is not None:
        return existing
    now = timezone.now()
    contact = Contact(
        owner_organisation_id=alert.organisation_id,
        channel=ContactChannel.SAFE_TRAVEL,
        caller_type=CallerType.PERSON_CONCERNED,
        category=Category.CRISIS,
        urgency=Urgency.IMMEDIATE,
        narrative=_travel_alert_narrative(alert),
        received_at=now,
        last_activity_at=now,
        travel_alert=alert,
    )
    contact.save()
    audit_record(
        actor=Actor.system("safe-travel hand-off", purpose="assistance"),
        action="contact.create",
        object_type="contact",
        object_id=str(contact.public_id),
        field_groups={"narrative"},
        details={"channel": contact.channel, "category": contact.category, "from": "travel_alert"},
        subject_organisation=contact.owner_organisation,
    )
    return contact
