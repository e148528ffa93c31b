"""The screening API, the way a client (a tablet app, a partner system) uses it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.consent import services as consent_services
from palermo.people.models import Person
from palermo.screening.models import Screening
from palermo.testing import actor_for

from .records import PRESUMED, completed, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_instrument")]


def call(client: Client, method: str, path: str, data: Any = None) -> Any:
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(f"/api/screening{path}", body, content_type="application/json")


def test_a_screening_through_the_api(client_a: Client, responder_a: Membership) -> None:
    instruments = client_a.get("/api/screening/instruments").json()
    assert [i["id"] for i in instruments] == ["test-border"]
    created = call(
        client_a, "post", "/", {"instrument": "test-border", "interviewee_language": "ro"}
    )
    assert created.status_code == 201, created.content
    screening_id = created.json()["id"]
    saved = call(client_a, "put", f"/{screening_id}/answers", {"answers": PRESUMED, "step": 1})
    assert saved.status_code == 200
    assert saved.json()["answers"]["paid"] == "not_at_all"
    removed = call(client_a, "put", f"/{screening_id}/answers", {"answers": {"age": None}})
    assert "age" not in removed.json()["answers"]
    done = call(client_a, "post", f"/{screening_id}/complete")
    body = done.json()
    assert body["status"] == "completed" and body["outcome"] == "presumed_trafficked"
    assert body["assessment"]["explanation"][0]["messages"]["ro"]

    person = {"first_name": "Olena", "second_name": "Kovalenko", "birthdate": "1999-04-02"}
    candidates = call(
        client_a, "post", f"/{screening_id}/registration/candidates", {"person": person}
    )
    assert candidates.json() == {"candidates": []}
    registered = call(client_a, "post", f"/{screening_id}/registration", {"person": person})
    assert registered.status_code == 201
    assert Screening.objects.get().person.public_id.hex == registered.json()["person"].replace(
        "-", ""
    )


def test_registration_waits_while_possible_duplicates_are_unchecked(
    client_a: Client, responder_a: Membership
) -> None:
    screening = completed(responder_a)
    person = {"first_name": "Olena", "second_name": "Kovalenko", "birthdate": "1999-04-02"}
    first = call(client_a, "post", f"/{screening.public_id}/registration", {"person": person})
    assert first.status_code == 201
    other = completed(responder_a)
    before = snapshot()
    again = call(
        client_a,
        "post",
        f"/{other.public_id}/registration",
        {"person": {**person, "first_name": "Olena "}},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "possible_duplicates"
    assert snapshot()[3] == before[3]  # no new person
    found = call(
        client_a, "post", f"/{other.public_id}/registration/candidates", {"person": person}
    )
    assert [c["reference"] for c in found.json()["candidates"]] == [Person.objects.get().reference]
    linked = call(
        client_a,
        "post",
        f"/{other.public_id}/link",
        {"person": found.json()["candidates"][0]["id"]},
    )
    assert linked.status_code == 200


def test_bad_input_gets_the_error_envelope_and_changes_nothing(
    client_a: Client, responder_a: Membership
) -> None:
    screening = completed(responder_a)
    draft = call(
        client_a, "post", "/", {"instrument": "test-border", "interviewee_language": "uk"}
    ).json()["id"]
    before = snapshot()
    cases = [
        ("post", "/", {"instrument": "nope", "interviewee_language": "uk"}, 400),
        ("post", "/", {"instrument": "test-border", "interviewee_language": 5}, 400),
        ("put", f"/{draft}/answers", {"answers": {"age": "old"}}, 400),
        ("put", f"/{draft}/answers", {"answers": {"nonsense": "yes"}}, 400),
        ("put", f"/{draft}/answers", {"answers": {"sectors": ["farm", "declined"]}}, 400),
        ("put", f"/{draft}/answers", {"answers": {"age": 3}, "extra": True}, 400),
        ("put", f"/{screening.public_id}/answers", {"answers": {"age": 3}}, 409),
        ("post", f"/{screening.public_id}/review", {"decision": "confirm", "reason": "x"}, 403),
        ("get", "/not-a-uuid", None, 404),
    ]
    for method, path, data, status in cases:
        response = call(client_a, method, path, data)
        assert response.status_code == status, (path, data, response.content)
        error = response.json()["error"]
        assert set(error) == {"code", "message", "fields"} and error["message"]
    assert snapshot()[:5] == before[:5]


def test_another_organisation_finds_nothing(client_b: Client, responder_a: Membership) -> None:
    screening = completed(responder_a)
    before = snapshot()
    assert client_b.get(f"/api/screening/{screening.public_id}").status_code == 404
    assert (
        call(client_b, "put", f"/{screening.public_id}/answers", {"answers": {}}).status_code == 404
    )
    assert (
        call(client_b, "post", f"/{screening.public_id}/link", {"person": "x"}).status_code == 404
    )
    assert snapshot() == before


def test_answers_follow_the_persons_consent(
    supervisor_a: Membership, responder_a: Membership, client_a: Client
) -> None:
    from palermo.people import services as people_services

    person = people_services.person_create(actor=actor_for(responder_a), data={"first_name": "A"})
    screening = completed(responder_a, person_id=str(person.public_id))
    assert "answers" in client_a.get(f"/api/screening/{screening.public_id}").json()
    assert AuditEvent.objects.filter(action="screening.read").exists()
    consent_services.consent_record(
        actor=actor_for(responder_a),
        person=person,
        data={"language": "ro", "given_by": "person", "decisions": {"assistance": "refused"}},
    )
    body = client_a.get(f"/api/screening/{screening.public_id}").json()
    # The outcome stays (it is the organisation's own record); what was said does not.
    assert body["outcome"] == "presumed_trafficked"
    assert "answers" not in body and "assessment" not in body
