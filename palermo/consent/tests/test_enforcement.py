"""Consent enforced by the access layer: what pages and the API show for each purpose."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.consent import services
from palermo.people import selectors as people_selectors
from palermo.people.models import Person
from palermo.testing import actor_for, member, signed_in_client

pytestmark = pytest.mark.django_db


def record(membership: Membership, person: Person, decisions: dict[str, str], **extra: Any):
    data = {"language": "ro", "given_by": "person", "decisions": decisions, **extra}
    return services.consent_record(actor=actor_for(membership), person=person, data=data)


def legal_basis(membership: Membership, person: Person, **extra: Any):
    data = {
        "purpose": "law_enforcement",
        "kind": "court_order",
        "reference": "Court of Chișinău, order 12/2026",
        "reason": "Investigation of the recruiter.",
        **extra,
    }
    return services.legal_basis_record(actor=actor_for(membership), person=person, data=data)


def refused_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="person.read_refused").order_by("sequence"))


def test_an_investigator_without_consent_sees_a_reference_and_the_attempt_is_audited(
    investigator_client: Client, investigator: Membership, adult: Person
) -> None:
    page = investigator_client.get(f"/people/{adult.public_id}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert adult.reference in body
    assert "Олена" not in body and "+37369123456" not in body
    assert "consent, or a recorded legal basis, does not cover your purpose" in body
    event = refused_events()[-1]
    assert event.actor == investigator.user
    assert event.purpose == "law_enforcement"
    assert event.object_id == str(adult.public_id)
    assert event.field_groups == ["identity"]  # the Person groups its role would have shown
    assert event.details == {"purpose": "law_enforcement", "basis": "not_covered"}
    # No read of personal data was recorded, because none was shown.
    assert not AuditEvent.objects.filter(action="person.read", actor=investigator.user).exists()

    api = investigator_client.get(f"/api/people/{adult.public_id}").json()
    assert api["visible_groups"] == [] and "first_name" not in api
    assert len(refused_events()) == 2
    listed = investigator_client.get("/api/people/").json()["results"]
    assert [p["reference"] for p in listed] == [adult.reference]
    assert "first_name" not in listed[0]
    assert refused_events()[-1].details["persons"] == [str(adult.public_id)]


def test_consent_for_law_enforcement_opens_the_record(
    investigator_client: Client, worker: Membership, adult: Person
) -> None:
    record(worker, adult, {"law_enforcement": "given"})
    data = investigator_client.get(f"/api/people/{adult.public_id}").json()
    assert data["first_name"] == "Олена"
    assert data["visible_groups"] == ["identity"]  # the investigator's role: no contact group
    assert not refused_events()
    # Withdrawn: closed again, and the history keeps both records.
    services.consent_withdraw(
        actor=actor_for(worker),
        person=adult,
        data={"purpose": "law_enforcement", "given_by": "person", "language": "ro"},
    )
    assert "first_name" not in investigator_client.get(f"/api/people/{adult.public_id}").json()
    assert adult.consent_records.count() == 2


def test_a_recorded_legal_basis_stands_in_for_consent(
    investigator_client: Client,
    supervisor: Membership,
    worker: Membership,
    adult: Person,
    police: Organisation,
) -> None:
    record(worker, adult, {"law_enforcement": "refused"})
    assert "first_name" not in investigator_client.get(f"/api/people/{adult.public_id}").json()
    basis = legal_basis(supervisor, adult, organisation=str(police.public_id))
    page = investigator_client.get(f"/people/{adult.public_id}/").content.decode()
    assert "Олена" in page
    event = AuditEvent.objects.get(action="consent.legal_basis_record")
    assert event.details["kind"] == "court_order"
    assert event.details["allows"] == str(police.public_id)
    assert "12/2026" not in str(event.details)  # the reference stays in the encrypted record
    services.legal_basis_revoke(
        actor=actor_for(supervisor), basis=basis, data={"reason": "Case closed."}
    )
    assert "first_name" not in investigator_client.get(f"/api/people/{adult.public_id}").json()


def test_an_expired_legal_basis_or_one_for_another_unit_does_not_count(
    investigator_client: Client, supervisor: Membership, adult: Person, ngo: Organisation
) -> None:
    legal_basis(supervisor, adult, organisation=str(ngo.public_id))
    assert "first_name" not in investigator_client.get(f"/api/people/{adult.public_id}").json()
    legal_basis(supervisor, adult)
    assert investigator_client.get(f"/api/people/{adult.public_id}").json()["first_name"]
    from palermo.consent.models import LegalBasis

    LegalBasis.objects.update(valid_until=datetime.date(2000, 1, 1))
    assert "first_name" not in investigator_client.get(f"/api/people/{adult.public_id}").json()


def test_an_adult_refusing_assistance_leaves_the_owner_the_identity_only(
    worker_client: Client, worker: Membership, adult: Person
) -> None:
    record(worker, adult, {"assistance": "refused"})
    data = worker_client.get(f"/api/people/{adult.public_id}").json()
    assert data["visible_groups"] == ["identity"]
    assert data["first_name"] == "Олена" and "mobile_phone" not in data
    event = refused_events()[-1]
    assert event.purpose == "assistance"
    assert set(event.field_groups) == {"contact", "location"}
    assert event.details["basis"] == "refused"
    # The edit form offers only what may be seen.
    form = worker_client.get(f"/people/{adult.public_id}/edit/").content.decode()
    assert 'name="first_name"' in form and 'name="mobile_phone"' not in form


def test_a_childs_best_interest_decision_keeps_assistance_going(
    worker_client: Client, worker: Membership, child: Person
) -> None:
    best_interest = {
        "given_by": "best_interest",
        "decided_by": "Child protection officer, Bălți",
        "reason": "The guardian travelled with the recruiter.",
    }
    record(worker, child, {"assistance": "given"}, **best_interest)
    record(
        worker, child, {"assistance": "refused"}, given_by="guardian", guardian_name="Mihai Rusu"
    )
    data = worker_client.get(f"/api/people/{child.public_id}").json()
    assert set(data["visible_groups"]) >= {"identity", "contact", "location"}
    assert not refused_events()


def test_a_provider_of_another_organisation_needs_a_referral_naming_it(
    worker: Membership, adult: Person
) -> None:
    clinic = member(Role.SERVICE_PROVIDER)
    adult.assigned_users.add(clinic.user)
    client = signed_in_client(clinic)
    assert "first_name" not in client.get(f"/api/people/{adult.public_id}").json()
    record(
        worker,
        adult,
        {"referral": "given"},
        referral_organisation=str(clinic.organisation.public_id),
    )
    data = client.get(f"/api/people/{adult.public_id}").json()
    assert data["first_name"] == "Олена" and data["mobile_phone"] == "+37369123456"


def test_the_list_costs_the_same_queries_with_consent(worker: Membership) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from palermo.people import services as people_services

    actor = actor_for(worker)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            people_selectors.person_list(actor=actor)
        return len(queries)

    for i in range(3):
        person = people_services.person_create(actor=actor, data={"first_name": f"A{i}"})
        record(worker, person, {"assistance": "given"})
    few = count()
    for i in range(6):
        person = people_services.person_create(actor=actor, data={"first_name": f"B{i}"})
        record(worker, person, {"assistance": "refused"})
    assert count() == few
