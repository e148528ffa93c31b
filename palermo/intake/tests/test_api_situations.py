"""Situations and intake statistics through the API, with API tokens as machines use it."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.intake.models import Campaign, Contact, Situation
from palermo.people.services import person_create
from palermo.testing import actor_for, member

from .records import record
from .test_api import bearer, error_of, post

pytestmark = pytest.mark.django_db


def send(client: Client, method: str, url: str, data: Any, auth: dict[str, str]) -> Any:
    body = json.dumps(data).encode()
    return getattr(client, method)(url, body, content_type="application/json", **auth)


def state() -> tuple[Any, ...]:
    return (
        tuple(Situation.objects.order_by("pk").values_list("pk", "status", "summary")),
        tuple(Contact.objects.order_by("pk").values_list("pk", "situation_id")),
        AuditEvent.objects.count(),
    )


def test_open_read_link_and_close_a_situation(client: Client, operator: Membership) -> None:
    auth = bearer(operator)
    contact = record(operator, category="crisis", urgency=4, channel="sms")
    ana = person_create(
        actor=actor_for(operator), data={"first_name": "Ana", "second_name": "Cojocaru"}
    )
    created = post(
        client,
        "/api/intake/situations",
        {"contact": contact.reference, "summary": "Minibus ABC 123"},
        auth,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "open" and body["summary"] == "Minibus ABC 123"
    assert body["contacts"] == [
        {
            "id": str(contact.public_id),
            "reference": contact.reference,
            "received_at": body["contacts"][0]["received_at"],
            "channel": "sms",
            "category": "crisis",
            "urgency": 4,
            "status": "new",
        }
    ]
    url = f"/api/intake/situations/{body['id']}"

    linked = post(client, f"{url}/persons", {"person": str(ana.public_id), "role": "suspect"}, auth)
    assert linked.status_code == 200, linked.content
    (entry,) = linked.json()["persons"]
    assert entry == {
        "id": str(ana.public_id),
        "reference": ana.reference,
        "role": "suspect",
        "linked_at": entry["linked_at"],
        "display_name": "Ana Cojocaru",
    }
    second = record(operator)
    added = post(client, f"{url}/contacts", {"contact": str(second.public_id)}, auth)
    assert [c["reference"] for c in added.json()["contacts"]] == [
        contact.reference,
        second.reference,
    ]
    patched = send(client, "patch", url, {"summary": "Two calls, one minibus"}, auth)
    assert patched.json()["summary"] == "Two calls, one minibus"
    closed = post(client, f"{url}/status", {"status": "closed"}, auth)
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]

    listed = client.get("/api/intake/situations?show=closed", **auth).json()
    assert [(s["id"], s["contact_count"], s["person_count"], s["crisis"]) for s in listed] == [
        (body["id"], 2, 1, True)
    ]
    assert listed[0]["top_urgency"] == 4
    assert "summary" not in listed[0]
    assert client.get("/api/intake/situations", **auth).json() == []  # none open
    assert client.get("/api/intake/situations?show=all&page=2", **auth).json() == []

    removed = client.delete(f"{url}/contacts/{second.public_id}", **auth)
    assert [c["id"] for c in removed.json()["contacts"]] == [str(contact.public_id)]
    unlinked = client.delete(f"{url}/persons/{ana.public_id}", **auth)
    assert unlinked.json()["persons"] == []
    assert client.get(url, **auth).json()["status"] == "closed"
    names = AuditEvent.objects.filter(action="person.list")
    assert names.exists() and all(e.details["situation"] == body["id"] for e in names)


def test_bad_input_answers_400_with_the_error_shape_and_changes_nothing(
    client: Client, operator: Membership
) -> None:
    auth = bearer(operator)
    contact = record(operator)
    situation = post(client, "/api/intake/situations", {"contact": contact.reference}, auth).json()
    url = f"/api/intake/situations/{situation['id']}"
    before = state()
    for method, path, data, field in (
        ("post", "/api/intake/situations", {"contact": contact.reference, "x": 1}, "x"),
        ("post", "/api/intake/situations", {"contact": 12}, "contact"),
        ("post", "/api/intake/situations", {"contact": "c" * 37}, "contact"),
        ("post", f"{url}/status", {"status": "archived"}, "status"),
        ("patch", url, {"summary": "s" * 2001}, "summary"),
        ("patch", url, {"summary": "bell\u0007"}, "summary"),
        ("post", f"{url}/persons", {"person": "p", "role": "boss"}, "role"),
    ):
        response = send(client, method, path, data, auth)
        assert response.status_code == 400, (path, data, response.content)
        assert field in error_of(response)["fields"], (path, data)
    response = client.post(f"{url}/contacts", b"{not json", content_type="application/json", **auth)
    assert response.status_code == 400 and error_of(response)["code"] == "malformed"
    assert state() == before


def test_other_organisations_get_404_and_read_only_roles_403(
    client: Client, operator: Membership, outsider: Membership, hotline: Organisation
) -> None:
    contact = record(operator)
    situation = post(
        client, "/api/intake/situations", {"contact": contact.reference}, bearer(operator)
    ).json()
    url = f"/api/intake/situations/{situation['id']}"
    theirs = bearer(outsider)
    before = state()
    assert client.get(url, **theirs).status_code == 404
    assert post(client, f"{url}/status", {"status": "closed"}, theirs).status_code == 404
    assert (
        post(client, f"{url}/contacts", {"contact": contact.reference}, theirs).status_code == 404
    )
    assert client.delete(f"{url}/contacts/{contact.public_id}", **theirs).status_code == 404
    assert (
        post(client, "/api/intake/situations", {"contact": str(contact.public_id)}, theirs)
    ).status_code == 404
    assert client.get("/api/intake/situations?show=all", **theirs).json() == []
    viewer = bearer(member(Role.CASE_WORKER, hotline))
    before = state()
    assert client.get(url, **viewer).status_code == 200
    response = post(client, f"{url}/status", {"status": "closed"}, viewer)
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert state()[:2] == before[:2]


def test_statistics_give_the_page_figures_with_date_filters(
    client: Client, operator: Membership, hotline: Organisation
) -> None:
    radio = Campaign.objects.create(owner_organisation=hotline, name="Radio", numbers=["0800"])
    for channel, category, language in (
        ("phone", "tip", "ro"),
        ("sms", "crisis", "uk"),
        ("sms", "tip", "ro"),
    ):
        record(
            operator,
            channel=channel,
            category=category,
            language=language,
            campaign=str(radio.public_id),
        )
    old = record(operator)
    Contact.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - datetime.timedelta(days=40)
    )
    auth = bearer(operator)
    response = client.get("/api/intake/statistics", **auth)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == 3 and body["coalition_wide"] is False and body["small_cell"] == 3
    tables = {t["key"]: {r["key"]: r["count"] for r in t["rows"]} for t in body["tables"]}
    assert tables["channel"] == {"sms": 2, "phone": 1}
    assert tables["category"] == {"tip": 2, "crisis": 1}
    assert tables["language"] == {"ro": 2, "uk": 1}
    assert tables["source"] == {"Radio": 3}
    assert sum(tables["day"].values()) == 3

    today = timezone.localdate()
    wide = client.get(
        f"/api/intake/statistics?from={today - datetime.timedelta(days=60)}&to={today}", **auth
    ).json()
    assert wide["total"] == 4
    assert wide["date_from"] == str(today - datetime.timedelta(days=60))

    for query, field in (
        ("from=2026-13-01", "from"),
        ("from=yesterday", "from"),
        ("from=2026-05-02&to=2026-05-01", "to"),
        ("from=2020-01-01&to=2026-01-01", "to"),
    ):
        refused = client.get(f"/api/intake/statistics?{query}", **auth)
        assert refused.status_code == 400, query
        assert field in error_of(refused)["fields"], query


def test_the_coordinator_sees_the_coalition_with_small_counts_withheld(
    client: Client, operator: Membership, outsider: Membership, hotline: Organisation
) -> None:
    for _ in range(3):
        record(operator, channel="phone")
    record(outsider, channel="email")
    coordinator = bearer(member(Role.NATIONAL_COORDINATOR, hotline), purpose="administration")
    body = client.get("/api/intake/statistics", **coordinator).json()
    assert body["coalition_wide"] and body["suppressed"] and body["total"] == 4
    channels = {
        r["key"]: r["count"] for t in body["tables"] if t["key"] == "channel" for r in t["rows"]
    }
    assert channels == {"phone": 3, "email": None}  # one email: withheld
    researcher = bearer(member(Role.CASE_WORKER, hotline))  # may not see statistics
    assert client.get("/api/intake/statistics", **researcher).status_code == 403


def test_the_openapi_document_describes_situations_and_statistics(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/intake/situations",
        "/api/intake/situations/{public_id}",
        "/api/intake/situations/{public_id}/status",
        "/api/intake/situations/{public_id}/contacts",
        "/api/intake/situations/{public_id}/contacts/{contact_id}",
        "/api/intake/situations/{public_id}/persons",
        "/api/intake/situations/{public_id}/persons/{person_id}",
        "/api/intake/statistics",
    ):
        assert path in paths, path
    parameters = {p["name"] for p in paths["/api/intake/statistics"]["get"]["parameters"]}
    assert {"from", "to"} <= parameters
