"""The operator console through HTTP, as a signed-in operator's browser uses it."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.intake.models import Contact, ContactDraft, Escalation
from palermo.testing import member, signed_in_client

from .records import audit_actions, record, snapshot

pytestmark = pytest.mark.django_db


def page(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined, no-any-return]


def test_the_queue_puts_crisis_first_then_urgency_then_waiting_time(
    operator: Membership, operator_client: Client
) -> None:
    now = timezone.now()
    old_tip = record(operator, category="tip", urgency=2)
    new_crisis = record(operator, category="crisis", urgency=2)
    urgent_tip = record(operator, category="tip", urgency=4)
    older_urgent = record(operator, category="high_risk", urgency=4)
    Contact.objects.filter(pk=old_tip.pk).update(received_at=now - datetime.timedelta(hours=5))
    Contact.objects.filter(pk=older_urgent.pk).update(received_at=now - datetime.timedelta(hours=1))
    response = operator_client.get("/intake/")
    assert response.status_code == 200
    html = page(response)
    order = [html.index(c.reference) for c in (new_crisis, older_urgent, urgent_tip, old_tip)]
    assert order == sorted(order)
    assert 'hx-trigger="every 10s"' in html
    # The queue shows no personal data, so refreshing it reads nothing that needs auditing.
    assert (
        "069 123 456" not in html and not AuditEvent.objects.filter(action="contact.read").exists()
    )


def test_the_htmx_refresh_returns_the_queue_alone(
    operator: Membership, operator_client: Client
) -> None:
    record(operator)
    response = operator_client.get("/intake/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue")
    html = page(response)
    assert html.lstrip().startswith('<section id="queue"') and "<html" not in html


def test_the_queue_costs_a_constant_number_of_queries(
    operator: Membership, operator_client: Client, colleague: Membership
) -> None:
    for _ in range(3):
        record(operator)
    with CaptureQueriesContext(connection) as few:
        operator_client.get("/intake/")
    for number in range(12):
        contact = record(operator, category="crisis" if number % 3 == 0 else "tip")
        from palermo.intake import services
        from palermo.testing import actor_for

        services.contact_assign(
            actor=actor_for(operator), contact=contact, user_id=colleague.user.pk
        )
    with CaptureQueriesContext(connection) as many:
        operator_client.get("/intake/")
    assert len(many) == len(few)


def test_claim_assign_and_close_from_the_pages(
    operator: Membership, operator_client: Client, colleague: Membership
) -> None:
    contact = record(operator)
    response = operator_client.post(f"/intake/{contact.public_id}/claim/", {"next": "console"})
    assert response.status_code == 302 and response["Location"] == "/intake/"
    contact.refresh_from_db()
    assert contact.assigned_to == operator.user and contact.status == "claimed"
    operator_client.post(f"/intake/{contact.public_id}/assign/", {"user": colleague.user.pk})
    contact.refresh_from_db()
    assert contact.assigned_to == colleague.user
    operator_client.post(f"/intake/{contact.public_id}/status/", {"status": "closed"})
    contact.refresh_from_db()
    assert contact.status == "closed"
    assert audit_actions()[-3:] == ["contact.claimed", "contact.assigned", "contact.status"]


def test_the_quick_form_saves_a_contact_and_its_draft(
    operator: Membership, operator_client: Client
) -> None:
    form = operator_client.get("/intake/new/")
    assert form.status_code == 200 and "autofocus" in page(form)
    draft = operator_client.post(
        "/intake/draft/",
        {"narrative": "Caller says her sister", "channel": "phone"},
        HTTP_HX_REQUEST="true",
    )
    assert draft.status_code == 200 and 'id="draft-status"' in page(draft)
    assert "Caller says her sister" in page(operator_client.get("/intake/new/"))
    response = operator_client.post(
        "/intake/new/",
        {
            "channel": "phone",
            "category": "crisis",
            "urgency": "4",
            "narrative": "She is locked in.",
        },
    )
    contact = Contact.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/intake/{contact.public_id}/"
    assert contact.category == "crisis" and contact.urgency == 4
    assert not ContactDraft.objects.exists()


def test_bad_input_on_the_quick_form_is_shown_and_the_text_kept(
    operator: Membership, operator_client: Client
) -> None:
    before = snapshot()
    response = operator_client.post(
        "/intake/new/",
        {"channel": "", "urgency": "7", "narrative": "Keep this text", "reporter_phone": "abc"},
    )
    html = page(response)
    assert response.status_code == 400
    assert 'id="id_channel-error"' in html and 'id="id_reporter_phone-error"' in html
    assert "Keep this text" in html
    assert snapshot() == before


def test_hostile_html_is_shown_as_text(operator: Membership, operator_client: Client) -> None:
    contact = record(operator, narrative='<script>alert(1)</script><img src=x onerror="x()">')
    html = page(operator_client.get(f"/intake/{contact.public_id}/"))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html


def test_opening_a_contact_is_an_audited_read(
    operator: Membership, operator_client: Client
) -> None:
    contact = record(operator)
    html = page(operator_client.get(f"/intake/{contact.public_id}/"))
    assert "recrutor.bun@mail.md" in html and "+37379555123" in html
    read = AuditEvent.objects.filter(action="contact.read").get()
    assert read.field_groups == ["contact", "identity", "location", "narrative"]


def test_other_organisations_and_other_roles_get_404(
    operator: Membership, outsider_client: Client, hotline: Organisation, police: Organisation
) -> None:
    contact = record(operator)
    researcher = signed_in_client(member(Role.RESEARCHER, hotline))
    before = snapshot()
    for url in (
        f"/intake/{contact.public_id}/",
        f"/intake/{contact.public_id}/edit/",
        f"/intake/{contact.public_id}/escalate/",
        "/intake/not-a-uuid/",
    ):
        assert outsider_client.get(url).status_code == 404, url
    for url, data in (
        (f"/intake/{contact.public_id}/claim/", {}),
        (f"/intake/{contact.public_id}/assign/", {"user": "1"}),
        (f"/intake/{contact.public_id}/status/", {"status": "closed"}),
        (
            f"/intake/{contact.public_id}/escalate/",
            {"basis": "consent", "to_organisation": str(police.public_id)},
        ),
    ):
        assert outsider_client.post(url, data).status_code == 404, url
    for url in ("/intake/", "/intake/new/", f"/intake/{contact.public_id}/", "/intake/statistics/"):
        assert researcher.get(url).status_code == 404, url
    assert snapshot() == before


def test_escalation_page_requires_a_basis_and_records_it(
    operator: Membership, operator_client: Client, police: Organisation, hotline: Organisation
) -> None:
    contact = record(operator)
    url = f"/intake/{contact.public_id}/escalate/"
    assert operator_client.get(url).status_code == 200
    missing = operator_client.post(url, {"to_organisation": str(police.public_id)})
    assert missing.status_code == 400 and 'id="id_basis-error"' in page(missing)
    assert not Escalation.objects.exists()
    done = operator_client.post(
        url, {"basis": "imminent_danger", "to_organisation": str(police.public_id)}
    )
    assert done.status_code == 302
    event = AuditEvent.objects.filter(action="contact.escalated").get()
    assert event.details["basis"] == "imminent_danger"
    # A case worker of the hotline sees the contact but may not escalate it.
    case_worker = signed_in_client(member(Role.CASE_WORKER, hotline))
    assert case_worker.get(url).status_code == 403
    assert (
        case_worker.post(
            url, {"basis": "consent", "to_organisation": str(police.public_id)}
        ).status_code
        == 403
    )
    assert Escalation.objects.count() == 1


def test_organisation_lookup(
    operator_client: Client, police: Organisation, other_org: Organisation
) -> None:
    html = page(operator_client.get("/intake/organisations/?q=police"))
    assert police.name in html and other_org.name not in html
    partial = operator_client.get(
        "/intake/organisations/?type=LawEnforcement&country=md", HTTP_HX_REQUEST="true"
    )
    assert police.name in page(partial) and "<html" not in page(partial)


def test_statistics_count_without_personal_data_in_constant_queries(
    operator: Membership, operator_client: Client
) -> None:
    record(operator, category="crisis", language="uk")
    with CaptureQueriesContext(connection) as few:
        first = operator_client.get("/intake/statistics/")
    for number in range(15):
        record(operator, category=("tip", "crisis", "high_risk")[number % 3], channel="sms")
    with CaptureQueriesContext(connection) as many:
        response = operator_client.get("/intake/statistics/")
    assert first.status_code == response.status_code == 200
    assert len(many) == len(few)
    html = page(response)
    assert 'id="figures-category"' in html and "<svg" in html
    assert "069 123 456" not in html and "recrutor" not in html
    bad = operator_client.get("/intake/statistics/?from=2024-13-01&to=yesterday")
    assert bad.status_code == 400


def test_the_coordinator_sees_the_coalition_with_small_cells_withheld(
    operator: Membership, hotline: Organisation
) -> None:
    for _ in range(4):
        record(operator, category="tip")
    record(operator, category="crisis")
    rapporteur = Organisation.objects.create(
        name="Rapporteur", country="MD", org_type="CentralGovernmentOrganisation"
    )
    coordinator = signed_in_client(member(Role.NATIONAL_COORDINATOR, rapporteur))
    html = page(coordinator.get("/intake/statistics/"))
    assert ">4<" in html and "&lt;3" in html
    assert coordinator.get("/intake/").status_code == 404
