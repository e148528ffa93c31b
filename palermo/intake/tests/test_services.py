"""Contacts through the services: creation, extraction, claim, assign, statuses, escalation."""

from __future__ import annotations

import pytest

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.errors import ApplicationError, Forbidden, NotFound
from palermo.intake import services
from palermo.intake.access import contact_for_actor
from palermo.intake.models import Contact, Identifier
from palermo.people.services import person_create
from palermo.testing import actor_for, member
from palermo.vault.blind_index import normalise_phone
from palermo.vault.fields import blind_index

from .records import audit_actions, record, snapshot

pytestmark = pytest.mark.django_db


def test_a_contact_is_stored_encrypted_with_its_identifiers(operator: Membership) -> None:
    contact = record(operator)
    assert contact.owner_organisation == operator.organisation
    assert contact.status == "new" and contact.category == "tip"
    kinds = sorted(Identifier.objects.filter(contact=contact).values_list("kind", flat=True))
    assert kinds == ["email", "phone", "place", "plate"]
    phone = Identifier.objects.get(contact=contact, kind="phone")
    assert phone.value == "+37369123456"
    # The same blind index as a person's phone: linkage without decrypting.
    assert phone.value_index == blind_index("phone", normalise_phone("+373 69 123 456"))
    assert contact.bidx_reporter_phone == blind_index("phone", "+37379555123")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT narrative, reporter_phone FROM intake_contact")
        narrative, reporter_phone = cursor.fetchone()
    assert narrative.startswith("pv1:") and "ABC" not in narrative
    assert reporter_phone.startswith("pv1:")
    event = AuditEvent.objects.filter(action="contact.create").get()
    assert event.object_id == str(contact.public_id)
    assert "069" not in str(event.details)


def test_changing_the_narrative_replaces_its_identifiers(operator: Membership) -> None:
    contact = record(operator)
    services.contact_update(
        actor=actor_for(operator), contact=contact, data={"narrative": "Call +40 722 123 456"}
    )
    values = list(Identifier.objects.filter(contact=contact).values_list("kind", "value"))
    assert values == [("phone", "+40722123456")]
    assert audit_actions()[-1] == "contact.update"


def test_bad_input_changes_nothing(operator: Membership) -> None:
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        record(
            operator,
            channel="pigeon",
            urgency=9,
            language="klingon",
            reporter_phone="call me",
            reporter_email="not-an-email",
            narrative="x" * 20001,
            colour="blue",
        )
    assert set(refused.value.fields) == {
        "channel",
        "urgency",
        "language",
        "reporter_phone",
        "reporter_email",
        "narrative",
        "colour",
    }
    assert snapshot() == before


def test_roles_that_may_not_record_contacts_are_refused(hotline: Organisation) -> None:
    researcher = member(Role.RESEARCHER, hotline)
    with pytest.raises(Forbidden):
        record(researcher)
    assert Contact.objects.count() == 0


def test_claim_assign_and_move_along_the_lifecycle(
    operator: Membership, colleague: Membership
) -> None:
    actor = actor_for(operator)
    contact = record(operator)
    services.contact_assign(actor=actor, contact=contact)
    contact.refresh_from_db()
    assert (contact.status, contact.assigned_to) == ("claimed", operator.user)
    services.contact_assign(actor=actor, contact=contact, user_id=colleague.user.pk)
    contact.refresh_from_db()
    assert contact.assigned_to == colleague.user
    services.contact_set_status(actor=actor, contact=contact, status="in_progress")
    services.contact_set_status(actor=actor, contact=contact, status="closed")
    contact.refresh_from_db()
    assert contact.status == "closed" and contact.closed_at is not None
    with pytest.raises(ApplicationError) as refused:
        services.contact_set_status(actor=actor, contact=contact, status="claimed")
    assert refused.value.status == 409
    assert audit_actions()[-5:] == [
        "contact.create",
        "contact.claimed",
        "contact.assigned",
        "contact.status",
        "contact.status",
    ]


