"""The cases API: the same rules as the pages, one error envelope, all in OpenAPI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.cases.models import AnonymousNotification, Case, CaseDecision
from palermo.people.models import Person
from palermo.testing import member, signed_in_client

from .conftest import register

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_open_decide_assign_close_through_the_api(
    worker: Membership,
    worker_client: Client,
    authority_client: Client,
    adult: Person,
    supervisor: Membership,
) -> None:
    response = post(
        worker_client, "/api/cases/", {"person": str(adult.public_id), "summary": "Met."}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    case_id = body["id"]
    assert body["stage"] == "referral" and body["person"]["name"] == "Olena Kovalenko"
    assert body["summary"] == "Met." and body["deadlines"][0]["state"] == "upcoming"

    listing = worker_client.get("/api/cases/?status=open").json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == case_id
    assert listing["next_cursor"] is None

    refused = post(
        worker_client, f"/api/cases/{case_id}/decisions", {"outcome": "positive", "reason": "x"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"

    decided = post(
        authority_client,
        f"/api/cases/{case_id}/decisions",
        {"outcome": "positive", "reason": "Indicators."},
    )
    assert decided.status_code == 201, decided.content
    decision = decided.json()["decisions"][0]
    assert decision["decision"] == "reasonable_grounds" and decision["reason"] == "Indicators."
    assert decision["organisation"]["name"] == "Ministry unit"

    assigned = post(
        worker_client, f"/api/cases/{case_id}/assign", {"case_worker": supervisor.user.username}
    )
    assert (
        assigned.status_code == 200 and assigned.json()["case_worker"] == supervisor.user.username
    )

    closed = post(worker_client, f"/api/cases/{case_id}/close", {"reason": "LostContact"})
    assert closed.status_code == 200 and closed.json()["status"] == "Closed"
    again = post(worker_client, f"/api/cases/{case_id}/close", {"reason": "LostContact"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "closed"


def test_consent_is_required_for_an_adult(worker: Membership, worker_client: Client) -> None:
    person = register(worker)
    response = post(worker_client, "/api/cases/", {"person": str(person.public_id)})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "consent_required" and "consent" in error["fields"]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"person": 12},
        {"person": "x" * 37},
        {"summary": "x" * 4001, "person": "00000000-0000-0000-0000-000000000000"},
        {"person": "00000000-0000-0000-0000-000000000000", "extra": 1},
        ["not", "an", "object"],
    ],
)
def test_bad_open_requests_are_400(worker_client: Client, body: Any) -> None:
    response = post(worker_client, "/api/cases/", body)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_unknown_and_invisible_cases_are_404(case: Case, other_ngo: Organisation) -> None:
    client = signed_in_client(member(Role.CASE_WORKER, other_ngo))
    for url in (f"/api/cases/{case.public_id}", "/api/cases/nope", "/api/cases/" + "9" * 40):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    response = post(client, f"/api/cases/{case.public_id}/close", {"reason": "Other"})
    assert response.status_code == 404
    assert client.get("/api/cases/").json()["results"] == []


def test_filters_are_checked(worker_client: Client) -> None:
    assert worker_client.get("/api/cases/?status=weird").status_code == 400
    assert worker_client.get("/api/cases/?per_page=1000").status_code == 400
    assert worker_client.get("/api/cases/?cursor=abc").status_code == 400


def test_anonymous_notifications_and_the_lifecycle(worker_client: Client) -> None:
    created = post(
        worker_client,
        "/api/cases/anonymous-notifications",
        {"gender": "Feminine", "nationality": "UA", "contact": "+380 67 123 4567"},
    )
    assert created.status_code == 201
    assert created.json()["has_contact"] is True and "contact" not in created.json()
    bad = post(
        worker_client, "/api/cases/anonymous-notifications", {"gender": "Feminine", "name": "Olena"}
    )
    assert bad.status_code == 400 and AnonymousNotification.objects.count() == 1
    listed = worker_client.get("/api/cases/anonymous-notifications").json()
    assert listed[0]["nationality"] == "UA"
    rules = worker_client.get("/api/cases/lifecycle").json()
    assert rules["entry_stage"] == "referral"
    assert rules["stages"][0]["deadline"] == {"days": 5, "unit": "working_days"}


def test_a_role_without_cases_gets_403_for_lists(shelter: Organisation) -> None:
    client = signed_in_client(member(Role.NATIONAL_COORDINATOR, shelter))
    assert client.get("/api/cases/").status_code == 403
    assert client.get("/api/cases/lifecycle").status_code == 403


def test_everything_is_in_the_openapi_document(worker_client: Client) -> None:
    paths = worker_client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/cases/",
        "/api/cases/{public_id}",
        "/api/cases/{public_id}/decisions",
        "/api/cases/{public_id}/assign",
        "/api/cases/{public_id}/close",
        "/api/cases/{public_id}/reopen",
        "/api/cases/{public_id}/advance",
        "/api/cases/anonymous-notifications",
        "/api/cases/lifecycle",
        "/api/cases/overdue",
    ):
        assert path in paths, path
    assert not CaseDecision.objects.exists()
