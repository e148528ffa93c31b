"""The case-file pages through HTTP: lists, forms, translated errors, htmx, the case page's
sections, and a constant number of queries per list page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.casefile import sections, services
from palermo.casefile.access import casefile_for_actor
from palermo.casefile.models import (
    CarePlanItem,
    CarePlanProgress,
    CaseDocument,
    CaseNote,
    NeedsAssessment,
    Perpetrator,
    TraffickingEvent,
)
from palermo.cases.models import Case
from palermo.cases.sections import case_sections
from palermo.testing import actor_for, member

from .conftest import refer
from .test_api import ASSESSMENT, CARE_ITEM, EVENT, PERPETRATOR
from .test_documents import PDF

pytestmark = pytest.mark.django_db


def page(case: Case, tail: str = "") -> str:
    return f"/casefile/{case.public_id}/{tail}"


def fill(membership: Membership, case: Case, n: int) -> None:
    """n items in every section, written through the services."""
    actor = actor_for(membership)
    casefile = casefile_for_actor(actor, case.public_id, "edit")
    for i in range(n):
        services.assessment_create(actor=actor, casefile=casefile, data=ASSESSMENT)
        item = services.care_plan_item_create(
            actor=actor, casefile=casefile, data={**CARE_ITEM, "objective": f"Objective {i}"}
        )
        services.care_plan_progress_add(
            actor=actor, casefile=casefile, item=item, data={"status": "on_hold", "note": "Wait."}
        )
        note = services.note_create(actor=actor, casefile=casefile, data={"text": f"Note {i}"})
        services.note_create(
            actor=actor,
            casefile=casefile,
            data={"text": f"Correction {i}", "corrects": str(note.public_id)},
        )
        services.event_create(actor=actor, casefile=casefile, data=EVENT)
        services.perpetrator_create(actor=actor, casefile=casefile, data=PERPETRATOR)
        services.document_add(
            actor=actor,
            casefile=casefile,
            data={"document_type": "medical"},
            upload=SimpleUploadedFile(f"d{i}.pdf", PDF),
        )


LIST_PAGES = ("", "needs/", "care-plan/", "notes/", "documents/", "events/", "perpetrators/")


def test_every_page_renders_for_the_case_worker(
    worker_a: Membership, client_a: Client, case_a: Case
) -> None:
    fill(worker_a, case_a, 2)
    for tail in LIST_PAGES:
        response = client_a.get(page(case_a, tail))
        assert response.status_code == 200, tail
        assert b"<form" in response.content or tail in ("", "needs/", "care-plan/")
    item = CarePlanItem.objects.first()
    assert item is not None
    for tail in (
        "needs/new/",
        "care-plan/new/",
        f"care-plan/{item.public_id}/",
        f"care-plan/{item.public_id}/edit/",
        f"notes/{CaseNote.objects.filter(corrects__isnull=True).first().public_id}/correct/",  # type: ignore[union-attr]
    ):
        assert client_a.get(page(case_a, tail)).status_code == 200, tail
    overview = client_a.get(page(case_a)).content.decode()
    assert "Needs and care plan" in overview and "Perpetrators" in overview
    assert "Severe need" in overview  # the pressing needs of the latest assessment
    assert "not shown to you" not in overview


def test_needs_form_good_and_bad(client_a: Client, case_a: Case) -> None:
    bad = client_a.post(
        page(case_a, "needs/new/"),
        {"assessed_on": "2024-02-30", "need_Medical_level": "high", "need_Legal_note": "Court."},
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "This date does not exist." in text
    assert "Say how urgent a need this great is." in text
    assert "This field is required." in text  # Legal has a note but no level
    assert 'value="2024-02-30"' in text  # what was typed is kept
    assert NeedsAssessment.objects.count() == 0
    good = client_a.post(
        page(case_a, "needs/new/"),
        {
            "assessed_on": "2024-02-28",
            "need_Medical_level": "high",
            "need_Medical_urgency": "immediate",
            "need_Accommodation_level": "none",
        },
    )
    assert good.status_code == 302
    assessment = NeedsAssessment.objects.get()
    assert sorted(assessment.needs.values_list("area", flat=True)) == ["Accommodation", "Medical"]


def test_translated_page_errors(client_a: Client, case_a: Case) -> None:
    client_a.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    response = client_a.post(
        page(case_a, "care-plan/new/"),
        {**CARE_ITEM, "planned_start": "2024-05-01", "planned_end": "2024-04-01"},
    )
    assert response.status_code == 400
    assert CarePlanItem.objects.count() == 0


def test_care_plan_pages_add_edit_and_progress(client_a: Client, case_a: Case) -> None:
    reversed_dates = client_a.post(
        page(case_a, "care-plan/new/"), {**CARE_ITEM, "planned_end": "2024-03-01"}
    )
    assert reversed_dates.status_code == 400
    assert "The planned end is before the planned start." in reversed_dates.content.decode()
    created = client_a.post(page(case_a, "care-plan/new/"), CARE_ITEM)
    assert created.status_code == 302
    item = CarePlanItem.objects.get()
    progress_url = page(case_a, f"care-plan/{item.public_id}/")
    bad = client_a.post(progress_url, {"status": "completed"})
    assert bad.status_code == 400
    assert "A completed support needs the date it ended." in bad.content.decode()
    good = client_a.post(
        progress_url,
        {"status": "completed", "actual_start": "2024-03-04", "actual_end": "2024-03-20"},
    )
    assert good.status_code == 302
    item.refresh_from_db()
    assert item.status == "completed" and str(item.actual_end) == "2024-03-20"
    edited = client_a.post(
        page(case_a, f"care-plan/{item.public_id}/edit/"),
        {
            **CARE_ITEM,
            "status": "completed",
            "actual_start": "2024-03-04",
            "actual_end": "2024-03-20",
            "objective": "Changed objective.",
        },
    )
    assert edited.status_code == 302, edited.content[:2000]
    item.refresh_from_db()
    assert item.objective == "Changed objective."
    assert AuditEvent.objects.filter(action="care_plan_item.update").get().details["fields"] == [
        "objective"
    ]


def test_notes_page_with_and_without_htmx(client_a: Client, case_a: Case) -> None:
    plain = client_a.post(page(case_a, "notes/"), {"text": "Without JavaScript."})
    assert plain.status_code == 302
    htmx = client_a.post(page(case_a, "notes/"), {"text": "With htmx."}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200
    body = htmx.content.decode()
    assert body.lstrip().startswith('<div id="notes-body">') and "With htmx." in body
    assert "<html" not in body
    refused = client_a.post(page(case_a, "notes/"), {"text": " "}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    assert client_a.post(page(case_a, "notes/"), {"text": ""}).status_code == 400
    note = CaseNote.objects.order_by("created_at", "id").first()
    assert note is not None and note.text == "Without JavaScript."
    corrected = client_a.post(page(case_a, f"notes/{note.public_id}/correct/"), {"text": "Fixed."})
    assert corrected.status_code == 302
    listing = client_a.get(page(case_a, "notes/")).content.decode()
    assert "Corrected by a later note" in listing and "Correction of" in listing
    assert CaseNote.objects.count() == 3


def test_event_and_perpetrator_forms(client_a: Client, case_a: Case) -> None:
    bad = client_a.post(
        page(case_a, "events/"),
        {"kind": "Transit", "country": "ZZ", "date_from": "2023-02", "date_to": "2022"},
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert (
        "This is not a country code we know." in text and "The end is before the beginning." in text
    )
    good = client_a.post(
        page(case_a, "events/"),
        {
            "kind": "Transit",
            "country": "ro",
            "locality": "Iași",
            "date_from": "2023-02",
            "date_approximate": "on",
            "transport": "road",
        },
    )
    assert good.status_code == 302
    listing = client_a.get(page(case_a, "events/")).content.decode()
    assert "Iași" in listing and "about 2023-02" in listing
    empty = client_a.post(page(case_a, "perpetrators/"), {"relationship": "Unknown"})
    assert empty.status_code == 400
    assert "Give at least a role, a name or what they did." in empty.content.decode()
    recorded = client_a.post(
        page(case_a, "perpetrators/"),
        {
            "roles": ["Exploiter", "Abuser"],
            "relationship": "Unacquainted",
            "gender": "Masculine",
            "name": "Jacek",
        },
    )
    assert recorded.status_code == 302
    assert Perpetrator.objects.get().roles == ["Exploiter", "Abuser"]
    assert TraffickingEvent.objects.get().country == "RO"


def test_document_page_upload(client_a: Client, case_a: Case) -> None:
    refused = client_a.post(
        page(case_a, "documents/"),
        {"document_type": "medical", "file": SimpleUploadedFile("x.pdf", b"MZ\x00\x00program")},
    )
    assert refused.status_code == 400
    assert "PDF documents, JPEG or PNG images, or plain text only" in refused.content.decode()
    added = client_a.post(
        page(case_a, "documents/"),
        {
            "document_type": "medical",
            "description": "Clinic",
            "file": SimpleUploadedFile("x.pdf", PDF),
        },
    )
    assert added.status_code == 302
    assert CaseDocument.objects.count() == 1
    assert "x.pdf" in client_a.get(page(case_a, "documents/")).content.decode()


def test_read_only_roles_see_no_forms(
    org_a: Organisation, worker_a: Membership, case_a: Case
) -> None:
    from palermo.testing import signed_in_client

    fill(worker_a, case_a, 1)
    authority = signed_in_client(member(Role.COMPETENT_AUTHORITY, org_a))
    for tail in ("notes/", "events/", "perpetrators/", "documents/"):
        response = authority.get(page(case_a, tail))
        assert (
            response.status_code == 200 and b'method="post" class="stacked' not in response.content
        )
    assert authority.post(page(case_a, "notes/"), {"text": "x"}).status_code == 403
    assert authority.post(page(case_a, "events/"), {"kind": "Transit"}).status_code == 403


def test_sections_are_registered_and_follow_field_groups(
    worker_a: Membership, shelter: Organisation, provider: Membership, case_a: Case
) -> None:
    names = [s.name for s in case_sections()]
    for name, _template, _order in sections.SECTIONS:
        assert name in names
    fill(worker_a, case_a, 1)
    request = RequestFactory().get("/")
    owner = actor_for(worker_a)
    contexts = {n: fn(request, owner, case_a) for n, fn in sections.CONTEXTS.items()}
    assert contexts["casefile_withheld"] is None
    health = contexts["casefile_health"]
    assert health is not None and health["casefile_health"]["summary"].items == 1
    narrative = contexts["casefile_narrative"]
    assert narrative is not None and narrative["casefile_narrative"]["summary"].notes == 2
    refer(case_a, shelter, ["identity", "health"])
    request = RequestFactory().get("/")
    receiver = actor_for(provider)
    contexts = {n: fn(request, receiver, case_a) for n, fn in sections.CONTEXTS.items()}
    assert contexts["casefile_narrative"] is None and contexts["casefile_legal"] is None
    assert contexts["casefile_health"] is not None and contexts["casefile_documents"] is not None
    withheld = contexts["casefile_withheld"]
    assert withheld is not None and "not shared" in withheld["casefile_withheld"]["message"]


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def test_query_counts_do_not_grow_with_the_list(
    org_a: Organisation, worker_a: Membership, client_a: Client
) -> None:
    from .conftest import open_case

    small, large = open_case(worker_a), open_case(worker_a)
    fill(worker_a, small, 3)
    fill(worker_a, large, 30)
    assert CarePlanProgress.objects.filter(item__case=large).count() == 30
    counts: dict[str, Any] = {}
    for tail in LIST_PAGES:
        counts[tail] = (
            _queries(client_a, page(small, tail)),
            _queries(client_a, page(large, tail)),
        )
    for tail in ("", "/needs", "/care-plan", "/notes", "/documents", "/events", "/perpetrators"):
        counts["api" + tail] = (
            _queries(client_a, f"/api/casefile/{small.public_id}{tail}"),
            _queries(client_a, f"/api/casefile/{large.public_id}{tail}"),
        )
    assert all(a == b for a, b in counts.values()), counts
