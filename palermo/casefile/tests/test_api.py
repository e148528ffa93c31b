"""The case-file API through HTTP: every item type created, listed and read; bad input refused
with the one error envelope and nothing changed; the audit trail of every write and read."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from palermo.audit.models import AuditEvent
from palermo.casefile.models import (
    CarePlanItem,
    CarePlanProgress,
    CaseNote,
    NeedRating,
    NeedsAssessment,
    Perpetrator,
    TraffickingEvent,
)
from palermo.cases.models import Case, CaseStatus
from palermo.people.tests.json_api import error_of, patch_json, post_json

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()

ASSESSMENT: dict[str, Any] = {
    "assessed_on": "2024-03-02",
    "summary": "Arrived exhausted; afraid of the recruiter's cousin.",
    "needs": [
        {
            "area": "Accommodation",
            "level": "high",
            "urgency": "immediate",
            "note": "No safe place.",
        },
        {"area": "Medical", "level": "medium", "urgency": "days"},
        {"area": "Legal", "level": "low"},
    ],
}
CARE_ITEM: dict[str, Any] = {
    "support_type": "Health",
    "objective": "Full medical check-up and treatment of the hand injury.",
    "responsible_other": "Clinica Municipală nr. 1",
    "planned_start": "2024-03-04",
    "planned_end": "2024-04-30",
}
EVENT: dict[str, Any] = {
    "kind": "Recruitment",
    "country": "md",
    "locality": "Cahul",
    "date_from": "2023-05",
    "date_approximate": True,
    "transport": "road",
    "note": "Offered work picking strawberries by a neighbour.",
}
PERPETRATOR: dict[str, Any] = {
    "roles": ["RecruiterOrIntermediary", "Transporter"],
    "relationship": "Acquainted",
    "gender": "Masculine",
    "nationality": "MD",
    "name": "Vasile 'Vasea' T.",
    "identifying_details": "Drives a grey minibus, plate C AB 123.",
}


def url(case: Case, tail: str = "") -> str:
    return f"/api/casefile/{case.public_id}{tail}"


def stored_state() -> tuple[Any, ...]:
    return (
        NeedsAssessment.objects.count(),
        NeedRating.objects.count(),
        CarePlanItem.objects.count(),
        CarePlanProgress.objects.count(),
        CaseNote.objects.count(),
        TraffickingEvent.objects.count(),
        Perpetrator.objects.count(),
        AuditEvent.objects.count(),
    )


def last_actions(n: int) -> list[str]:
    return list(AuditEvent.objects.order_by("-sequence").values_list("action", flat=True)[:n])[::-1]


# --- good paths -----------------------------------------------------------------------------


def test_needs_assessment_is_versioned_never_overwritten(client_a: Client, case_a: Case) -> None:
    first = post_json(client_a, url(case_a, "/needs"), ASSESSMENT)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["version"] == 1
    assert body["assessor_organisation"] == "Owner NGO"
    assert [n["area"] for n in body["needs"]] == ["Accommodation", "Medical", "Legal"]
    assert body["needs"][1]["urgency"] == "days" and body["needs"][2]["urgency"] is None
    second = post_json(
        client_a,
        url(case_a, "/needs"),
        {"assessed_on": "2024-04-02", "needs": [{"area": "Accommodation", "level": "none"}]},
    )
    assert second.status_code == 201, second.content
    assert second.json()["version"] == 2
    listed = client_a.get(url(case_a, "/needs")).json()
    assert [a["version"] for a in listed] == [2, 1]
    assert listed[1]["summary"] == ASSESSMENT["summary"]
    one = client_a.get(url(case_a, f"/needs/{body['id']}"))
    assert one.status_code == 200 and one.json()["version"] == 1
    event = AuditEvent.objects.filter(action="needs_assessment.create").first()
    assert event is not None and event.field_groups == ["health"]
    assert event.subject_organisation_id == case_a.owner_organisation_id
    assert "exhausted" not in str(event.details)


def test_care_plan_item_progress_and_edit(client_a: Client, case_a: Case) -> None:
    created = post_json(client_a, url(case_a, "/care-plan"), CARE_ITEM)
    assert created.status_code == 201, created.content
    item = created.json()
    assert item["status"] == "planned"
    assert item["responsible_other"] == "Clinica Municipală nr. 1"
    assert item["responsible_organisation"] is None
    progress = post_json(
        client_a,
        url(case_a, f"/care-plan/{item['id']}/progress"),
        {"status": "in_progress", "actual_start": "2024-03-05", "note": "First visit done."},
    )
    assert progress.status_code == 201, progress.content
    after = progress.json()
    assert after["status"] == "in_progress" and after["actual_start"] == "2024-03-05"
    assert after["progress"][0]["note"] == "First visit done."
    changed = patch_json(
        client_a,
        url(case_a, f"/care-plan/{item['id']}"),
        {
            "planned_end": "2024-05-31",
            "responsible_organisation": str(case_a.owner_organisation.public_id),
        },
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["planned_end"] == "2024-05-31"
    assert changed.json()["responsible_organisation"]["name"] == "Owner NGO"
    assert changed.json()["responsible_other"] is None
    update = AuditEvent.objects.get(action="care_plan_item.update")
    assert update.details["fields"] == [
        "planned_end",
        "responsible_organisation_id",
        "responsible_other",
    ]
    assert len(client_a.get(url(case_a, "/care-plan")).json()) == 1


def test_notes_are_appended_and_corrected_not_edited(client_a: Client, case_a: Case) -> None:
    first = post_json(client_a, url(case_a, "/notes"), {"text": "Met at the shelter.\nCalm."})
    assert first.status_code == 201, first.content
    note_id = first.json()["id"]
    correction = post_json(
        client_a,
        url(case_a, "/notes"),
        {"text": "It was at the hospital, not the shelter.", "corrects": note_id},
    )
    assert correction.status_code == 201, correction.content
    assert correction.json()["corrects"] == note_id
    original = client_a.get(url(case_a, f"/notes/{note_id}")).json()
    assert original["text"] == "Met at the shelter.\nCalm."
    assert original["corrected_by"] == [correction.json()["id"]]
    page = client_a.get(url(case_a, "/notes")).json()
    assert page["count"] == 2 and page["results"][0]["id"] == correction.json()["id"]
    assert "case_note.correct" in last_actions(6)
    # No route changes or deletes a note.
    assert client_a.patch(url(case_a, f"/notes/{note_id}")).status_code == 405
    assert client_a.delete(url(case_a, f"/notes/{note_id}")).status_code == 405


def test_events_keep_country_and_dates_queryable(client_a: Client, case_a: Case) -> None:
    created = post_json(client_a, url(case_a, "/events"), EVENT)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["country"] == "MD" and body["locality"] == "Cahul"
    assert body["date_from"] == "2023-05-01" and body["date_to"] == "2023-05-31"
    assert body["date_precision"] == "month" and body["date_approximate"] is True
    ranged = post_json(
        client_a,
        url(case_a, "/events"),
        {"kind": "Exploitation", "country": "PL", "date_from": "2023-06-10", "date_to": "2024-01"},
    )
    assert ranged.status_code == 201, ranged.content
    assert ranged.json()["date_to"] == "2024-01-31"
    # Routes: the country and dates are plain columns, the locality is not.
    assert TraffickingEvent.objects.filter(
        country="PL", date_from__gte=datetime.date(2023, 1, 1)
    ).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT locality, note FROM casefile_traffickingevent")
        for locality, note in cursor.fetchall():
            assert "Cahul" not in (locality or "") and "strawberries" not in (note or "")
    assert [e["kind"] for e in client_a.get(url(case_a, "/events")).json()] == [
        "Recruitment",
        "Exploitation",
    ]


def test_perpetrators_with_encrypted_identity(client_a: Client, case_a: Case) -> None:
    created = post_json(client_a, url(case_a, "/perpetrators"), PERPETRATOR)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["roles"] == ["RecruiterOrIntermediary", "Transporter"]
    assert body["name"] == "Vasile 'Vasea' T."
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, identifying_details, nationality FROM casefile_perpetrator")
        name, details, nationality = cursor.fetchone()
    assert "Vasile" not in name and "minibus" not in details and nationality == "MD"
    fetched = client_a.get(url(case_a, f"/perpetrators/{body['id']}"))
    assert fetched.json()["identifying_details"] == PERPETRATOR["identifying_details"]


def test_overview_has_every_section_for_the_case_worker(client_a: Client, case_a: Case) -> None:
    post_json(client_a, url(case_a, "/needs"), ASSESSMENT)
    post_json(client_a, url(case_a, "/notes"), {"text": "First note."})
    body = client_a.get(url(case_a)).json()
    assert body["sections"] == [
        "needs",
        "care_plan",
        "notes",
        "events",
        "perpetrators",
        "documents",
    ]
    assert body["writable"] == body["sections"]
    assert body["needs"]["version"] == 1
    assert body["notes"]["count"] == 1
    reads = AuditEvent.objects.filter(action="case.read", object_id=str(case_a.public_id))
    assert {tuple(e.field_groups) for e in reads} >= {("health",), ("narrative",), ("legal",)}


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "body", "field"),
    [
        (
            "/needs",
            {"assessed_on": "2024-02-30", "needs": [{"area": "Medical", "level": "low"}]},
            "assessed_on",
        ),
        (
            "/needs",
            {"assessed_on": "2999-01-01", "needs": [{"area": "Medical", "level": "low"}]},
            "assessed_on",
        ),
        (
            "/needs",
            {"assessed_on": "2024-02-01", "needs": [{"area": "Medical", "level": "high"}]},
            "need_Medical_urgency",
        ),
        (
            "/needs",
            {"assessed_on": "2024-02-01", "needs": [{"area": "Moon", "level": "high"}]},
            "needs",
        ),
        (
            "/needs",
            {"assessed_on": "2024-02-01", "needs": [{"area": "Medical", "level": "huge"}]},
            "need_Medical_level",
        ),
        ("/needs", {"assessed_on": "2024-02-01", "needs": []}, "needs"),
        ("/needs", {"needs": [{"area": "Medical", "level": "low"}]}, "assessed_on"),
        ("/care-plan", {**CARE_ITEM, "planned_end": "2024-03-01"}, "planned_end"),
        (
            "/care-plan",
            {**CARE_ITEM, "actual_start": "2024-03-10", "actual_end": "2024-03-09"},
            "actual_end",
        ),
        ("/care-plan", {**CARE_ITEM, "support_type": "Magic"}, "support_type"),
        ("/care-plan", {**CARE_ITEM, "objective": "  "}, "objective"),
        ("/care-plan", {**CARE_ITEM, "responsible_other": None}, "responsible_organisation"),
        (
            "/care-plan",
            {**CARE_ITEM, "responsible_organisation": "not-an-id"},
            "responsible_organisation",
        ),
        ("/care-plan", {**CARE_ITEM, "status": "completed"}, "actual_end"),
        ("/care-plan", {**CARE_ITEM, "planned_start": "04/03/2024"}, "planned_start"),
        ("/notes", {"text": ""}, "text"),
        ("/notes", {"text": "bell\u0007"}, "text"),
        ("/notes", {"text": "x", "corrects": "00000000-0000-0000-0000-000000000000"}, "corrects"),
        ("/events", {**EVENT, "country": "XX"}, "country"),
        ("/events", {**EVENT, "kind": "Holiday"}, "kind"),
        ("/events", {**EVENT, "date_from": "2023-13"}, "date_from"),
        ("/events", {**EVENT, "date_from": "2024-02", "date_to": "2023-12"}, "date_to"),
        ("/events", {**EVENT, "date_from": None, "date_to": "2023-12"}, "date_from"),
        ("/events", {**EVENT, "date_from": str(TODAY.year + 1)}, "date_from"),
        ("/perpetrators", {"roles": ["Wizard"]}, "roles"),
        ("/perpetrators", {}, "roles"),
        ("/perpetrators", {**PERPETRATOR, "nationality": "Moldova"}, "nationality"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    client_a: Client, case_a: Case, tail: str, body: dict[str, Any], field: str
) -> None:
    before = stored_state()
    response = post_json(client_a, url(case_a, tail), body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert stored_state() == before


def test_wrong_types_and_unknown_fields_are_refused(client_a: Client, case_a: Case) -> None:
    before = stored_state()
    for body in (
        {"text": 12},
        {"text": "ok", "author": "someone else"},
        {"text": ["a"]},
    ):
        response = post_json(client_a, url(case_a, "/notes"), body)
        assert response.status_code == 400, response.content
        assert error_of(response)["code"] == "invalid"
    malformed = post_json(client_a, url(case_a, "/notes"), b"{not json")
    assert malformed.status_code == 400 and error_of(malformed)["code"] == "malformed"
    assert stored_state() == before


def test_translated_messages(client_a: Client, case_a: Case) -> None:
    response = post_json(
        client_a,
        url(case_a, "/care-plan"),
        {**CARE_ITEM, "planned_end": "2024-03-01"},
        HTTP_ACCEPT_LANGUAGE="ro",
    )
    assert response.status_code == 400
    assert error_of(response)["fields"]["planned_end"]


def test_closed_case_is_read_only(client_a: Client, case_a: Case) -> None:
    Case.objects.filter(pk=case_a.pk).update(status=CaseStatus.CLOSED, closed_at=timezone.now())
    response = post_json(client_a, url(case_a, "/notes"), {"text": "Late note."})
    assert response.status_code == 400
    assert error_of(response)["code"] == "case_closed"
    assert client_a.get(url(case_a)).json()["writable"] == []
    assert CaseNote.objects.count() == 0


def test_unknown_items_and_malformed_ids_are_404(client_a: Client, case_a: Case) -> None:
    for tail in (
        "/needs/00000000-0000-0000-0000-000000000000",
        "/notes/not-a-uuid",
        "/care-plan/" + "1" * 80,
        "/events/00000000-0000-0000-0000-000000000000",
    ):
        response = client_a.get(url(case_a, tail))
        assert response.status_code == 404, tail
        assert error_of(response)["code"] == "not_found"
    assert client_a.get("/api/casefile/not-a-case").status_code == 404


def test_openapi_describes_every_casefile_route(client_a: Client) -> None:
    schema = client_a.get("/api/openapi.json").json()
    paths = [p for p in schema["paths"] if p.startswith("/api/casefile/")]
    for tail in ("/needs", "/care-plan", "/notes", "/documents", "/events", "/perpetrators"):
        assert f"/api/casefile/{{case_id}}{tail}" in paths
        assert set(schema["paths"][f"/api/casefile/{{case_id}}{tail}"]) == {"get", "post"}
    download = schema["paths"]["/api/casefile/{case_id}/documents/{item_id}/content"]["get"]
    assert "404" in download["responses"]
