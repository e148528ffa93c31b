"""Review: a supervisor (or the competent authority) confirms or overrides, with reasons."""

from __future__ import annotations

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation, OrganisationType
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.people import services as people_services
from palermo.people.models import Person
from palermo.screening.decisions import ORGANISATION_TYPE_DECISION_MAKER, trafficking_status
from palermo.screening.models import Screening, ScreeningReview, ScreeningStatus, VictimStatus
from palermo.testing import OrganisationFactory, actor_for, member, signed_in_client

from .records import NOT_INDICATED, completed, snapshot, started

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_instrument")]


def review_url(screening: Screening) -> str:
    return f"/screening/{screening.public_id}/review/"


def person_of(membership: Membership) -> Person:
    return people_services.person_create(
        actor=actor_for(membership), data={"first_name": "Olena", "birthdate": "1999-04-02"}
    )


def test_every_organisation_type_maps_to_an_htcds_decision_maker() -> None:
    assert set(ORGANISATION_TYPE_DECISION_MAKER) == set(OrganisationType.values)
    assert (
        trafficking_status("presumed_trafficked", formal_identification=False)
        == "PossibleVictimOfTrafficking"
    )
    assert (
        trafficking_status("presumed_trafficked", formal_identification=True)
        == "ActualVictimOfTrafficking"
    )
    assert (
        trafficking_status("not_indicated", formal_identification=False)
        == "NotAVictimOfTrafficking"
    )
    assert trafficking_status("insufficient_information", formal_identification=True) is None


def test_a_supervisor_confirms_and_the_persons_status_follows(
    supervisor_client: Client, supervisor_a: Membership, responder_a: Membership
) -> None:
    person = person_of(responder_a)
    screening = completed(responder_a, person_id=str(person.public_id))
    page = supervisor_client.get(f"/screening/{screening.public_id}/").content.decode()
    assert 'id="review-form"' in page
    assert screening.reference in supervisor_client.get("/screening/reviews/").content.decode()
    response = supervisor_client.post(
        review_url(screening), {"decision": "confirm", "reason": "Consistent account."}
    )
    assert response.status_code == 302
    screening.refresh_from_db()
    assert screening.status == ScreeningStatus.REVIEWED
    assert screening.reviewed_outcome == "presumed_trafficked"
    status = VictimStatus.objects.get(person=person)
    assert status.trafficking_status == "PossibleVictimOfTrafficking"
    assert status.decision_making_org == "NGO"
    assert status.decided_by_organisation == supervisor_a.organisation
    event = AuditEvent.objects.get(action="screening.review")
    assert event.details["decision"] == "confirm"
    assert "Consistent" not in str(event.details)
    page = supervisor_client.get(f"/screening/{screening.public_id}/").content.decode()
    assert 'data-status="PossibleVictimOfTrafficking"' in page


def test_an_override_is_audited_with_both_outcomes(
    supervisor_client: Client, responder_a: Membership
) -> None:
    person = person_of(responder_a)
    screening = completed(responder_a, NOT_INDICATED, person_id=str(person.public_id))
    assert screening.outcome == "not_indicated"
    response = supervisor_client.post(
        review_url(screening),
        {"decision": "override", "outcome": "presumed_trafficked", "reason": "Bruises; fear."},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="screening.review")
    assert event.details["decision"] == "override"
    assert event.details["original_outcome"] == "not_indicated"
    assert event.details["outcome"] == "presumed_trafficked"
    assert event.details["trafficking_status"] == "PossibleVictimOfTrafficking"
    review = ScreeningReview.objects.get()
    assert review.reason == "Bruises; fear."
    assert (
        VictimStatus.objects.get(person=person).trafficking_status == "PossibleVictimOfTrafficking"
    )
    page = supervisor_client.get(f"/screening/{screening.public_id}/").content.decode()
    assert 'data-outcome="presumed_trafficked"' in page and "a reviewer changed it" in page


def test_the_competent_authority_identifies_formally(responder_a: Membership) -> None:
    person = person_of(responder_a)
    screening = completed(responder_a, person_id=str(person.public_id))
    ministry = OrganisationFactory(org_type=OrganisationType.CENTRAL_GOVERNMENT, country="MD")
    authority = member(Role.COMPETENT_AUTHORITY, ministry)
    client = signed_in_client(authority)
    # Not assigned: the screening does not exist for it.
    assert (
        client.post(review_url(screening), {"decision": "confirm", "reason": "x"}).status_code
        == 404
    )
    person.assigned_users.add(authority.user)
    assert client.get("/screening/reviews/").status_code == 200
    response = client.post(
        review_url(screening), {"decision": "confirm", "reason": "Decision 4/2026."}
    )
    assert response.status_code == 302
    status = VictimStatus.objects.get(person=person)
    assert status.trafficking_status == "ActualVictimOfTrafficking"
    assert status.decision_making_org == "NonPoliceGovernmentalOrganization"


def test_a_review_before_registration_applies_when_the_person_is_registered(
    supervisor_client: Client, client_a: Client, responder_a: Membership
) -> None:
    screening = completed(responder_a, NOT_INDICATED)
    supervisor_client.post(review_url(screening), {"decision": "confirm", "reason": "No signs."})
    assert not VictimStatus.objects.exists()
    client_a.post(
        f"/screening/{screening.public_id}/register/",
        {"first_name": "Maria", "action": "create"},
    )
    assert VictimStatus.objects.get().trafficking_status == "NotAVictimOfTrafficking"


def test_insufficient_information_sets_no_status(
    supervisor_client: Client, responder_a: Membership
) -> None:
    person = person_of(responder_a)
    screening = completed(responder_a, {}, person_id=str(person.public_id))
    assert screening.outcome == "insufficient_information"
    supervisor_client.post(review_url(screening), {"decision": "confirm", "reason": "Too early."})
    assert not VictimStatus.objects.exists()


def test_bad_reviews_are_refused_and_change_nothing(
    supervisor_client: Client,
    supervisor_a: Membership,
    responder_a: Membership,
    org_a: Organisation,
) -> None:
    screening = completed(responder_a)
    before = snapshot()
    for data in (
        {"decision": "confirm", "reason": ""},
        {"decision": "approve", "reason": "x"},
        {"decision": "override", "reason": "x"},
        {"decision": "override", "outcome": "guilty", "reason": "x"},
        {"decision": "override", "outcome": "presumed_trafficked", "reason": "same outcome"},
        {"decision": "confirm", "reason": "x" * 2001},
    ):
        response = supervisor_client.post(review_url(screening), data)
        assert response.status_code == 400, data
        assert 'class="field-error"' in response.content.decode(), data
        current = snapshot()
        assert current[:5] == before[:5]  # the page shown again is a read, nothing else
    # The interviewer does not review their own screening; a responder may not review at all.
    own = completed(supervisor_a)
    assert (
        supervisor_client.post(review_url(own), {"decision": "confirm", "reason": "x"}).status_code
        == 403
    )
    responder = signed_in_client(member(Role.FIRST_RESPONDER, org_a))
    assert (
        responder.post(review_url(screening), {"decision": "confirm", "reason": "x"}).status_code
        == 403
    )
    draft = started(responder_a)
    assert (
        supervisor_client.post(
            review_url(draft), {"decision": "confirm", "reason": "x"}
        ).status_code
        == 409
    )
    assert not ScreeningReview.objects.exists()
