"""Who sees and writes which part of a case file: organisations, roles, referrals, consent."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.casefile import services
from palermo.casefile.access import casefile_for_actor
from palermo.casefile.models import CarePlanItem, CaseNote
from palermo.cases.models import Case
from palermo.people.tests.json_api import error_of, post_json
from palermo.referrals.models import Referral, ReferralState
from palermo.testing import actor_for, member, signed_in_client

from .conftest import refer
from .test_api import ASSESSMENT, CARE_ITEM, EVENT, PERPETRATOR
from .test_documents import PDF

pytestmark = pytest.mark.django_db

CASE_FILE_PAGES = ("", "needs/", "care-plan/", "notes/", "documents/", "events/", "perpetrators/")


@pytest.fixture
def full_case(worker_a: Membership, case_a: Case) -> Case:
    """A case with something in every section, written by its owner's case worker."""
    actor = actor_for(worker_a)
    casefile = casefile_for_actor(actor, case_a.public_id, "edit")
    services.assessment_create(actor=actor, casefile=casefile, data=ASSESSMENT)
    services.care_plan_item_create(actor=actor, casefile=casefile, data=CARE_ITEM)
    services.note_create(actor=actor, casefile=casefile, data={"text": "Owner's note."})
    services.event_create(actor=actor, casefile=casefile, data=EVENT)
    services.perpetrator_create(actor=actor, casefile=casefile, data=PERPETRATOR)
    for document_type in ("identity", "medical", "legal", "other"):
        services.document_add(
            actor=actor,
            casefile=casefile,
            data={"document_type": document_type},
            upload=SimpleUploadedFile(f"{document_type}.pdf", PDF),
        )
    return case_a


def api(case: Case, tail: str = "") -> str:
    return f"/api/casefile/{case.public_id}{tail}"


def test_another_organisation_gets_404_everywhere(client_b: Client, full_case: Case) -> None:
    for tail in ("", "/needs", "/care-plan", "/notes", "/documents", "/events", "/perpetrators"):
        response = client_b.get(api(full_case, tail))
        assert response.status_code == 404, tail
        assert error_of(response)["code"] == "not_found"
    response = post_json(client_b, api(full_case, "/notes"), {"text": "Sneaky."})
    assert response.status_code == 404
    for page in CASE_FILE_PAGES:
        assert client_b.get(f"/casefile/{full_case.public_id}/{page}").status_code == 404
    document = full_case.documents.first()
    assert document is not None
    assert (
        client_b.get(api(full_case, f"/documents/{document.public_id}/content")).status_code == 404
    )
    assert CaseNote.objects.count() == 1


def test_a_role_without_cases_gets_404(org_a: Organisation, full_case: Case) -> None:
    coordinator = signed_in_client(member(Role.NATIONAL_COORDINATOR, org_a))
    assert coordinator.get(api(full_case)).status_code == 404
    assert coordinator.get(f"/casefile/{full_case.public_id}/").status_code == 404


def test_a_role_without_health_sees_no_needs_or_care_plan(
    org_a: Organisation, full_case: Case
) -> None:
    authority = signed_in_client(member(Role.COMPETENT_AUTHORITY, org_a))
    body = authority.get(api(full_case)).json()
    assert "needs" not in body and "care_plan" not in body
    assert body["sections"] == ["notes", "events", "perpetrators", "documents"]
    assert body["writable"] == []
    assert {d["document_type"] for d in body["documents"]} == {"identity", "legal", "other"}
    assert "health" not in body["visible_groups"]
    for tail in ("/needs", "/care-plan"):
        response = authority.get(api(full_case, tail))
        assert response.status_code == 403 and error_of(response)["code"] == "group_withheld"
    medical = full_case.documents.get(document_type="medical")
    assert authority.get(api(full_case, f"/documents/{medical.public_id}")).status_code == 404
    assert (
        authority.get(
            f"/casefile/{full_case.public_id}/documents/{medical.public_id}/download/"
        ).status_code
        == 404
    )
    overview = authority.get(f"/casefile/{full_case.public_id}/")
    assert overview.status_code == 200
    content = overview.content.decode()
    assert "Needs and care plan" not in content and "Perpetrators" in content
    assert "Some parts of this case file are not shown to you" in content
    assert authority.get(f"/casefile/{full_case.public_id}/needs/").status_code == 403
    # It may read but not write (no CASE_EDIT): 403, nothing written.
    assert post_json(authority, api(full_case, "/notes"), {"text": "x"}).status_code == 403
    assert CaseNote.objects.count() == 1


