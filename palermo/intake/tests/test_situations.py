"""Situations through the pages: the list (open first), one situation with its contacts and
persons, and the forms that open, change, close and reopen them and link what they group."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.intake import selectors, services
from palermo.intake.models import Contact, Situation, SituationPerson
from palermo.people.models import Person
from palermo.people.services import person_create
from palermo.testing import actor_for, member, signed_in_client

from .records import record

pytestmark = pytest.mark.django_db


def page(response: Any) -> str:
    return str(response.content.decode())


def person(membership: Membership, first_name: str, last_name: str = "Rusu") -> Person:
    return person_create(
        actor=actor_for(membership), data={"first_name": first_name, "second_name": last_name}
    )


def situation_of(membership: Membership, *, summary: str = "", **contact: Any) -> Situation:
    return services.situation_create(
        actor=actor_for(membership), contact=record(membership, **contact), summary=summary
    )


def situation_snapshot() -> tuple[Any, ...]:
    """Everything a refused situation form must leave alone."""
    return (
        tuple(
            Situation.objects.order_by("pk").values_list(
                "pk", "status", "summary", "updated_at", "closed_at"
            )
        ),
        tuple(Contact.objects.order_by("pk").values_list("pk", "situation_id")),
        tuple(SituationPerson.objects.order_by("pk").values_list("situation_id", "person_id")),
        AuditEvent.objects.count(),
    )


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


# --- opening one ------------------------------------------------------------------------------


def test_a_situation_is_opened_from_a_contact_by_its_reference(
    operator: Membership, operator_client: Client
) -> None:
    contact = record(operator, category="crisis")
    ana = person(operator, "Ana")
    services.contact_link_person(
        actor=actor_for(operator), contact=contact, person_id=str(ana.public_id)
    )
    listing = page(operator_client.get("/intake/situations/"))
    assert contact.reference in listing  # suggested: an open contact not in a situation yet

    response = operator_client.post(
        "/intake/situations/new/",
        {"contact": contact.reference.lower(), "summary": "Minibus ABC 123 at the border"},
    )
    situation = Situation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/intake/situations/{situation.public_id}/"
    contact.refresh_from_db()
    assert contact.situation == situation
    assert list(situation.persons.all()) == [ana]  # the contact's persons come along
    assert situation.status == "open" and situation.summary == "Minibus ABC 123 at the border"
    (created,) = events("situation.create")
    assert created.details["contact"] == str(contact.public_id)
    assert created.details["persons"] == [str(ana.public_id)]
    assert created.field_groups == ["narrative"]
    assert "ABC" not in str(created.details)  # the summary is never in the audit log


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"contact": "C-00000000"}, "contact", "Choose a contact of your organisation"),
        ({"contact": ""}, "contact", "Choose a contact of your organisation"),
        ({"contact": "not a reference at all"}, "contact", "Choose a contact"),
        ({"summary": "x" * 2001}, "summary", "Use at most 2000 characters"),
        ({"summary": "bell\x07"}, "summary", "control or invisible characters"),
    ],
)
def test_opening_with_bad_input_is_refused_and_changes_nothing(
    operator: Membership,
    operator_client: Client,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    contact = record(operator)
    form = {"contact": contact.reference, "summary": "", **data}
    before = situation_snapshot()
    response = operator_client.post("/intake/situations/new/", form)
    assert response.status_code == 400
    html = page(response)
    assert message in html
    assert f'id="id_new_{field}-error"' in html
    assert situation_snapshot() == before


def test_another_organisations_contact_cannot_be_used(
    operator_client: Client, outsider: Membership
) -> None:
    theirs = record(outsider)
    before = situation_snapshot()
    for given in (theirs.reference, str(theirs.public_id)):
        response = operator_client.post("/intake/situations/new/", {"contact": given})
        assert response.status_code == 400  # as if it did not exist: no hint
        assert situation_snapshot() == before


def test_the_contact_page_opens_a_situation_and_shows_the_way_to_it(
    operator: Membership, operator_client: Client
) -> None:
    contact = record(operator)
    response = operator_client.post(
        f"/intake/{contact.public_id}/situation/", {"situation": "", "next": "situation"}
    )
    situation = Situation.objects.get()
    assert response["Location"] == f"/intake/situations/{situation.public_id}/"
    html = page(operator_client.get(f"/intake/{contact.public_id}/"))
    assert f'href="/intake/situations/{situation.public_id}/"' in html
    # Another contact joins it by the situation's reference.
    second = record(operator)
    operator_client.post(
        f"/intake/{second.public_id}/situation/", {"situation": situation.reference}
    )
    second.refresh_from_db()
    assert second.situation == situation


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_open_situations_first_and_filters(
    operator: Membership, operator_client: Client
) -> None:
    closed = situation_of(operator)
    services.situation_set_status(actor=actor_for(operator), situation=closed, status="closed")
    crisis = situation_of(operator, category="crisis", urgency=4)
    quiet = situation_of(operator, category="tip", urgency=1)

    html = page(operator_client.get("/intake/situations/?show=all"))
    positions = [html.index(s.reference) for s in (quiet, crisis, closed)]
    assert positions == sorted(positions)  # open ones first, the latest change first
    assert "Immediate" in html and "Crisis" in html

    default = page(operator_client.get("/intake/situations/"))
    assert crisis.reference in default and closed.reference not in default
    only_closed = page(operator_client.get("/intake/situations/?show=closed"))
    assert closed.reference in only_closed and crisis.reference not in only_closed
    partial = page(
        operator_client.get(
            "/intake/situations/?show=closed", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="situations"
        )
    )
    assert partial.lstrip().startswith('<section id="situations"') and "<html" not in partial


def test_the_list_shows_no_personal_data_and_costs_constant_queries(
    operator: Membership, operator_client: Client
) -> None:
    situation_of(operator, summary="Secret summary words")
    with CaptureQueriesContext(connection) as few:
        html = page(operator_client.get("/intake/situations/"))
    for _ in range(8):
        situation_of(operator, summary="More")
    with CaptureQueriesContext(connection) as many:
        operator_client.get("/intake/situations/")
    assert len(many) == len(few)
    assert "Secret summary words" not in html
    assert not events("situation.read") and not events("person.list")


# --- one situation ------------------------------------------------------------------------------


def test_the_situation_page_shows_its_contacts_and_persons_and_audits_the_reads(
    operator: Membership, operator_client: Client
) -> None:
    situation = situation_of(
        operator, summary="Same employer", category="high_risk", urgency=3, channel="sms"
    )
    first = situation.contacts.get()
    ana = person(operator, "Ana", "Cojocaru")
    services.situation_link_person(
        actor=actor_for(operator), situation=situation, person_id=str(ana.public_id), role="suspect"
    )
    response = operator_client.get(f"/intake/situations/{situation.public_id}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = page(response)
    for expected in (
        first.reference,
        first.received_at.strftime("%Y-%m-%d %H:%M"),
        "SMS",
        "High risk",
        "High",
        "Same employer",
        "Ana Cojocaru",
        "Suspected exploiter",
    ):
        assert expected in html, expected
    (read,) = events("situation.read")
    assert read.object_id == str(situation.public_id) and read.field_groups == ["narrative"]
    (names,) = events("person.list")
    assert names.details["persons"] == [str(ana.public_id)]
    assert names.details["situation"] == str(situation.public_id)
    assert names.field_groups == ["identity"]


def test_a_linked_person_the_actor_cannot_see_shows_only_as_a_reference(
    operator: Membership, operator_client: Client, outsider: Membership
) -> None:
    situation = situation_of(operator)
    stranger = person(outsider, "Ion", "Secretescu")
    SituationPerson.objects.create(situation=situation, person=stranger)  # e.g. since moved
    html = page(operator_client.get(f"/intake/situations/{situation.public_id}/"))
    assert stranger.reference in html
    assert "Secretescu" not in html and f"/people/{stranger.public_id}/" not in html
    assert not events("person.list")  # no name shown: nothing read


def test_names_withheld_by_consent_show_as_references_and_the_refusal_is_audited(
    operator: Membership,
) -> None:
    situation = situation_of(operator)
    ana = person(operator, "Ana", "Cojocaru")
    services.situation_link_person(
        actor=actor_for(operator), situation=situation, person_id=str(ana.public_id)
    )
    base = actor_for(operator)
    researching = Actor(
        user=base.user, organisation=base.organisation, role=base.role, purpose="research"
    )
    view = selectors.situation_detail(actor=researching, public_id=situation.public_id)
    (entry,) = view.persons
    assert entry.visible and not entry.shows_name
    assert entry.display_name == ana.reference
    assert "display_name" not in view.as_dict()["persons"][0]
    assert not events("person.list")
    (refused,) = events("person.read_refused")
    assert refused.details["persons"] == [str(ana.public_id)]


def test_contacts_and_persons_are_linked_and_unlinked_and_the_status_changes(
    operator: Membership, operator_client: Client
) -> None:
    situation = situation_of(operator)
    first = situation.contacts.get()
    base = f"/intake/situations/{situation.public_id}"
    second = record(operator, narrative="Another call about the minibus.")
    ana = person(operator, "Ana")

    response = operator_client.post(f"{base}/contacts/", {"contact": second.reference})
    assert response.status_code == 302
    assert set(situation.contacts.all()) == {first, second}
    assert (
        operator_client.post(
            f"{base}/persons/", {"person": str(ana.public_id), "role": "reporter"}
        ).status_code
        == 302
    )
    assert situation.person_links.get().role == "reporter"
    assert operator_client.post(f"{base}/summary/", {"summary": "Minibus"}).status_code == 302
    assert operator_client.post(f"{base}/status/", {"status": "closed"}).status_code == 302
    situation.refresh_from_db()
    assert situation.status == "closed" and situation.closed_at is not None
    assert situation.summary == "Minibus"

    assert operator_client.post(f"{base}/contacts/{second.public_id}/remove/").status_code == 302
    assert operator_client.post(f"{base}/persons/{ana.public_id}/remove/").status_code == 302
    assert operator_client.post(f"{base}/status/", {"status": "open"}).status_code == 302
    situation.refresh_from_db()
    second.refresh_from_db()
    assert second.situation is None and not situation.person_links.exists()
    assert situation.status == "open" and situation.closed_at is None
    actions = [e.action for e in AuditEvent.objects.order_by("sequence")]
    for action in (
        "situation.contact_added",
        "situation.person_linked",
        "situation.update",
        "situation.status",
        "situation.contact_removed",
        "situation.person_unlinked",
    ):
        assert action in actions, action


@pytest.mark.parametrize(
    ("path", "data", "field", "message"),
    [
        ("contacts/", {"contact": "C-FFFFFFFF"}, "contact", "Choose a contact"),
        ("persons/", {"person": "00000000-0000-0000-0000-000000000000"}, "person", "No person"),
        ("persons/", {"person": "PERSON", "role": "boss"}, "person", "No person"),
        ("status/", {"status": "archived"}, "status", "Choose one of the listed options"),
        ("summary/", {"summary": "y" * 2001}, "summary", "Use at most 2000 characters"),
    ],
)
def test_refused_forms_answer_400_and_change_nothing(
    operator: Membership,
    operator_client: Client,
    path: str,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    situation = situation_of(operator)
    before = situation_snapshot()
    response = operator_client.post(f"/intake/situations/{situation.public_id}/{path}", data)
    assert response.status_code == 400
    assert message in page(response)
    assert situation_snapshot()[:3] == before[:3]
    # Re-showing the page reads it again (audited), and writes nothing else.
    assert {e.action for e in AuditEvent.objects.all()[before[3] :]} <= {
        "situation.read",
        "person.list",
    }


def test_a_wrong_role_for_the_person_is_refused(
    operator: Membership, operator_client: Client
) -> None:
    situation = situation_of(operator)
    ana = person(operator, "Ana")
    response = operator_client.post(
        f"/intake/situations/{situation.public_id}/persons/",
        {"person": str(ana.public_id), "role": "boss"},
    )
    assert response.status_code == 400
    assert not situation.person_links.exists()


def test_another_organisation_gets_404_everywhere(
    operator: Membership, outsider_client: Client
) -> None:
    situation = situation_of(operator, summary="Ours")
    contact = situation.contacts.get()
    before = situation_snapshot()
    base = f"/intake/situations/{situation.public_id}"
    assert outsider_client.get(f"{base}/").status_code == 404
    for path, data in (
        ("summary/", {"summary": "Theirs"}),
        ("status/", {"status": "closed"}),
        ("contacts/", {"contact": contact.reference}),
        (f"contacts/{contact.public_id}/remove/", {}),
        ("persons/", {"person": "x"}),
        (f"persons/{contact.public_id}/remove/", {}),
    ):
        assert outsider_client.post(f"{base}/{path}", data).status_code == 404, path
    assert situation.reference not in page(outsider_client.get("/intake/situations/?show=all"))
    assert situation_snapshot() == before


def test_a_role_that_may_only_view_sees_no_forms_and_may_not_change(
    operator: Membership, hotline: Organisation
) -> None:
    situation = situation_of(operator)
    viewer = signed_in_client(member(Role.CASE_WORKER, hotline))
    html = page(viewer.get(f"/intake/situations/{situation.public_id}/"))
    assert "/status/" not in html and "/persons/" not in html
    response = viewer.post(
        f"/intake/situations/{situation.public_id}/status/", {"status": "closed"}
    )
    assert response.status_code == 403
    situation.refresh_from_db()
    assert situation.status == "open"
    assert viewer.post("/intake/situations/new/", {"contact": "C-00000000"}).status_code in (
        400,
        403,
    )


def test_roles_without_contacts_do_not_see_situations(hotline: Organisation) -> None:
    coordinator = signed_in_client(member(Role.NATIONAL_COORDINATOR, hotline))
    assert coordinator.get("/intake/situations/").status_code == 404
