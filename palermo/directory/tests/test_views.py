"""The staff pages, through HTTP: management by administrators and providers, search, detail,
the quick places form, and matching for a case."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.directory.models import Provider, Service
from palermo.testing import TEST_PASSWORD, OrganisationFactory, member, signed_in_client

from .conftest import CONFIDENTIAL_ADDRESS, PUBLIC_ADDRESS, make_service, open_case

pytestmark = pytest.mark.django_db

SERVICE_FORM: dict[str, Any] = {
    "service_type": "Shelter",
    "description": "Beds for men.",
    "languages": "ro, ru",
    "genders": ["Masculine", "TransgenderMasculine"],
    "min_age": "18",
    "max_age": "",
    "nationalities": "",
    "capacity": "10",
    "available_places": "4",
    "hours_mon": "09:00-17:00",
    "hours_tue": "",
    "hours_wed": "",
    "hours_thu": "",
    "hours_fri": "",
    "hours_sat": "",
    "hours_sun": "",
    "phone": "",
    "city": "Ungheni",
    "admin_area": "Raionul Ungheni",
    "latitude": "47.2108",
    "longitude": "27.8006",
    "address": "str. Decebal 3, Ungheni",
    "confidential_address": "on",
    "active": "on",
}


# --- management: administrators ---


def test_an_administrator_adds_a_provider_outside_palermo_and_a_service(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        "/directory/manage/providers/new/",
        {"name": "Men's shelter", "org_type": "NGO", "phone": "+373 236 2 71 15", "public": "on"},
    )
    assert response.status_code == 302, response.content[:2000]
    provider = Provider.objects.get(name="Men's shelter")
    assert provider.country == "MD" and provider.organisation is None
    response = admin_client.post(
        f"/directory/manage/providers/{provider.public_id}/services/new/", SERVICE_FORM
    )
    assert response.status_code == 302, response.content[:3000]
    service = provider.services.get()
    assert service.genders == ["Masculine", "TransgenderMasculine"]
    assert service.opening_hours == {"mon": [["09:00", "17:00"]]}
    assert service.available_places == 4 and service.availability_updated_at is not None
    assert service.address == "str. Decebal 3, Ungheni" and service.confidential_address
    event = AuditEvent.objects.get(action="service.create")
    assert event.field_groups == ["location"]
    assert "Decebal" not in str(event.details)


def test_an_administrator_links_a_coalition_organisation_of_its_country_only(
    admin_client: Client, shelter_org: Organisation
) -> None:
    abroad = OrganisationFactory(name="Abroad", country="UA")
    response = admin_client.post(
        "/directory/manage/providers/new/",
        {"name": "X", "org_type": "NGO", "organisation": str(abroad.public_id)},
    )
    assert response.status_code == 400
    assert b"id_organisation-error" in response.content
    response = admin_client.post(
        "/directory/manage/providers/new/",
        {"name": "Shelter", "org_type": "NGO", "organisation": str(shelter_org.public_id)},
    )
    assert response.status_code == 302
    assert Provider.objects.get(name="Shelter").organisation == shelter_org


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        ("min_age", "30", "max_age"),  # with max_age 20: a reversed range
        ("latitude", "91", "latitude"),
        ("latitude", "north", "latitude"),
        ("longitude", "", "longitude"),  # a latitude without a longitude
        ("hours_mon", "17:00-09:00", "hours_mon"),
        ("hours_tue", "09:00-13:00, 12:00-14:00", "hours_tue"),
        ("languages", "romanian", "languages"),
        ("nationalities", "Moldova", "nationalities"),
        ("available_places", "11", "available_places"),  # more than the capacity
        ("capacity", "-1", "capacity"),
        ("description", "x" * 2001, "description"),
        ("service_type", "Spa", "service_type"),
        ("phone", "call us", "phone"),
        ("genders", ["Robot"], "genders"),
    ],
)
def test_bad_service_input_is_refused_per_field_and_changes_nothing(
    admin_client: Client, shelter_provider: Provider, field: str, value: Any, error_field: str
) -> None:
    form = {**SERVICE_FORM, "max_age": "20", "min_age": "18", field: value}
    response = admin_client.post(
        f"/directory/manage/providers/{shelter_provider.public_id}/services/new/", form
    )
    assert response.status_code == 400
    assert f'id="id_{error_field}-error"'.encode() in response.content
    assert not Service.objects.exists()
    assert not AuditEvent.objects.filter(action="service.create").exists()


def test_bad_provider_input_is_refused(admin_client: Client) -> None:
    response = admin_client.post(
        "/directory/manage/providers/new/",
        {"name": "", "org_type": "Pirates", "email": "not-an-email", "website": "javascript:x"},
    )
    assert response.status_code == 400
    for name in ("name", "org_type", "email", "website"):
        assert f'id="id_{name}-error"'.encode() in response.content
    assert not Provider.objects.exists()


def test_hostile_html_in_a_description_is_shown_as_text(
    admin_client: Client, shelter_provider: Provider
) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    service = make_service(shelter_provider, description=hostile)
    response = admin_client.get(f"/directory/services/{service.public_id}/")
    assert response.status_code == 200
    assert b"<script>alert" not in response.content
    assert b"&lt;script&gt;alert" in response.content


# --- management: a provider's own members ---


def test_a_provider_member_adds_its_own_provider_record_only(
    shelter_client: Client, shelter_org: Organisation, clinic_org: Organisation
) -> None:
    response = shelter_client.get("/directory/manage/providers/new/")
    assert response.status_code == 200
    assert b'name="organisation"' not in response.content
    response = shelter_client.post(
        "/directory/manage/providers/new/",
        {"name": "Shelter NGO", "org_type": "NGO", "organisation": str(clinic_org.public_id)},
    )
    assert response.status_code == 302  # the field is not on its form: ignored
    assert Provider.objects.get().organisation == shelter_org
    response = shelter_client.post(
        "/directory/manage/providers/new/", {"name": "Second", "org_type": "NGO"}
    )
    assert response.status_code == 400
    assert Provider.objects.count() == 1


def test_a_provider_member_cannot_edit_another_provider(
    shelter_client: Client, shelter_provider: Provider, clinic_service: Service
) -> None:
    clinic = clinic_service.provider
    assert (
        shelter_client.get(f"/directory/manage/providers/{clinic.public_id}/edit/").status_code
        == 403
    )
    response = shelter_client.post(
        f"/directory/manage/providers/{clinic.public_id}/edit/",
        {"name": "Taken over", "org_type": "NGO"},
    )
    assert response.status_code == 403
    response = shelter_client.post(
        f"/directory/manage/services/{clinic_service.public_id}/places/", {"available_places": "0"}
    )
    assert response.status_code == 403
    response = shelter_client.post(f"/directory/manage/services/{clinic_service.public_id}/delete/")
    assert response.status_code == 403
    clinic.refresh_from_db()
    clinic_service.refresh_from_db()
    assert clinic.name == "Clinic" and clinic_service.available_places is None
    # Unknown ids are simply not found.
    assert shelter_client.get("/directory/manage/services/not-a-uuid/edit/").status_code == 404
    assert (
        shelter_client.get(
            "/directory/manage/services/00000000-0000-0000-0000-000000000000/edit/"
        ).status_code
        == 404
    )


def test_an_administrator_of_another_country_cannot_edit(
    women_shelter: Service,
) -> None:
    abroad_admin = member(Role.ADMINISTRATOR, OrganisationFactory(country="UA"))
    client = signed_in_client(abroad_admin)
    provider = women_shelter.provider
    response = client.post(
        f"/directory/manage/providers/{provider.public_id}/edit/", {"name": "X", "org_type": "NGO"}
    )
    assert response.status_code == 403
    assert (
        client.post(f"/directory/manage/providers/{provider.public_id}/delete/").status_code == 403
    )
    assert Provider.objects.filter(pk=provider.pk, name="Shelter NGO").exists()


def test_roles_without_the_directory_get_404(women_shelter: Service) -> None:
    researcher = member(Role.RESEARCHER)
    # Researchers need no second factor: signed in with the password alone.
    client = Client()
    assert (
        client.post(
            "/accounts/login/", {"username": researcher.user.username, "password": TEST_PASSWORD}
        ).status_code
        == 302
    )
    for url in (
        "/directory/",
        f"/directory/services/{women_shelter.public_id}/",
        "/directory/manage/",
        f"/directory/manage/services/{women_shelter.public_id}/edit/",
    ):
        assert client.get(url).status_code == 404, url
    case_worker = member(Role.CASE_WORKER)
    cw = signed_in_client(case_worker)
    assert cw.get("/directory/manage/").status_code == 404
    assert cw.get(f"/directory/manage/services/{women_shelter.public_id}/edit/").status_code == 404
    assert Client().get("/directory/").status_code == 302  # signed out: to the sign-in page


def test_the_quick_places_form(shelter_client: Client, women_shelter: Service) -> None:
    url = f"/directory/manage/services/{women_shelter.public_id}/places/"
    page = shelter_client.get(url)
    assert page.status_code == 200 and b'inputmode="numeric"' in page.content
    response = shelter_client.post(url, {"available_places": "abc"})
    assert response.status_code == 400 and b"id_available_places-error" in response.content
    response = shelter_client.post(url, {"available_places": "99"})  # capacity is 10
    assert response.status_code == 400
    women_shelter.refresh_from_db()
    assert women_shelter.available_places == 3
    before = women_shelter.availability_updated_at
    response = shelter_client.post(url, {"available_places": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"places-form" in response.content
    women_shelter.refresh_from_db()
    assert women_shelter.available_places == 0
    assert before is not None and women_shelter.availability_updated_at > before
    assert AuditEvent.objects.filter(action="service.availability").count() == 1
    response = shelter_client.post(url, {"available_places": "2"})
    assert response.status_code == 302


# --- reading ---


def test_search_filters(
    caseworker_client: Client, women_shelter: Service, clinic_service: Service
) -> None:
    men = make_service(
        women_shelter.provider, genders=["Masculine"], available_places=0, languages=["uk"]
    )
    response = caseworker_client.get("/directory/", {"service_type": "Shelter"})
    content = response.content.decode()
    assert response.status_code == 200
    assert f"/directory/services/{women_shelter.public_id}/" in content
    assert f"/directory/services/{clinic_service.public_id}/" not in content
    response = caseworker_client.get("/directory/", {"gender": "Masculine"})
    content = response.content.decode()
    assert f"/directory/services/{men.public_id}/" in content
    assert f"/directory/services/{women_shelter.public_id}/" not in content
    assert f"/directory/services/{clinic_service.public_id}/" in content  # serves everyone
    response = caseworker_client.get(
        "/directory/", {"available_now": "on", "service_type": "Shelter"}
    )
    assert f"/directory/services/{men.public_id}/" not in response.content.decode()
    response = caseworker_client.get("/directory/", {"language": "uk"})
    assert f"/directory/services/{men.public_id}/" in response.content.decode()
    assert f"/directory/services/{women_shelter.public_id}/" not in response.content.decode()
    response = caseworker_client.get("/directory/", {"age": "10"})
    assert f"/directory/services/{women_shelter.public_id}/" not in response.content.decode()
    for bad in ({"age": "old"}, {"language": "klingon"}, {"country": "ZZ"}, {"gender": "x"}):
        assert caseworker_client.get("/directory/", bad).status_code == 400, bad
    assert (
        b"id_address" not in response.content
        and CONFIDENTIAL_ADDRESS.encode() not in response.content
    )


def test_a_confidential_address_is_shown_to_its_own_organisation_only_and_audited(
    caseworker_client: Client,
    shelter_client: Client,
    admin_client: Client,
    women_shelter: Service,
    clinic_service: Service,
) -> None:
    url = f"/directory/services/{women_shelter.public_id}/"
    response = caseworker_client.get(url)
    assert response.status_code == 200
    assert CONFIDENTIAL_ADDRESS.encode() not in response.content
    assert not AuditEvent.objects.filter(action="service.read").exists()
    for client in (shelter_client, admin_client):
        response = client.get(url)
        assert CONFIDENTIAL_ADDRESS.encode() in response.content
    reads = AuditEvent.objects.filter(action="service.read", object_id=str(women_shelter.public_id))
    assert reads.count() == 2
    assert all(e.field_groups == ["location"] and e.details["confidential"] for e in reads)
    # A public address is shown to any reader, and that read is recorded too.
    response = caseworker_client.get(f"/directory/services/{clinic_service.public_id}/")
    assert PUBLIC_ADDRESS.encode() in response.content
    assert AuditEvent.objects.filter(
        action="service.read", object_id=str(clinic_service.public_id)
    ).exists()


def test_the_edit_form_shows_the_address_to_a_manager_and_records_it(
    shelter_client: Client, women_shelter: Service
) -> None:
    response = shelter_client.get(f"/directory/manage/services/{women_shelter.public_id}/edit/")
    assert CONFIDENTIAL_ADDRESS.encode() in response.content
    assert AuditEvent.objects.filter(action="service.read").count() == 1
    form = {
        **SERVICE_FORM,
        "address": CONFIDENTIAL_ADDRESS,
        "genders": ["Feminine"],
        "capacity": "10",
        "available_places": "3",
    }
    response = shelter_client.post(
        f"/directory/manage/services/{women_shelter.public_id}/edit/", form
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="service.update")
    assert event.field_groups == []  # the address did not change
    assert "genders" in event.details["fields"]


# --- matching ---


def test_matching_page_ranks_explains_and_lists_the_ineligible(
    caseworker: Membership,
    caseworker_client: Client,
    women_shelter: Service,
    shelter_provider: Provider,
) -> None:
    case = open_case(caseworker, gender="Masculine")
    men = make_service(
        shelter_provider,
        genders=["Masculine", "TransgenderMasculine"],
        city="Bălți",
        latitude="47.76170",
        longitude="27.92890",
        available_places=0,
    )
    url = f"/directory/match/{case.public_id}/"
    response = caseworker_client.get(url)
    assert response.status_code == 200 and b'id="matches"' not in response.content
    response = caseworker_client.get(
        url,
        {
            "submitted": "1",
            "needs": "Shelter",
            "latitude": "47.0105",
            "longitude": "28.8638",
            "places_now": "on",
        },
    )
    content = response.content.decode()
    assert response.status_code == 200, content[:3000]
    ranked = content.split('id="matches"')[1].split("Not eligible")[0]
    assert f"/directory/services/{men.public_id}/" in ranked
    assert (
        "factor-capacity" in ranked and "factor-distance" in ranked and "factor-language" in ranked
    )
    assert "is-full" in ranked
    assert f"/directory/services/{women_shelter.public_id}/" in content.split("Not eligible")[1]
    assert CONFIDENTIAL_ADDRESS not in content


def test_matching_page_in_another_language(
    caseworker: Membership, caseworker_client: Client, women_shelter: Service
) -> None:
    case = open_case(caseworker)
    response = caseworker_client.get(
        f"/directory/match/{case.public_id}/",
        {"submitted": "1", "needs": "Shelter"},
        HTTP_ACCEPT_LANGUAGE="uk",
    )
    assert response.status_code == 200
    assert 'lang="uk"' in response.content.decode()
    assert "румунська" in response.content.decode()  # the person's language, named in Ukrainian


def test_matching_bad_input_and_other_organisations_case(
    caseworker: Membership, caseworker_client: Client, women_shelter: Service
) -> None:
    case = open_case(caseworker)
    url = f"/directory/match/{case.public_id}/"
    for bad in (
        {"submitted": "1", "latitude": "47"},
        {"submitted": "1", "latitude": "abc", "longitude": "28"},
        {"submitted": "1", "needs": "Spa"},
        {"submitted": "1", "country": "XX"},
    ):
        assert caseworker_client.get(url, bad).status_code == 400, bad
    other = signed_in_client(member(Role.CASE_WORKER))
    assert other.get(url).status_code == 404
    assert caseworker_client.get("/directory/match/not-a-case/").status_code == 404


def test_refer_links_point_to_the_referral_form_when_it_exists(
    caseworker: Membership, caseworker_client: Client, women_shelter: Service
) -> None:
    from django.urls import reverse

    case = open_case(caseworker)
    response = caseworker_client.get(
        f"/directory/match/{case.public_id}/", {"submitted": "1", "needs": "Shelter"}
    )
    base = reverse("referrals:refer", kwargs={"case_id": str(case.public_id)})
    assert f"{base}?service={women_shelter.public_id}".encode() in response.content


def test_the_search_page_makes_the_same_number_of_queries_whatever_the_rows(
    caseworker_client: Client, shelter_provider: Provider, clinic_provider: Provider
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert caseworker_client.get("/directory/").status_code == 200
        return len(queries)

    make_service(shelter_provider)
    few = count()
    for n in range(12):
        make_service(clinic_provider if n % 2 else shelter_provider, description=f"s{n}")
    assert count() == few


def test_provider_page_lists_its_services(
    caseworker_client: Client, women_shelter: Service
) -> None:
    response = caseworker_client.get(f"/directory/providers/{women_shelter.provider.public_id}/")
    assert response.status_code == 200
    assert f"/directory/services/{women_shelter.public_id}/".encode() in response.content
    assert b"Non-governmental organisation" in response.content
    assert b"/directory/manage/providers/" not in response.content  # not its to manage
    assert caseworker_client.get("/directory/providers/nope/").status_code == 404
