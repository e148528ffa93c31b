"""The whole lifecycle through the pages: open → reasonable grounds → recovery → conclusive
grounds → assistance → follow-up → closure, by the roles the default rules name."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.cases.models import Case, CaseDeadline, CaseStatus
from palermo.people.models import Person

pytestmark = pytest.mark.django_db


def test_a_case_goes_through_the_default_lifecycle(
    worker_client: Client,
    authority_client: Client,
    adult: Person,
    authority: Membership,
) -> None:
    page = worker_client.get(f"/people/{adult.public_id}/")
    assert 'id="open-case"' in page.content.decode()

    form = worker_client.get(f"/cases/new/?person={adult.public_id}")
    assert form.status_code == 200
    assert "consent to assistance given" in form.content.decode()
    response = worker_client.post(
        f"/cases/new/?person={adult.public_id}",
        {"person": str(adult.public_id), "summary": "Met at the border."},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(person=adult)
    assert case.stage == "referral"
    assert case.competent_organisation == authority.organisation
    assert case.next_deadline is not None

    detail = worker_client.get(f"/cases/{case.public_id}/")
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Olena Kovalenko" in body and "Met at the border." in body
    assert 'id="decide"' not in body  # a case worker does not decide

    listing = worker_client.get("/cases/")
    assert case.reference in listing.content.decode()
    assert "Olena Kovalenko" in listing.content.decode()

    # The competent authority sees the case and decides.
    page = authority_client.get(f"/cases/{case.public_id}/")
    assert page.status_code == 200 and 'id="decide"' in page.content.decode()
    response = authority_client.post(
        f"/cases/{case.public_id}/decide/", {"outcome": "positive", "reason": "Indicators met."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == "recovery"
    # Too early for the conclusive decision: the recovery period lasts 30 days.
    response = authority_client.post(
        f"/cases/{case.public_id}/decide/", {"outcome": "positive", "reason": "x"}
    )
    assert response.status_code == 409
    Case.objects.filter(pk=case.pk).update(
        stage_entered_at=case.stage_entered_at - datetime.timedelta(days=31)
    )
    response = authority_client.post(
        f"/cases/{case.public_id}/decide/",
        {"outcome": "positive", "reason": "Balance of probabilities."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == "assistance"
    assert not CaseDeadline.objects.filter(case=case, met_at__isnull=True, kind="due").exists()

    response = worker_client.post(f"/cases/{case.public_id}/advance/")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == "follow_up" and case.status == CaseStatus.FOLLOW_UP

    response = worker_client.post(
        f"/cases/{case.public_id}/close/", {"reason": "AssistanceCompleted"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.stage == "closed"
    assert case.next_deadline is None
    actions = list(AuditEvent.objects.filter(object_type="case").values_list("action", flat=True))
    for action in ("case.open", "case.decide", "case.advance", "case.close", "case.read"):
        assert action in actions
