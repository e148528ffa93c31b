"""The intake API through HTTP, with an API token as a machine uses it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from palermo.accounts.actors import Actor
from palermo.accounts.models import ApiToken, Membership, Organisation
from palermo.accounts.roles import Role
from palermo.accounts.services import api_token_create
from palermo.audit.models import AuditEvent
from palermo.intake.models import Contact, Escalation
from palermo.testing import member

from .records import record, snapshot

pytestmark = pytest.mark.django_db


def bearer(membership: Membership, purpose: str = "assistance") -> dict[str, str]:
    _token, secret = api_token_create(
        actor=Actor.system("test"),
        name="test",
        membership=membership,
        purpose=purpose,
        expires_in_days=30,
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client: Client, url: str, data: Any, headers: dict[str, str]) -> Any:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(url, body, content_type="application/json", **headers)


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]  # type: ignore[no-any-return]


def test_create_list_get_claim_and_escalate(
    client: Client, operator: Membership, police: Organisation
) -> None:
    auth = bearer(operator)
    created = post(
        client,
        "/api/intake/contacts",
        {"channel": "phone", "category": "crisis", "urgency": 4, "narrative": "Call 069 123 456"},
        auth,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["category"] == "crisis" and body["narrative"] == "Call 069 123 456"
    assert body["identifiers"][0]["value"] == "+37369123456"
    queue = client.get("/api/intake/contacts", **auth).json()
    assert [item["id"] for item in queue] == [body["id"]]
    assert "narrative" not in queue[0]
    claimed = post(client, f"/api/intake/contacts/{body['id']}/claim", {}, auth)
    assert claimed.status_code == 200 and claimed.json()["status"] == "claimed"
    escalated = post(
        client,
        f"/api/intake/contacts/{body['id']}/escalate",
        {"basis": "consent", "to_organisation": str(police.public_id)},
        auth,
    )
    assert escalated.status_code == 201, escalated.content
    assert AuditEvent.objects.filter(action="contact.escalated").get().details["basis"] == "consent"


def test_bad_input_gets_the_error_envelope_and_changes_nothing(
    client: Client, operator: Membership, police: Organisation
) -> None:
    auth = bearer(operator)
    contact = record(operator)
    before = snapshot()
    for url, data, field in (
        ("/api/intake/contacts", {"channel": "fax"}, "channel"),
        ("/api/intake/contacts", {"channel": "phone", "urgency": 9}, "urgency"),
        ("/api/intake/contacts", {"channel": "phone", "colour": "red"}, "colour"),
        ("/api/intake/contacts", {"channel": "phone", "reporter_phone": "nope"}, "reporter_phone"),
        (
            f"/api/intake/contacts/{contact.public_id}/escalate",
            {"to_organisation": str(police.public_id)},
            "basis",
        ),
    ):
        response = post(client, url, data, auth)
        assert response.status_code == 400, (url, data, response.content)
        assert field in error_of(response)["fields"], response.content
    malformed = post(client, "/api/intake/contacts", b"{not json", auth)
    assert malformed.status_code == 400 and error_of(malformed)["code"] == "malformed"
    assert snapshot() == before


def test_other_organisations_get_404(
    client: Client, operator: Membership, outsider: Membership, police: Organisation
) -> None:
    contact = record(operator)
    auth = bearer(outsider)
    before = snapshot()
    assert client.get(f"/api/intake/contacts/{contact.public_id}", **auth).status_code == 404
    for suffix, data in (
        ("/claim", {}),
        ("/status", {"status": "closed"}),
        ("/escalate", {"basis": "consent", "to_organisation": str(police.public_id)}),
    ):
        response = post(client, f"/api/intake/contacts/{contact.public_id}{suffix}", data, auth)
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert client.get("/api/intake/contacts", **auth).json() == []
    assert snapshot() == before
    assert not Escalation.objects.exists()


def test_roles_without_the_permissions(
    client: Client, operator: Membership, hotline: Organisation, police: Organisation
) -> None:
    contact = record(operator)
    researcher = bearer(member(Role.RESEARCHER, hotline), purpose="research")
    assert client.get("/api/intake/contacts", **researcher).status_code == 403
    case_worker = bearer(member(Role.CASE_WORKER, hotline))
    response = post(
        client,
        f"/api/intake/contacts/{contact.public_id}/escalate",
        {"basis": "consent", "to_organisation": str(police.public_id)},
        case_worker,
    )
    assert response.status_code == 403
    assert client.get("/api/intake/contacts").status_code == 401
    assert (
        Contact.objects.count() == 1
        and not ApiToken.objects.filter(revoked_at__isnull=False).exists()
    )