def test_a_contact_goes_only_to_colleagues_who_work_on_contacts(
    operator: Membership, outsider: Membership, hotline: Organisation
) -> None:
    contact = record(operator)
    researcher = member(Role.RESEARCHER, hotline)
    before = snapshot()
    for user_id in (outsider.user.pk, researcher.user.pk, "x", -1, 2**70):
        with pytest.raises(ApplicationError) as refused:
            services.contact_assign(actor=actor_for(operator), contact=contact, user_id=user_id)
        assert "user" in refused.value.fields
    assert snapshot() == before


def test_other_organisations_never_see_a_contact(
    operator: Membership, outsider: Membership
) -> None:
    contact = record(operator)
    for action in ("view", "change", "escalate"):
        with pytest.raises(NotFound):
            contact_for_actor(actor_for(outsider), contact.public_id, action)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        contact_for_actor(actor_for(operator), "not-a-uuid")


def test_escalation_requires_and_records_its_basis(
    operator: Membership, police: Organisation, other_org: Organisation
) -> None:
    actor = actor_for(operator)
    contact = record(operator)
    before = snapshot()
    for data, field in (
        ({"to_organisation": str(police.public_id)}, "basis"),
        ({"basis": "curiosity", "to_organisation": str(police.public_id)}, "basis"),
        ({"basis": "consent"}, "to_organisation"),
        # Only law enforcement receives escalations.
        ({"basis": "consent", "to_organisation": str(other_org.public_id)}, "to_organisation"),
    ):
        with pytest.raises(ApplicationError) as refused:
            services.contact_escalate(actor=actor, contact=contact, data=data)
        assert field in refused.value.fields
    assert snapshot() == before
    services.contact_escalate(
        actor=actor,
        contact=contact,
        data={"basis": "child", "to_organisation": str(police.public_id), "note": "Age 15."},
    )
    event = AuditEvent.objects.filter(action="contact.escalated").get()
    assert event.details == {"basis": "child", "to_organisation": str(police.public_id)}
    assert event.object_id == str(contact.public_id)


def test_roles_without_the_escalation_permission_cannot_escalate(
    hotline: Organisation, operator: Membership, police: Organisation
) -> None:
    contact = record(operator)
    case_worker = member(Role.CASE_WORKER, hotline)  # sees contacts, may not escalate
    with pytest.raises(Forbidden):
        contact_for_actor(actor_for(case_worker), contact.public_id, "escalate")
    with pytest.raises(Forbidden):
        services.contact_escalate(
            actor=actor_for(case_worker),
            contact=contact,
            data={"basis": "consent", "to_organisation": str(police.public_id)},
        )


def test_persons_are_linked_through_the_people_access_checks(
    operator: Membership, outsider: Membership
) -> None:
    contact = record(operator)
    mine = person_create(actor=actor_for(operator), data={"first_name": "Ana"})
    theirs = person_create(actor=actor_for(outsider), data={"first_name": "Ion"})
    services.contact_link_person(
        actor=actor_for(operator), contact=contact, person_id=str(mine.public_id)
    )
    with pytest.raises(NotFound):
        services.contact_link_person(
            actor=actor_for(operator), contact=contact, person_id=str(theirs.public_id)
        )
    assert list(contact.persons.all()) == [mine]
    situation = services.situation_create(actor=actor_for(operator), contact=contact, summary="Bus")
    assert list(situation.persons.all()) == [mine]
    second = record(operator, narrative="Another call about the same bus.")
    services.situation_add_contact(actor=actor_for(operator), situation=situation, contact=second)
    assert set(situation.contacts.all()) == {contact, second}


def test_the_draft_keeps_what_was_typed(operator: Membership) -> None:
    actor = actor_for(operator)
    services.draft_save(actor=actor, data={"narrative": "Half a sentence", "evil": "x"})
    assert services.draft_load(actor=actor) == {"narrative": "Half a sentence"}
    services.draft_clear(actor=actor)
    assert services.draft_load(actor=actor) == {}
