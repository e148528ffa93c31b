"""The case pages through HTTP: access, forms with bad input, the links from other pages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.cases.models import AnonymousNotification, Case, CaseDeadline, CaseDecision
from palermo.people.models import Person
from palermo.testing import member, signed_in_client

from .conftest import consent, open_for, register

pytestmark = pytest.mark.django_db


def _main(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def _no_inline_code(html: str) -> None:
    assert "<script>" not in html and " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)


def test_pages_of_a_case_for_its_owner(worker_client: Client, case: Case) -> None:
    for url in (
        "/cases/",
        "/cases/?status=all&mine=1",
        "/cases/?overdue=1&stage=referral",
        "/cases/dashboard/",
        "/cases/overdue/",
        "/cases/rules/",
        f"/cases/{case.public_id}/",
        f"/cases/{case.public_id}/assign/",
        f"/cases/{case.public_id}/close/",
        "/cases/anonymous/",
        f"/cases/new/?person={case.person.public_id}",
    ):
        response = worker_client.get(url)
        assert response.status_code == 200, url
        _no_inline_code(_main(response))
    dashboard = _main(worker_client.get("/cases/dashboard/"))
    assert "My caseload" in dashboard and case.reference in dashboard


def test_the_list_filters_and_pages(
    worker: Membership, worker_client: Client, authority: Membership
) -> None:
    cases = [open_for(worker) for _ in range(3)]
    page = _main(worker_client.get("/cases/?status=open"))
    assert all(c.reference in page for c in cases) and "3 cases." in page
    Case.objects.filter(pk=cases[0].pk).update(
        next_deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    overdue = _main(worker_client.get("/cases/?overdue=1"))
    assert cases[0].reference in overdue and cases[1].reference not in overdue
    assert cases[0].reference not in _main(worker_client.get("/cases/?stage=recovery"))
    # A page of one: the cursor leads to the next.
    from palermo.cases import selectors
    from palermo.testing import actor_for

    first = selectors.case_list(actor=actor_for(worker), per_page=2)
    assert len(first.rows) == 2 and first.next_cursor
    second = _main(worker_client.get(f"/cases/?status=open&cursor={first.next_cursor}"))
    assert cases[0].reference in second  # the oldest, after the two newest
    htmx = worker_client.get("/cases/?status=open", headers={"HX-Request": "true"})
    assert "<html" not in _main(htmx) and 'id="results"' in _main(htmx)


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "stage=nowhere",
        "cursor=zzz",
        "cursor=o99999999999999999999.1",
        "stage=" + "x" * 500,
    ],
)
def test_bad_filters_are_400_with_a_message(worker_client: Client, query: str) -> None:
    response = worker_client.get(f"/cases/?{query}")
    assert response.status_code == 400
    assert 'class="field-error"' in _main(response)


def test_the_names_read_in_the_list_are_audited(
    worker: Membership, worker_client: Client, case: Case
) -> None:
    worker_client.get("/cases/")
    event = AuditEvent.objects.filter(action="case.list").latest("sequence")
    assert event.field_groups == ["identity"]
    assert event.details["persons"] == [str(case.person.public_id)]


def test_another_organisation_gets_404_everywhere(case: Case, other_ngo: Organisation) -> None:
    client = signed_in_client(member(Role.CASE_WORKER, other_ngo))
    for url in ("", "decide/", "assign/", "close/"):
        assert client.get(f"/cases/{case.public_id}/{url}").status_code == 404
    for url in ("advance/", "reopen/"):
        assert client.post(f"/cases/{case.public_id}/{url}").status_code == 404
    assert client.post(f"/cases/{case.public_id}/close/", {"reason": "Other"}).status_code == 404
    assert case.reference not in _main(client.get("/cases/"))
    assert client.get("/cases/not-a-uuid/").status_code == 404
    assert client.get("/cases/" + "a" * 300 + "/").status_code == 404
    case.refresh_from_db()
    assert case.status == "Active"


def test_roles_without_case_access_get_404(shelter: Organisation) -> None:
    client = signed_in_client(member(Role.NATIONAL_COORDINATOR, shelter))
    for url in (
        "/cases/",
        "/cases/dashboard/",
        "/cases/overdue/",
        "/cases/new/",
        "/cases/anonymous/",
    ):
        assert client.get(url).status_code == 404, url


def test_a_case_worker_may_not_decide(worker_client: Client, case: Case) -> None:
    assert worker_client.get(f"/cases/{case.public_id}/decide/").status_code == 403
    response = worker_client.post(
        f"/cases/{case.public_id}/decide/", {"outcome": "positive", "reason": "x"}
    )
    assert response.status_code == 403
    assert not CaseDecision.objects.exists()


def test_the_authority_decides_with_bad_input_first(authority_client: Client, case: Case) -> None:
    response = authority_client.post(
        f"/cases/{case.public_id}/decide/", {"outcome": "", "reason": ""}
    )
    assert response.status_code == 400
    body = _main(response)
    assert "Choose positive or negative." in body and 'id="id_outcome"' in body
    assert not CaseDecision.objects.exists()
    response = authority_client.post(
        f"/cases/{case.public_id}/decide/", {"outcome": "positive", "reason": "Credible account."}
    )
    assert response.status_code == 302
    page = _main(authority_client.get(f"/cases/{case.public_id}/"))
    # The authority's role sees the narrative: the reason is shown, with the decision-maker.
    assert "Credible account." in page and "Ministry unit" in page
    event = AuditEvent.objects.filter(action="case.read").latest("sequence")
    assert "narrative" in event.field_groups


def test_the_open_form_refuses_an_adult_without_consent(
    worker: Membership, worker_client: Client, authority: Membership
) -> None:
    person = register(worker)
    form = _main(worker_client.get(f"/cases/new/?person={person.public_id}"))
    assert "only with their consent to assistance" in form
    response = worker_client.post(
        f"/cases/new/?person={person.public_id}", {"person": str(person.public_id)}
    )
    assert response.status_code == 400
    assert "only with their consent to assistance" in _main(response)
    assert not Case.objects.exists()
    consent(worker, person, "refused")
    form = _main(worker_client.get(f"/cases/new/?person={person.public_id}"))
    assert f"/cases/anonymous/?person={person.public_id}" in form
    prefilled = _main(worker_client.get(f"/cases/anonymous/?person={person.public_id}"))
    assert 'value="Feminine" selected' in prefilled and 'value="UA"' in prefilled


def test_the_open_form_takes_a_child_and_a_summary(
    worker_client: Client, child: Person, authority: Membership
) -> None:
    response = worker_client.post(
        f"/cases/new/?person={child.public_id}",
        {"person": str(child.public_id), "summary": "x" * 5000},
    )
    assert response.status_code == 400 and not Case.objects.exists()
    response = worker_client.post(
        f"/cases/new/?person={child.public_id}",
        {"person": str(child.public_id), "summary": "Found at the station."},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.is_child and case.summary == "Found at the station."
    again = worker_client.post(
        f"/cases/new/?person={child.public_id}", {"person": str(child.public_id)}
    )
    assert again.status_code == 409 and case.reference in _main(again)


def test_the_open_form_from_a_hotline_contact(shelter: Organisation, authority: Membership) -> None:
    from palermo.intake import services as intake_services
    from palermo.intake.models import ContactPerson
    from palermo.testing import actor_for

    operator = member(Role.HOTLINE_OPERATOR, shelter)
    contact = intake_services.contact_create(
        actor=actor_for(operator), data={"channel": "phone", "narrative": "A call."}
    )
    person = register(operator)
    consent(operator, person)
    ContactPerson.objects.create(contact=contact, person=person)
    client = signed_in_client(operator)
    page = _main(client.get(f"/intake/contacts/{contact.public_id}/"))
    if 'id="open-case"' not in page:
        page = _main(client.get(f"/intake/{contact.public_id}/"))
    form = _main(client.get(f"/cases/new/?contact={contact.public_id}"))
    assert person.reference in form
    response = client.post(
        f"/cases/new/?contact={contact.public_id}",
        {"person": str(person.public_id), "contact": str(contact.public_id)},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.case_worker is None  # a hotline operator refers; the shelter assigns


def test_assign_close_and_reopen_pages(
    case: Case, supervisor: Membership, worker: Membership
) -> None:
    client = signed_in_client(supervisor)
    response = client.post(f"/cases/{case.public_id}/assign/", {"case_worker": "nobody"})
    assert response.status_code == 400 and "Choose a case worker of Shelter." in _main(response)
    response = client.post(
        f"/cases/{case.public_id}/assign/", {"case_worker": supervisor.user.username}
    )
    assert response.status_code == 302
    response = client.post(f"/cases/{case.public_id}/close/", {"reason": "nonsense"})
    assert response.status_code == 400
    response = client.post(f"/cases/{case.public_id}/close/", {"reason": "AssistanceCompleted"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "Closed" and case.case_worker == supervisor.user
    assert client.post(f"/cases/{case.public_id}/reopen/").status_code == 302
    case.refresh_from_db()
    assert case.status == "Active"


def test_the_anonymous_form(worker_client: Client) -> None:
    response = worker_client.post("/cases/anonymous/", {"gender": "Robot", "nationality": "ZZ"})
    assert response.status_code == 400 and not AnonymousNotification.objects.exists()
    response = worker_client.post(
        "/cases/anonymous/", {"gender": "Masculine", "nationality": "md", "contact": ""}
    )
    assert response.status_code == 302
    assert AnonymousNotification.objects.get().nationality == "MD"


def test_the_overdue_page(worker_client: Client, case: Case) -> None:
    CaseDeadline.objects.filter(case=case).update(
        due_on=timezone.localdate() - datetime.timedelta(days=4)
    )
    page = _main(worker_client.get("/cases/overdue/"))
    assert case.reference in page and "Reasonable-grounds decision due" in page
    assert ">4<" in page


def test_other_pages_link_to_the_open_form(worker_client: Client, adult: Person) -> None:
    assert f"/cases/new/?person={adult.public_id}" in _main(
        worker_client.get(f"/people/{adult.public_id}/")
    )


def test_the_nav_lists_cases_and_the_dashboard(worker_client: Client) -> None:
    home = _main(worker_client.get("/"))
    assert 'href="/cases/"' in home and 'href="/cases/dashboard/"' in home
