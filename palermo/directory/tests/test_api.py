"""The directory API: CRUD for those allowed, search, matching with explanations, OpenAPI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from palermo.accounts.models import Membership
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.directory.models import Provider, Service
from palermo.testing import member, signed_in_client

from .conftest import CONFIDENTIAL_ADDRESS, make_service, open_case

pytestmark = pytest.mark.django_db


def send(client: Client, method: str, url: str, data: Any = None) -> HttpResponse:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    call = getattr(client, method)
    return call(url, body, content_type="application/json")  # type: ignore[no-any-return]


def error_fields(response: HttpResponse) -> dict[str, list[str]]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    fields: dict[str, list[str]] = body["error"]["fields"]
    return fields


SERVICE = {
    "service_type": "Legal",
    "description": "Free legal aid.",
    "languages": ["ro", "en"],
    "genders": [],
    "min_age": 16,
    "max_age": 99,
    "nationalities": ["MD", "UA"],
    "capacity": 20,
    "available_places": 5,
    "opening_hours": {"mon": [["09:00", "13:00"], ["14:00", "17:00"]]},
    "city": "Chișinău",
    "admin_area": "Municipiul Chișinău",
    "latitude": 47.0105,
    "longitude": 28.8638,
    "address": "str. București 67, Chișinău",
    "confidential_address": False,
}


def test_provider_and_service_crud_by_an_administrator(admin_client: Client) -> None:
    response = send(
        admin_client,
        "post",
        "/api/directory/providers",
        {"name": "Lex", "org_type": "LegalService", "phone": "+373 22 210 333"},
    )
    assert response.status_code == 201, response.content
    provider_id = response.json()["id"]
    assert response.json()["country"] == "MD" and response.json()["can_manage"] is True
    response = send(
        admin_client, "post", f"/api/directory/providers/{provider_id}/services", SERVICE
    )
    assert response.status_code == 201, response.content
    service = response.json()
    assert service["opening_hours"] == SERVICE["opening_hours"]
    assert service["availability_updated_at"] is not None and "address" not in service
    response = admin_client.get(f"/api/directory/services/{service['id']}")
    assert response.json()["address"] == SERVICE["address"]
    response = send(
        admin_client,
        "patch",
        f"/api/directory/services/{service['id']}",
        {"max_age": 17, "confidential_address": True},
    )
    assert response.status_code == 200 and response.json()["max_age"] == 17
    response = send(
        admin_client,
        "post",
        f"/api/directory/services/{service['id']}/availability",
        {"available_places": 0},
    )
    assert response.status_code == 200 and response.json()["available_places"] == 0
    assert admin_client.delete(f"/api/directory/services/{service['id']}").status_code == 204
    assert admin_client.delete(f"/api/directory/providers/{provider_id}").status_code == 204
    assert not Provider.objects.exists()
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    for action in (
        "provider.create",
        "service.create",
        "service.update",
        "service.availability",
        "service.delete",
        "provider.delete",
        "service.read",
    ):
        assert action in actions


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_age": 40, "max_age": 20}, "max_age"),
        ({"latitude": 95}, "latitude"),
        ({"longitude": None}, "longitude"),
        ({"latitude": "47.1"}, "latitude"),
        ({"opening_hours": {"mon": [["17:00", "09:00"]]}}, "opening_hours"),
        ({"opening_hours": {"someday": [["09:00", "10:00"]]}}, "opening_hours"),
        ({"opening_hours": "always"}, "opening_hours"),
        ({"languages": ["xx"]}, "languages"),
        ({"languages": "ro"}, "languages"),
        ({"genders": ["Robot"]}, "genders"),
        ({"nationalities": ["ZZ"]}, "nationalities"),
        ({"available_places": 50}, "available_places"),
        ({"capacity": -3}, "capacity"),
        ({"min_age": True}, "min_age"),
        ({"description": "x" * 2001}, "description"),
        ({"service_type": "Spa"}, "service_type"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_service_input_gets_the_error_envelope_and_changes_nothing(
    admin_client: Client, shelter_provider: Provider, change: dict[str, Any], field: str
) -> None:
    response = send(
        admin_client,
        "post",
        f"/api/directory/providers/{shelter_provider.public_id}/services",
        {**SERVICE, **change},
    )
    assert response.status_code == 400, response.content
    assert field in error_fields(response), response.json()
    assert not Service.objects.exists()


def test_malformed_and_oversized_bodies(admin_client: Client, shelter_provider: Provider) -> None:
    url = f"/api/directory/providers/{shelter_provider.public_id}/services"
    assert send(admin_client, "post", url, b"{not json").status_code == 400
    assert send(admin_client, "post", url, b"[1, 2]").status_code == 400
    huge = {**SERVICE, "description": "x" * (3 * 1024 * 1024)}
    assert send(admin_client, "post", url, huge).status_code in (400, 413)
    assert not Service.objects.exists()


def test_a_provider_member_manages_its_own_provider_only(
    shelter_client: Client, shelter_provider: Provider, clinic_service: Service
) -> None:
    response = send(
        shelter_client,
        "patch",
        f"/api/directory/providers/{shelter_provider.public_id}",
        {"phone": "+373 22 300 411"},
    )
    assert response.status_code == 200
    clinic = clinic_service.provider
    response = send(
        shelter_client, "patch", f"/api/directory/providers/{clinic.public_id}", {"name": "X"}
    )
    assert response.status_code == 403
    response = send(
        shelter_client, "post", f"/api/directory/providers/{clinic.public_id}/services", SERVICE
    )
    assert response.status_code == 403
    response = send(
        shelter_client,
        "patch",
        f"/api/directory/services/{clinic_service.public_id}",
        {"description": "hijacked"},
    )
    assert response.status_code == 403
    # A provider member cannot link itself to another organisation, nor delete its provider.
    response = send(
        shelter_client,
        "patch",
        f"/api/directory/providers/{shelter_provider.public_id}",
        {"organisation": str(clinic.organisation.public_id)},
    )  # type: ignore[union-attr]
    assert response.status_code == 403
    assert (
        shelter_client.delete(f"/api/directory/providers/{shelter_provider.public_id}").status_code
        == 403
    )
    clinic_service.refresh_from_db()
    assert clinic_service.description == "General health care."
    response = shelter_client.get("/api/directory/providers?managed=true")
    assert [p["id"] for p in response.json()["results"]] == [str(shelter_provider.public_id)]


def test_wrong_role_and_unknown_ids(women_shelter: Service) -> None:
    case_worker = signed_in_client(member(Role.CASE_WORKER))
    response = send(
        case_worker, "post", "/api/directory/providers", {"name": "X", "org_type": "NGO"}
    )
    assert response.status_code == 403
    response = send(
        case_worker, "patch", f"/api/directory/services/{women_shelter.public_id}", {"city": "X"}
    )
    assert response.status_code == 403
    assert case_worker.get("/api/directory/services/0000").status_code == 404
    assert (
        case_worker.get("/api/directory/providers/00000000-0000-0000-0000-000000000000").status_code
        == 404
    )
    assert Client().get("/api/directory/services").status_code == 401
    # A read of a confidential address it may not see: withheld, said, not audited.
    data = case_worker.get(f"/api/directory/services/{women_shelter.public_id}").json()
    assert data["address"] is None and data["address_withheld"] is True
    assert not AuditEvent.objects.filter(action="service.read").exists()


def test_search_api(
    caseworker_client: Client, women_shelter: Service, clinic_service: Service
) -> None:
    response = caseworker_client.get("/api/directory/services", {"service_type": "Health"})
    assert [s["id"] for s in response.json()["results"]] == [str(clinic_service.public_id)]
    response = caseworker_client.get("/api/directory/services", {"gender": "Masculine"})
    assert str(women_shelter.public_id) not in [s["id"] for s in response.json()["results"]]
    assert CONFIDENTIAL_ADDRESS.encode() not in response.content
    bad = caseworker_client.get("/api/directory/services", {"age": "-1"})
    assert bad.status_code == 400 and "age" in error_fields(bad)


def test_match_api_explains_each_factor(
    caseworker: Membership,
    caseworker_client: Client,
    women_shelter: Service,
    shelter_provider: Provider,
) -> None:
    case = open_case(caseworker)
    make_service(shelter_provider, service_type="Shelter", genders=["Masculine"])
    response = send(
        caseworker_client,
        "post",
        f"/api/directory/match/{case.public_id}",
        {"needs": ["Shelter"], "latitude": 47.0, "longitude": 28.8, "places_now": True},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["person"]["gender"] == "Feminine" and data["person"]["languages"] == ["ro", "ru"]
    assert [r["service"] for r in data["ranked"]] == [str(women_shelter.public_id)]
    factors = {f["factor"] for f in data["ranked"][0]["explanation"]}
    assert factors == {"fit", "eligibility", "language", "capacity", "distance"}
    assert sum(f["points"] for f in data["ranked"][0]["explanation"]) == pytest.approx(
        data["ranked"][0]["score"], abs=0.5
    )
    assert data["not_eligible"][0]["explanation"][0]["code"] == "gender_not_served"
    bad = send(
        caseworker_client, "post", f"/api/directory/match/{case.public_id}", {"latitude": 47.0}
    )
    assert bad.status_code == 400 and "longitude" in error_fields(bad)
    bad = send(
        caseworker_client, "post", f"/api/directory/match/{case.public_id}", {"needs": ["Spa"]}
    )
    assert bad.status_code == 400
    other = signed_in_client(member(Role.CASE_WORKER))
    assert send(other, "post", f"/api/directory/match/{case.public_id}", {}).status_code == 404


def test_match_uses_the_age_only_when_identity_is_visible(
    caseworker: Membership, caseworker_client: Client, shelter_provider: Provider
) -> None:
    case = open_case(caseworker, birthdate="2012-01-01")
    make_service(shelter_provider, min_age=18)
    data = send(
        caseworker_client, "post", f"/api/directory/match/{case.public_id}", {"needs": ["Shelter"]}
    ).json()
    assert data["person"]["age_withheld"] is False
    assert data["person"]["age"] is not None and data["person"]["age"] < 18
    assert (
        data["ranked"] == []
        and data["not_eligible"][0]["explanation"][0]["code"] == "age_not_served"
    )
    assert AuditEvent.objects.filter(action="person.read", field_groups=["identity"]).exists()


def test_openapi_documents_the_directory(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/directory/providers",
        "/api/directory/providers/{public_id}/services",
        "/api/directory/services/{public_id}/availability",
        "/api/directory/match/{case_public_id}",
        "/api/directory/public",
    ):
        assert path in paths, path
    assert not paths["/api/directory/public"]["get"].get("security")


def test_a_provider_referred_without_identity_matches_without_the_age(
    caseworker: Membership,
    shelter_member: Membership,
    shelter_client: Client,
    women_shelter: Service,
) -> None:
    import datetime

    from django.utils import timezone

    from palermo.referrals.models import Referral

    case = open_case(caseworker)
    Referral.objects.create(
        case=case,
        kind="referral",
        sending_organisation=caseworker.organisation,
        receiving_organisation=shelter_member.organisation,
        reason="AdditionalServicesRequired",
        shared_groups=["health"],
        consent_basis="consent",
        respond_by=timezone.localdate() + datetime.timedelta(days=5),
        created_at=timezone.now(),
    )
    response = send(
        shelter_client, "post", f"/api/directory/match/{case.public_id}", {"needs": ["Shelter"]}
    )
    assert response.status_code == 200, response.content
    person = response.json()["person"]
    assert person["age"] is None and person["age_withheld"] is True
    codes = [f["code"] for f in response.json()["ranked"][0]["explanation"]]
    assert "age_unknown" in codes  # the shelter serves 18+: "check first", not excluded
    assert not AuditEvent.objects.filter(action="person.read", field_groups=["identity"]).exists()