def test_provider_sees_only_what_the_referral_shares(
    shelter: Organisation, client_provider: Client, full_case: Case
) -> None:
    assert client_provider.get(api(full_case)).status_code == 404  # not referred yet
    referral = refer(full_case, shelter, ["identity", "health"])
    body = client_provider.get(api(full_case)).json()
    assert body["sections"] == ["needs", "care_plan", "documents"]
    assert body["visible_groups"] == ["health", "identity"]
    for absent in ("notes", "events", "perpetrators"):
        assert absent not in body
    assert body["needs"]["version"] == 1
    assert {d["document_type"] for d in body["documents"]} == {"identity", "medical"}
    for tail in ("/notes", "/events", "/perpetrators"):
        assert client_provider.get(api(full_case, tail)).status_code == 403
    legal = full_case.documents.get(document_type="legal")
    assert (
        client_provider.get(api(full_case, f"/documents/{legal.public_id}/content")).status_code
        == 404
    )
    page = client_provider.get(f"/casefile/{full_case.public_id}/").content.decode()
    assert "Needs and care plan" in page and "Perpetrators" not in page
    assert "not shared with your organisation" in page
    assert "Vasile" not in page and "Owner&#x27;s note" not in page
    # Reads are recorded for the owner's supervisors.
    read = AuditEvent.objects.filter(action="case.read", organisation=shelter).first()
    assert read is not None and read.subject_organisation_id == full_case.owner_organisation_id
    # Revoked: the case is gone for the provider.
    Referral.objects.filter(pk=referral.pk).update(state=ReferralState.REVOKED)
    for tail in ("", "/needs", "/care-plan", "/documents"):
        assert client_provider.get(api(full_case, tail)).status_code == 404
    assert client_provider.get(f"/casefile/{full_case.public_id}/needs/").status_code == 404


def test_declined_referral_gives_nothing(
    shelter: Organisation, client_provider: Client, full_case: Case
) -> None:
    refer(full_case, shelter, ["identity", "health"], state=ReferralState.DECLINED)
    assert client_provider.get(api(full_case)).status_code == 404


def test_referral_without_consent_shows_no_content(
    shelter: Organisation, client_provider: Client, full_case: Case
) -> None:
    refer(full_case, shelter, ["identity", "health"], consent=False)
    body = client_provider.get(api(full_case)).json()
    assert body["sections"] == [] and body["visible_groups"] == []
    assert "needs" not in body and "documents" not in body


