"""The session on the API (CSRF) and switching between memberships."""

import pytest
from django.test import Client

from palermo.accounts.models import Membership
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.people.models import Person
from palermo.testing import OrganisationFactory, member, signed_in_client

pytestmark = pytest.mark.django_db

PEOPLE_API = "/api/people/"


# --- CSRF on the session-authenticated API --------------------------------------------


def _strict_client(membership: Membership) -> Client:
    """Signed in through the pages, then checking CSRF like a browser would need to."""
    signed_in = signed_in_client(membership)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = signed_in.cookies
    return strict


def test_a_session_post_without_the_csrf_token_is_refused():
    client = _strict_client(member(Role.CASE_WORKER))
    response = client.post(PEOPLE_API, {"first_name": "Maria"}, content_type="application/json")
    assert response.status_code == 403
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == "csrf_failed"
    assert not Person.objects.exists()


def test_a_session_post_with_the_csrf_token_is_accepted():
    client = _strict_client(member(Role.CASE_WORKER))
    assert client.get("/people/").status_code == 200  # a page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        PEOPLE_API, {"first_name": "Maria"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 201, response.content
    assert Person.objects.count() == 1


def test_session_reads_need_no_csrf_token():
    client = _strict_client(member(Role.CASE_WORKER))
    assert client.get(PEOPLE_API).status_code == 200


# --- switching membership -------------------------------------------------------------


@pytest.fixture
def two_hats():
    first = member(Role.CASE_WORKER, OrganisationFactory(name="Alpha Shelter"))
    second = Membership.objects.create(
        user=first.user,
        organisation=OrganisationFactory(name="Beta Helpline"),
        role=Role.SUPERVISOR,
    )
    return first, second


def test_a_user_with_two_memberships_switches(two_hats):
    first, second = two_hats
    client = signed_in_client(first)
    home = client.get("/").content.decode()
    assert "Alpha Shelter" in home
    assert "/accounts/switch/" in home

    page = client.get("/accounts/switch/").content.decode()
    assert "Alpha Shelter" in page and "Beta Helpline" in page
    response = client.post("/accounts/switch/", {"membership": second.pk})
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert "Beta Helpline" in home
    assert "Supervisor" in home
    event = AuditEvent.objects.get(action="auth.membership_switched")
    assert event.organisation == second.organisation
    assert event.object_id == str(second.pk)

    # Work now happens for the chosen organisation.
    client.post("/people/new/", {"first_name": "Ana"})
    assert Person.objects.get().owner_organisation == second.organisation


@pytest.mark.parametrize("kind", ["someone else's", "unknown", "not a number", "huge", "missing"])
def test_switching_to_a_membership_not_ones_own_is_refused_and_changes_nothing(two_hats, kind):
    first, _second = two_hats
    stranger = member(Role.CASE_WORKER, OrganisationFactory(name="Gamma Outreach"))
    value = {
        "someone else's": str(stranger.pk),
        "unknown": "987654321",
        "not a number": "beta",
        "huge": "9" * 40,
        "missing": None,
    }[kind]
    client = signed_in_client(first)
    before = dict(client.session)
    response = client.post("/accounts/switch/", {} if value is None else {"membership": value})
    assert response.status_code == 400
    assert "Choose one of your own organisations from the list." in response.content.decode()
    assert "Gamma Outreach" not in response.content.decode()
    assert dict(client.session).get("palermo_membership_id") == before.get("palermo_membership_id")
    assert "Alpha Shelter" in client.get("/").content.decode()
    assert not AuditEvent.objects.filter(action="auth.membership_switched").exists()


def test_the_switch_page_marks_the_current_membership(two_hats):
    first, _second = two_hats
    client = signed_in_client(first)
    page = client.get("/accounts/switch/").content.decode()
    assert f'value="{first.pk}" checked' in page
