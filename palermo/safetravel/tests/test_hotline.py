"""The hotline's alerts queue: who sees it, what a read records, opening a person record, and the
hand-off signal and intake hook."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from palermo.accounts.models import Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.people.models import Person
from palermo.safetravel import hotline, services
from palermo.safetravel.models import TravelAlert, TravelAlertStatus
from palermo.safetravel.signals import travel_alert_created
from palermo.testing import OrganisationFactory, member, signed_in_client

from .factories import armed_trip
from .test_scheduler import minutes, tick

pytestmark = pytest.mark.django_db


@pytest.fixture
def hotline_org(settings: Any) -> Organisation:
    org: Organisation = OrganisationFactory(name="Drum Sigur Hotline", country="MD")
    settings.PALERMO_TRAVEL_HOTLINE_ORGANISATION = "Drum Sigur Hotline"
    return org


def urgent_alert(django_capture_on_commit_callbacks: Any) -> TravelAlert:
    trip = armed_trip()
    services.access_point_record(traveller=trip.traveller, ip="81.180.64.1", at=minutes(-60))
    with django_capture_on_commit_callbacks(execute=True):
        tick(minutes(361))
    return TravelAlert.objects.get()


def test_operator_sees_the_queue_and_the_trip_with_an_audited_read(
    hotline_org: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    alert = urgent_alert(django_capture_on_commit_callbacks)
    assert alert.organisation == hotline_org
    operator = member(Role.HOTLINE_OPERATOR, hotline_org)
    client = signed_in_client(operator)

    page = client.get("/travel/alerts/")
    assert page.status_code == 200
    text = page.content.decode()
    assert alert.reference in text and "Olena Kovalenko" in text

    detail = client.get(f"/travel/alerts/{alert.public_id}/")
    text = detail.content.decode()
    assert detail.status_code == 200
    for shown in (
        "Wrocław",
        "Agro Fields",
        "Fast Jobs Abroad",
        "81.180.64.1",
        "Chisinau",
        "+380671234567",
        "Contact 0",
    ):
        assert shown in text
    read = AuditEvent.objects.filter(action="travel_alert.read", object_id=str(alert.public_id))
    assert read.get().field_groups == ["contact", "identity", "location"]


def test_other_organisations_and_roles_get_404(
    hotline_org: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    alert = urgent_alert(django_capture_on_commit_callbacks)
    outsider = signed_in_client(member(Role.HOTLINE_OPERATOR, OrganisationFactory()))
    assert outsider.get(f"/travel/alerts/{alert.public_id}/").status_code == 404
    assert alert.reference not in outsider.get("/travel/alerts/").content.decode()
    responder = signed_in_client(member(Role.FIRST_RESPONDER, hotline_org))
    assert responder.get("/travel/alerts/").status_code == 404
    assert responder.get(f"/travel/alerts/{alert.public_id}/").status_code == 404
    assert Client().get("/travel/alerts/").status_code == 302  # to sign in
    assert not AuditEvent.objects.filter(action="travel_alert.read").exists()


def test_open_a_person_record_from_the_alert(
    hotline_org: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    alert = urgent_alert(django_capture_on_commit_callbacks)
    operator = member(Role.HOTLINE_OPERATOR, hotline_org)
    client = signed_in_client(operator)
    assert client.post(f"/travel/alerts/{alert.public_id}/acknowledge/").status_code == 302
    response = client.post(f"/travel/alerts/{alert.public_id}/open-person/")
    person = Person.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/people/{person.public_id}/"
    assert (person.first_name, person.second_name, person.mobile_phone) == (
        "Olena",
        "Kovalenko",
        "+380671234567",
    )
    assert person.owner_organisation == hotline_org
    alert.refresh_from_db()
    assert alert.person == person and alert.status == TravelAlertStatus.PERSON_OPENED
    # Doing it again opens nothing new.
    client.post(f"/travel/alerts/{alert.public_id}/open-person/")
    assert Person.objects.count() == 1
    assert client.post(f"/travel/alerts/{alert.public_id}/close/").status_code == 302
    alert.refresh_from_db()
    assert alert.status == TravelAlertStatus.CLOSED


def test_the_signal_and_the_intake_hook_receive_each_alert_once(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    received: list[TravelAlert] = []
    hooked: list[TravelAlert] = []

    def receiver(sender: Any, alert: TravelAlert, **kwargs: Any) -> None:
        received.append(alert)

    class Contact:
        reference = "C-12345678"

    def hook(*, alert: TravelAlert) -> Contact:
        hooked.append(alert)
        return Contact()

    monkeypatch.setattr(hotline, "_intake_hook", lambda: hook)
    travel_alert_created.connect(receiver)
    try:
        alert = urgent_alert(django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            tick(minutes(400))
    finally:
        travel_alert_created.disconnect(receiver)
    assert [a.pk for a in received] == [alert.pk] and [a.pk for a in hooked] == [alert.pk]
    alert.refresh_from_db()
    assert alert.intake_reference == "C-12345678"


def test_without_a_configured_hotline_every_allowed_role_sees_alerts(
    django_capture_on_commit_callbacks: Any,
) -> None:
    alert = urgent_alert(django_capture_on_commit_callbacks)
    assert alert.organisation is None
    supervisor = signed_in_client(member(Role.SUPERVISOR, OrganisationFactory()))
    assert supervisor.get(f"/travel/alerts/{alert.public_id}/").status_code == 200


def test_a_checkin_marks_the_alert_cleared(
    hotline_org: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    alert = urgent_alert(django_capture_on_commit_callbacks)
    assert alert.trip is not None
    services.checkin_record(trip=alert.trip, channel="web", pin_kind="normal", at=minutes(370))
    alert.refresh_from_db()
    assert alert.cleared_at == minutes(370)
    client = signed_in_client(member(Role.HOTLINE_OPERATOR, hotline_org))
    assert "checked in again" in client.get(f"/travel/alerts/{alert.public_id}/").content.decode()


def test_the_alerts_api(hotline_org: Organisation, django_capture_on_commit_callbacks: Any) -> None:
    alert = urgent_alert(django_capture_on_commit_callbacks)
    client = signed_in_client(member(Role.HOTLINE_OPERATOR, hotline_org))
    listing = client.get("/api/travel/alerts?status=open").json()
    assert listing["count"] == 1 and listing["results"][0]["reference"] == alert.reference
    detail = client.get(f"/api/travel/alerts/{alert.public_id}").json()
    assert detail["snapshot"]["trip"]["destination_city"] == "Wrocław"
    assert client.get("/api/travel/alerts?status=bogus").status_code == 400
    outsider = signed_in_client(member(Role.HOTLINE_OPERATOR, OrganisationFactory()))
    assert outsider.get(f"/api/travel/alerts/{alert.public_id}").status_code == 404
    responder = signed_in_client(member(Role.FIRST_RESPONDER, hotline_org))
    assert responder.get("/api/travel/alerts").status_code == 404


def test_an_urgent_alert_becomes_a_crisis_contact_at_the_top_of_the_intake_queue(
    hotline_org: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    """The real intake hook: one crisis contact per alert, in the hotline's own queue."""
    from palermo.intake.models import Contact

    alert = urgent_alert(django_capture_on_commit_callbacks)
    contact = Contact.objects.get()
    assert contact.travel_alert == alert and contact.owner_organisation == hotline_org
    assert contact.category == "crisis" and contact.urgency == 4
    assert "81.180.64.1" in (contact.narrative or "")
    alert.refresh_from_db()
    assert alert.intake_reference == contact.reference
    operator = member(Role.HOTLINE_OPERATOR, hotline_org)
    queue = signed_in_client(operator).get("/intake/").content.decode()
    assert contact.reference in queue
    # The hook is idempotent.
    from palermo.intake.services import contact_open_from_travel_alert

    assert contact_open_from_travel_alert(alert=alert) == contact
    assert Contact.objects.count() == 1