def test_provider_writes_only_the_help_it_gives(
    shelter: Organisation, provider: Membership, client_provider: Client, full_case: Case
) -> None:
    refer(full_case, shelter, ["identity", "health", "narrative"])
    body = client_provider.get(api(full_case)).json()
    # A provider's role never sees narrative, whatever is shared.
    assert body["writable"] == ["care_plan", "documents"]
    before = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True)[0]
    own = post_json(
        client_provider,
        api(full_case, "/care-plan"),
        {
            "support_type": "SocialCare",
            "objective": "Safe accommodation for 90 days.",
            "responsible_other": "Someone else entirely",
            "planned_start": "2024-03-01",
        },
    )
    assert own.status_code == 201, own.content
    assert own.json()["responsible_organisation"]["name"] == shelter.name
    assert own.json()["responsible_other"] is None
    progress = post_json(
        client_provider,
        api(full_case, f"/care-plan/{own.json()['id']}/progress"),
        {"status": "in_progress", "actual_start": "2024-03-02", "note": "Moved in."},
    )
    assert progress.status_code == 201, progress.content
    owners_item = CarePlanItem.objects.get(responsible_other="Clinica Municipală nr. 1")
    refused = post_json(
        client_provider,
        api(full_case, f"/care-plan/{owners_item.public_id}/progress"),
        {"status": "completed", "actual_start": "2024-03-02", "actual_end": "2024-03-03"},
    )
    assert refused.status_code == 403
    edit = client_provider.patch(
        api(full_case, f"/care-plan/{own.json()['id']}"),
        b'{"planned_end": "2024-09-01"}',
        content_type="application/json",
    )
    assert edit.status_code == 403
    assert post_json(client_provider, api(full_case, "/needs"), ASSESSMENT).status_code == 403
    assert post_json(client_provider, api(full_case, "/notes"), {"text": "x"}).status_code == 403
    assert post_json(client_provider, api(full_case, "/events"), EVENT).status_code == 403
    legal = client_provider.post(
        api(full_case, "/documents"),
        {"document_type": "legal", "file": SimpleUploadedFile("c.pdf", PDF)},
    )
    assert legal.status_code == 400 and "document_type" in error_of(legal)["fields"]
    medical = client_provider.post(
        api(full_case, "/documents"),
        {"document_type": "medical", "file": SimpleUploadedFile("m.pdf", PDF)},
    )
    assert medical.status_code == 201, medical.content
    actions = list(
        AuditEvent.objects.filter(sequence__gt=before, organisation=shelter)
        .exclude(action__endswith=".read")
        .values_list("action", flat=True)
    )
    assert actions == [
        "care_plan_item.create",
        "care_plan_progress.create",
        "case_document.create",
    ]


def test_owner_names_a_referred_provider_responsible(
    shelter: Organisation, client_a: Client, full_case: Case
) -> None:
    refused = post_json(
        client_a,
        api(full_case, "/care-plan"),
        {
            **CARE_ITEM,
            "responsible_other": None,
            "responsible_organisation": str(shelter.public_id),
        },
    )
    assert refused.status_code == 400  # not referred: not a choice
    refer(full_case, shelter, ["identity", "health"])
    created = post_json(
        client_a,
        api(full_case, "/care-plan"),
        {
            **CARE_ITEM,
            "responsible_other": None,
            "responsible_organisation": str(shelter.public_id),
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["responsible_organisation"]["id"] == str(shelter.public_id)


def test_only_the_authors_organisation_corrects_a_note(
    org_a: Organisation, org_b: Organisation, client_b: Client, full_case: Case
) -> None:
    note = CaseNote.objects.get()
    correction = {"text": "Fix.", "corrects": str(note.public_id)}
    # A case worker of an organisation the narrative is shared with adds notes of its own …
    refer(full_case, org_b, ["identity", "narrative"])
    assert post_json(client_b, api(full_case, "/notes"), {"text": "Our visit."}).status_code == 201
    # … but does not correct the owner's.
    refused = post_json(client_b, api(full_case, "/notes"), correction)
    assert refused.status_code == 400 and "corrects" in error_of(refused)["fields"]
    supervisor = signed_in_client(member(Role.SUPERVISOR, org_a))
    assert post_json(supervisor, api(full_case, "/notes"), correction).status_code == 201
    assert CaseNote.objects.count() == 3


def test_service_refuses_a_casefile_built_for_someone_else(
    worker_a: Membership, worker_b: Membership, case_a: Case
) -> None:
    casefile = casefile_for_actor(actor_for(worker_a), case_a.public_id, "edit")
    with pytest.raises(Exception) as caught:
        services.note_create(actor=actor_for(worker_b), casefile=casefile, data={"text": "x"})
    assert getattr(caught.value, "status", None) == 403
    assert CaseNote.objects.count() == 0
