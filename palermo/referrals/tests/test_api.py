"""The referrals API through HTTP: send, answer, list, the document; bad input → the error
envelope, status 400/403/404/409, and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.cases.models import Case
from palermo.referrals.models import Referral
from palermo.testing import OrganisationFactory, member, signed_in_client

from .records import OLENA, SUMMARY, consent, error_of, post_json, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def sender(worker: Membership) -> Client:
    return signed_in_client(worker)


@pytest.fixture
def receiver(provider: Membership) -> Client:
    return signed_in_client(provider)


def body(case: Case, clinic: Organisation, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "case": str(case.public_id),
        "receiving_organisation": str(clinic.public_id),
        "reason": "AdditionalServicesRequired",
        "details": "Needs a doctor who speaks Ukrainian.",
        "shared_groups": ["identity", "health"],
    }
    data.update(extra)
    return data


def test_send_answer_and_list(
    sender: Client, receiver: Client, case: Case, clinic: Organisation, provider: Membership
) -> None:
    consent(case.person, "referral", organisation=clinic)
    response = post_json(sender, "/api/referrals/", body(case, clinic))
    assert response.status_code == 201, response.content
    data = response.json()
    referral_id = data["referral"]["id"]
    assert data["referral"]["state"] == "pending" and data["person"] is None  # the sender's view
    assert data["actions"] == ["revoke"]
    inbox = receiver.get("/api/referrals/?box=received").json()
    assert [r["id"] for r in inbox["results"]] == [referral_id]
    assert sender.get("/api/referrals/?box=sent&state=pending").json()["count"] == 1
    assert sender.get("/api/referrals/?box=received").json()["count"] == 0
    seen = receiver.get(f"/api/referrals/{referral_id}").json()
    assert seen["actions"] == ["accept", "decline"]
    assert seen["person"]["first_name"] == OLENA["first_name"]
    assert "mobile_phone" not in seen["person"]  # contact not shared
    assert seen["details"] == "Needs a doctor who speaks Ukrainian."
    assert seen["case_summary"] is None
    accepted = post_json(
        receiver, f"/api/referrals/{referral_id}/accept", {"case_worker": provider.user.username}
    )
    assert accepted.status_code == 200
    assert accepted.json()["referral"]["receiving_case_worker"] == provider.user.username
    for action in ("start", "done"):
        assert post_json(receiver, f"/api/referrals/{referral_id}/{action}", {}).json()["referral"][
            "state"
        ] in ("in_progress", "done")
    events = receiver.get(f"/api/referrals/{referral_id}").json()["events"]
    assert [e["to_state"] for e in events] == ["pending", "accepted", "in_progress", "done"]
    assert all(e["consent_basis"] == "consent" for e in events)


def test_document_data_for_the_sender_only(
    sender: Client, receiver: Client, worker: Membership, case: Case
) -> None:
    consent(case.person, "referral", external="Caritas Tiraspol")
    response = post_json(
        sender,
        "/api/referrals/",
        {
            "case": str(case.public_id),
            "external_organisation_name": "Caritas Tiraspol",
            "reason": "Other",
            "shared_groups": ["identity", "narrative"],
        },
    )
    assert response.status_code == 201, response.content
    referral_id = response.json()["referral"]["id"]
    document = sender.get(f"/api/referrals/{referral_id}/document").json()
    assert document["person"]["first_name"] == OLENA["first_name"]
    assert "mobile_phone" not in document["person"] and "mailing_city" not in document["person"]
    assert document["case_summary"] == SUMMARY and document["groups"] == ["identity", "narrative"]
    audit = AuditEvent.objects.filter(action="referral.read", object_id=referral_id).get()
    assert audit.field_groups == ["identity", "narrative"]
    assert receiver.get(f"/api/referrals/{referral_id}/document").status_code == 404
    assert error_of(receiver.get(f"/api/referrals/{referral_id}"))["code"] == "not_found"


BAD_BODIES: list[tuple[str, Any, str]] = [
    ("missing reason", {"reason": None}, "reason"),
    ("no groups", {"shared_groups": []}, "shared_groups"),
    ("unknown group", {"shared_groups": ["identity", "secrets"]}, "shared_groups"),
    ("group as a string", {"shared_groups": "identity"}, "shared_groups"),
    ("malformed organisation", {"receiving_organisation": "not-a-uuid"}, "receiving_organisation"),
    (
        "unknown organisation",
        {"receiving_organisation": "00000000-0000-0000-0000-000000000000"},
        "receiving_organisation",
    ),
    ("two receivers", {"external_organisation_name": "Also them"}, "receiving_organisation"),
    ("oversized details", {"details": "x" * 4001}, "details"),
    (
        "oversized external name",
        {"receiving_organisation": None, "external_organisation_name": "x" * 201},
        "external_organisation_name",
    ),
    (
        "control characters",
        {"receiving_organisation": None, "external_organisation_name": "Evil\u0000Org"},
        "external_organisation_name",
    ),
    ("past deadline", {"respond_by": "2001-01-01"}, "respond_by"),
    ("bad deadline", {"respond_by": "31/12/2030"}, "respond_by"),
    ("unknown field", {"owner": "me"}, "owner"),
    ("wrong reason", {"reason": "Because"}, "reason"),
    ("number as text", {"details": 12}, "details"),
    ("own organisation", {"receiving_organisation": "OWN"}, "receiving_organisation"),
    ("group the sender cannot see", {"shared_groups": ["identity", "health"]}, "shared_groups"),
]


@pytest.mark.parametrize("label,change,field", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_input_is_refused_and_nothing_changes(
    label: str,
    change: dict[str, Any],
    field: str,
    case: Case,
    clinic: Organisation,
    shelter: Organisation,
) -> None:
    consent(case.person, "referral", organisation=clinic)
    who = member(
        Role.FIRST_RESPONDER
        if field == "shared_groups" and "health" in str(change)
        else Role.CASE_WORKER,
        shelter,
    )
    client = signed_in_client(who)
    data = body(case, clinic)
    data.update({k: v for k, v in change.items()})
    if data.get("receiving_organisation") == "OWN":
        data["receiving_organisation"] = str(shelter.public_id)
    data = {k: v for k, v in data.items() if v is not None}
    before = snapshot()
    response = post_json(client, "/api/referrals/", data)
    assert response.status_code == 400, (label, response.content)
    error = error_of(response)
    assert field in error["fields"], (label, error)
    assert snapshot() == before


def test_malformed_bodies(sender: Client) -> None:
    before = snapshot()
    assert error_of(post_json(sender, "/api/referrals/", b"{not json"))["code"] == "malformed"
    assert error_of(post_json(sender, "/api/referrals/", b"[1, 2]"))["code"] == "malformed"
    assert (
        error_of(
            post_json(
                sender,
                "/api/referrals/",
                {"case": "x" * 37, "reason": "Other", "shared_groups": ["identity"]},
            )
        )["code"]
        == "invalid"
    )
    assert snapshot() == before


def test_wrong_case_role_and_side(
    sender: Client, receiver: Client, case: Case, clinic: Organisation, shelter: Organisation
) -> None:
    consent(case.person, "referral", organisation=clinic)
    before = snapshot()
    # A case of another organisation, and one that does not exist: 404.
    assert (
        error_of(post_json(receiver, "/api/referrals/", body(case, clinic)))["code"] == "not_found"
    )
    missing = {**body(case, clinic), "case": "00000000-0000-0000-0000-000000000000"}
    assert post_json(sender, "/api/referrals/", missing).status_code == 404
    # A role that sees the case but may not refer: 403.
    investigator = signed_in_client(member(Role.INVESTIGATOR, shelter))
    assert (
        error_of(post_json(investigator, "/api/referrals/", body(case, clinic)))["code"]
        == "forbidden"
    )
    # A role that sees no cases at all: 403 on lists, 404 on records.
    officer = signed_in_client(member(Role.PROGRAMME_OFFICER, shelter))
    assert officer.get("/api/referrals/").status_code == 403
    assert snapshot() == before
    referral_id = post_json(sender, "/api/referrals/", body(case, clinic)).json()["referral"]["id"]
    before = snapshot()
    assert post_json(sender, f"/api/referrals/{referral_id}/accept", {}).status_code == 403
    assert post_json(receiver, f"/api/referrals/{referral_id}/revoke", {}).status_code == 403
    decline = post_json(receiver, f"/api/referrals/{referral_id}/decline", {})
    assert decline.status_code == 400 and "note" in error_of(decline)["fields"]
    assert post_json(receiver, f"/api/referrals/{referral_id}/start", {}).status_code == 409
    assert (
        post_json(
            receiver, f"/api/referrals/{referral_id}/accept", {"case_worker": "nobody"}
        ).status_code
        == 400
    )
    assert (
        post_json(receiver, f"/api/referrals/{referral_id}/accept", {"note": 5}).status_code == 400
    )
    assert post_json(receiver, f"/api/referrals/{referral_id}/approve", {}).status_code in (
        404,
        405,
    )
    assert receiver.get("/api/referrals/not-a-uuid").status_code == 404
    assert snapshot() == before
    # The double click: the second accept is a conflict, with the envelope.
    assert post_json(receiver, f"/api/referrals/{referral_id}/accept", {}).status_code == 200
    second = post_json(receiver, f"/api/referrals/{referral_id}/accept", {})
    assert second.status_code == 409 and error_of(second)["code"] == "conflict"
    assert Referral.objects.get().events.filter(to_state="accepted").count() == 1


def test_consent_required_and_override(
    sender: Client, case: Case, clinic: Organisation, supervisor: Membership
) -> None:
    before = snapshot()
    refused = post_json(sender, "/api/referrals/", body(case, clinic))
    assert refused.status_code == 400 and error_of(refused)["code"] == "consent_required"
    assert snapshot() == before
    boss = signed_in_client(supervisor)
    needs_reason = post_json(boss, "/api/referrals/", body(case, clinic))
    assert "override_reason" in error_of(needs_reason)["fields"]
    sent = post_json(
        boss, "/api/referrals/", body(case, clinic, override_reason="Immediate danger")
    )
    assert sent.status_code == 201 and sent.json()["referral"]["consent_basis"] == "override"


def test_openapi_describes_the_endpoints(sender: Client) -> None:
    schema = sender.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/referrals/",
        "/api/referrals/{public_id}",
        "/api/referrals/{public_id}/accept",
        "/api/referrals/{public_id}/decline",
        "/api/referrals/{public_id}/start",
        "/api/referrals/{public_id}/done",
        "/api/referrals/{public_id}/revoke",
        "/api/referrals/{public_id}/document",
    ):
        assert path in paths, path
    assert "409" in paths["/api/referrals/{public_id}/accept"]["post"]["responses"]


def test_other_deployment_org_cannot_see_lists(db: None) -> None:
    client = signed_in_client(member(Role.CASE_WORKER, OrganisationFactory()))
    assert client.get("/api/referrals/?box=sent").json() == {
        "count": 0,
        "page": 1,
        "pages": 1,
        "results": [],
    }
    assert client.get("/api/referrals/?box=elsewhere").status_code == 400
