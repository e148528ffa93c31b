"""The public find-help pages and endpoint: no account, every language, no confidential address."""

from __future__ import annotations

import pytest
from django.test import Client

from palermo.directory.models import Provider, Service

from .conftest import CONFIDENTIAL_ADDRESS, PUBLIC_ADDRESS, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def hotline(clinic_provider: Provider) -> Service:
    return make_service(
        clinic_provider,
        service_type="Hotline",
        phone="+373 800 12 345",
        open_24_hours=True,
        languages=["ro", "ru", "uk"],
        address=None,
    )


def test_the_country_page_lists_help_with_the_hotline_first_and_no_confidential_address(
    women_shelter: Service, clinic_service: Service, hotline: Service
) -> None:
    response = Client().get("/help/MD/")
    assert response.status_code == 200
    body = response.content
    assert CONFIDENTIAL_ADDRESS.encode() not in body
    # Not even its coordinates: they would find the shelter as well as an address.
    assert b"47.0105" not in body and b"28.8638" not in body
    assert PUBLIC_ADDRESS.encode() in body
    assert body.index(b"+373 800 12 345") < body.index(b"Shelter NGO")
    assert b'href="tel:+37380012345"' in body
    assert b"<script" not in body  # no JavaScript at all
    assert b"csrfmiddlewaretoken" not in body
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "Accept-Language" in response["Vary"]
    assert len(body) < 30_000


def test_the_confidential_address_is_nowhere_public(
    women_shelter: Service, clinic_service: Service, hotline: Service
) -> None:
    client = Client()
    for url in (
        "/help/",
        "/help/MD/",
        "/help/MD/?service_type=Shelter",
        "/help/MD/?lang=uk",
        "/api/directory/public?country=MD",
        "/api/directory/public?country=MD&service_type=Shelter",
        "/api/openapi.json",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert CONFIDENTIAL_ADDRESS.encode() not in response.content, url
        assert "Secretă".encode() not in response.content, url


def test_every_language_has_its_own_address(women_shelter: Service) -> None:
    client = Client()
    english = client.get("/help/MD/?lang=en")
    ukrainian = client.get("/help/MD/?lang=uk")
    assert b'<html lang="en"' in english.content and ukrainian["Content-Language"] == "uk"
    assert b'<html lang="uk"' in ukrainian.content
    # The browser's language is used without ?lang, and links keep the filters.
    romanian = client.get("/help/MD/?service_type=Shelter", HTTP_ACCEPT_LANGUAGE="ro")
    assert b'<html lang="ro"' in romanian.content
    assert b"service_type=Shelter&amp;lang=uk" in romanian.content
    # A language not offered falls back quietly.
    assert client.get("/help/MD/?lang=xx").status_code == 200


def test_index_and_country_choice(women_shelter: Service) -> None:
    client = Client()
    index = client.get("/help/")
    assert index.status_code == 200 and b"/help/MD/" in index.content
    response = client.get("/help/?country=md&lang=ro")
    assert response.status_code == 302 and response["Location"] == "/help/MD/?lang=ro"
    assert client.get("/help/?country=Moldova").status_code == 404
    assert client.get("/help/ZZ/").status_code == 404
    assert client.get("/help/UA/").status_code == 404  # nothing public listed there


def test_non_public_providers_and_inactive_services_are_not_listed(
    women_shelter: Service, clinic_service: Service
) -> None:
    clinic_service.provider.public = False
    clinic_service.provider.save()
    women_shelter.active = False
    women_shelter.save()
    make_service(women_shelter.provider, service_type="Legal", description="Visible legal aid")
    body = Client().get("/help/MD/").content
    assert b"Visible legal aid" in body
    assert b"General health care" not in body and b"Safe house for women" not in body


def test_bad_filters_are_refused_with_a_message(women_shelter: Service) -> None:
    response = Client().get("/help/MD/?service_type=Spa")
    assert response.status_code == 400
    assert b"field-error" in response.content
    assert "public" not in response.get("Cache-Control", "")


def test_hostile_description_is_escaped_on_the_public_page(shelter_provider: Provider) -> None:
    make_service(shelter_provider, description="<script>alert(1)</script>")
    body = Client().get("/help/MD/").content
    assert b"<script>alert(1)" not in body and b"&lt;script&gt;alert(1)" in body


def test_public_api_without_account(
    women_shelter: Service, clinic_service: Service, hotline: Service
) -> None:
    response = Client().get("/api/directory/public?country=MD", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    data = response.json()
    assert [h["phone"] for h in data["hotlines"]] == ["+373 800 12 345"]
    by_id = {s["id"]: s for s in data["services"]}
    shelter = by_id[str(women_shelter.public_id)]
    assert shelter["address"] is None and shelter["latitude"] is None
    assert by_id[str(clinic_service.public_id)]["address"] == PUBLIC_ADDRESS
    assert "public" in response["Cache-Control"]
    assert Client().get("/api/directory/public").status_code == 400
    assert Client().get("/api/directory/public?country=ZZ").status_code == 400
    assert Client().get("/api/directory/public?country=MD&language=<b>").status_code == 400
