"""Who may reach a person: other organisations and roles without the right see nothing at all."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from django.http import HttpResponse
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.errors import ApplicationError
from palermo.people import access
from palermo.people.models import Person
from palermo.testing import actor_for, member, signed_in_client

from .json_api import error_of, patch_json, post_json
from .records import OLENA, register, snapshot

pytestmark = pytest.mark.django_db

REQUEST_ID = "fixedrequestid"
FORM = {"first_name": "Changed", "second_name": "Name", "gender": "Feminine"}

Probe = Callable[[Client, str], HttpResponse]

# Every page and endpoint that takes a person's id.
PROBES: dict[str, Probe] = {
    "detail page": lambda c, pid: c.get(f"/people/{pid}/", headers={"X-Request-ID": REQUEST_ID}),
    "edit page": lambda c, pid: c.get(f"/people/{pid}/edit/", headers={"X-Request-ID": REQUEST_ID}),
    "edit form post": lambda c, pid: c.post(
        f"/people/{pid}/edit/", FORM, headers={"X-Request-ID": REQUEST_ID}
    ),
    "api get": lambda c, pid: c.get(f"/api/people/{pid}"),
    "api patch": lambda c, pid: patch_json(c, f"/api/people/{pid}", {"first_name": "Changed"}),
}
MALFORMED_IDS = ["not-a-uuid", "12345", "0" * 40, "00000000-0000-0000-0000-00000000000g", "None"]


def comparable(response: HttpResponse, person_id: str) -> tuple[int, str]:
    """Status and body, without what differs on every request (CSRF masks, the id asked for)."""
    body = response.content.decode()
    body = body.replace(person_id, "<id>")
    body = body.replace(response["X-Request-ID"], "<request-id>")
    body = re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1…", body)
    return response.status_code, body


@pytest.fixture
def person_a(worker_a: Membership) -> Person:
    return register(worker_a)


@pytest.mark.parametrize("probe", PROBES.values(), ids=PROBES.keys())
def test_another_organisation_gets_the_same_404_as_for_nothing(
    client_b: Client, person_a: Person, probe: Probe
) -> None:
    before = snapshot()
    existing = str(person_a.public_id)
    response = probe(client_b, existing)
    assert response.status_code == 404
    expected = comparable(response, existing)
    for other in [str(uuid.uuid4()), *MALFORMED_IDS]:
        assert comparable(probe(client_b, other), other) == expected, other
    if response["Content-Type"].startswith("application/json"):
        assert error_of(response) == {"code": "not_found", "message": "Not found.", "fields": {}}
    else:
        assert "Page not found" in response.content.decode()
    assert "Олена" not in response.content.decode()
    # Nothing changed, and nothing was read, so nothing was audited.
    assert snapshot() == before


def test_another_organisations_search_and_list_show_nothing(
    client_b: Client, person_a: Person
) -> None:
    assert person_a.reference not in client_b.get("/people/").content.decode()
    assert person_a.reference not in client_b.get("/people/", {"q": "olena"}).content.decode()
    assert client_b.get("/api/people/", {"q": "olena"}).json()["count"] == 0
    assert client_b.get("/api/people/").json()["results"] == []


def test_a_user_assigned_to_the_person_may_see_it_from_another_organisation(
    person_a: Person, org_b: Organisation
) -> None:
    helper = member(Role.CASE_WORKER, org_b)
    person_a.assigned_users.add(helper.user)
    client = signed_in_client(helper)
    assert client.get(f"/people/{person_a.public_id}/").status_code == 200
    assert client.get(f"/api/people/{person_a.public_id}").json()["first_name"] == "Олена"


@pytest.mark.parametrize("role", [Role.RESEARCHER, Role.NATIONAL_COORDINATOR, Role.ADMINISTRATOR])
def test_a_role_without_person_view_finds_no_person_pages(
    org_a: Organisation, person_a: Person, role: Role
) -> None:
    client = signed_in_client(member(role, org_a))
    before = snapshot()
    for url in (
        "/people/",
        "/people/new/",
        f"/people/{person_a.public_id}/",
        f"/people/{person_a.public_id}/edit/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/people/new/", FORM).status_code == 404
    listing = client.get("/api/people/")
    assert listing.status_code == 403
    assert error_of(listing)["code"] == "forbidden"
    one = client.get(f"/api/people/{person_a.public_id}")
    assert one.status_code == 404 and error_of(one)["code"] == "not_found"
    created = post_json(client, "/api/people/", {"first_name": "X"})
    assert created.status_code == 403 and error_of(created)["code"] == "forbidden"
    patched = patch_json(client, f"/api/people/{person_a.public_id}", {"first_name": "X"})
    assert patched.status_code == 404
    assert snapshot() == before


def test_signed_out_visitors_are_sent_to_sign_in(person_a: Person) -> None:
    for url in ("/people/", f"/people/{person_a.public_id}/", "/people/new/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# --- field groups: a service provider sees identity and contact, not location ----------------


@pytest.fixture
def provider_client(org_a: Organisation) -> Client:
    return signed_in_client(member(Role.SERVICE_PROVIDER, org_a))


def test_a_service_provider_sees_identity_and_contact_but_not_location_on_the_page(
    provider_client: Client, person_a: Person
) -> None:
    page = provider_client.get(f"/people/{person_a.public_id}/").content.decode()
    assert "Олена" in page and "+380671234567" in page
    assert "Kyiv" not in page
    assert "Withheld" in page
    assert "/edit/" not in page  # no edit link for a role that cannot edit
    event = AuditEvent.objects.filter(action="person.read").latest("sequence")
    assert event.field_groups == ["contact", "identity"]


def test_location_is_absent_from_the_api_for_a_service_provider(
    provider_client: Client, person_a: Person
) -> None:
    data = provider_client.get(f"/api/people/{person_a.public_id}").json()
    assert data["visible_groups"] == ["contact", "identity"]
    assert data["first_name"] == "Олена" and data["email"] == "olena.k@example.org"
    assert not [key for key in data if key.startswith("mailing_")]
    listed = provider_client.get("/api/people/").json()["results"][0]
    assert not [key for key in listed if key.startswith("mailing_")]
    assert "Kyiv" not in provider_client.get("/api/people/").content.decode()


def test_a_service_provider_cannot_write_location_or_anything_else(
    provider_client: Client, person_a: Person
) -> None:
    before = snapshot()
    pid = person_a.public_id
    for body in ({"mailing_city": "Lviv"}, {"mailing_latitude": 1}, {"first_name": "X"}):
        response = patch_json(provider_client, f"/api/people/{pid}", body)
        assert response.status_code == 403, body
        assert error_of(response)["code"] == "forbidden"
    created = post_json(provider_client, "/api/people/", {**OLENA, "mailing_city": "Lviv"})
    assert created.status_code == 403
    # It may see the person, so the edit pages say "not allowed" rather than "not found".
    assert provider_client.get(f"/people/{pid}/edit/").status_code == 403
    posted = provider_client.post(f"/people/{pid}/edit/", {**FORM, "mailing_city": "Lviv"})
    assert posted.status_code == 403
    assert provider_client.get("/people/new/").status_code == 404
    assert snapshot() == before
    person_a.refresh_from_db()
    assert person_a.mailing_city == "Kyiv"


# --- the choke point itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    "public_id", ["", "x", "1" * 10_000, "../../etc", "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"]
)
def test_person_for_actor_refuses_unknown_and_malformed_ids(
    worker_a: Membership, public_id: str
) -> None:
    with pytest.raises(ApplicationError) as caught:
        access.person_for_actor(actor_for(worker_a), public_id)
    assert (caught.value.status, caught.value.code) == (404, "not_found")


def test_person_for_actor_accepts_an_id_in_any_uuid_spelling(
    worker_a: Membership, person_a: Person
) -> None:
    actor = actor_for(worker_a)
    for spelling in (person_a.public_id, str(person_a.public_id).upper(), person_a.public_id.hex):
        assert access.person_for_actor(actor, spelling).pk == person_a.pk
