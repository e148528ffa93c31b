"""The pages: lists, detail with its forms, "refer this case", the document, the case section
and the dashboard panel. Plain POSTs (no JavaScript needed); refused forms answer 400 or 409
with the message and change nothing."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.cases.models import Case
from palermo.cases.sections import case_sections, dashboard_panels
from palermo.directory.models import Provider, Service
from palermo.referrals import services
from palermo.referrals.models import Referral
from palermo.testing import actor_for, member, signed_in_client
from palermo.web.navigation import nav_items

from .records import OLENA, consent, make_case, snapshot

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "referrals"


def _send(sender: Membership, case: Case, receiver: Organisation, **extra: Any) -> Referral:
    data = {
        "receiving_organisation": str(receiver.public_id),
        "reason": "Other",
        "shared_groups": ["identity"],
        **extra,
    }
    return services.referral_send(actor=actor_for(sender), case_public_id=case.public_id, data=data)


def test_templates_have_no_inline_script_or_style() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert "<script" not in text and "<style" not in text, template
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template


def test_received_list_puts_waiting_first(
    worker: Membership, provider: Membership, clinic: Organisation, shelter: Organisation
) -> None:
    cases = [make_case(worker) for _ in range(3)]
    for c in cases:
        consent(c.person, "referral", organisation=clinic)
    later = _send(
        worker,
        cases[0],
        clinic,
        respond_by=(timezone.localdate() + datetime.timedelta(days=9)).isoformat(),
    )
    answered = _send(worker, cases[1], clinic)
    services.referral_transition(
        actor=actor_for(provider), public_id=answered.public_id, action="accept", data={}
    )
    sooner = _send(
        worker,
        cases[2],
        clinic,
        respond_by=(timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
    )
    client = signed_in_client(provider)
    page = client.get("/referrals/").content.decode()
    order = [m for m in re.findall(r'id="referral-([0-9a-f-]{36})"', page)]
    assert order == [str(sooner.public_id), str(later.public_id), str(answered.public_id)]
    assert OLENA["first_name"] not in page  # lists carry no personal data
    partial = client.get("/referrals/?state=accepted", HTTP_HX_REQUEST="true").content.decode()
    assert (
        "<html" not in partial
        and str(answered.public_id) in partial
        and str(later.public_id) not in partial
    )
    assert client.get("/referrals/?state=<script>").status_code == 200
    sent = signed_in_client(worker).get("/referrals/sent/").content.decode()
    assert all(str(r.public_id) in sent for r in (later, answered, sooner))
    # The nav entry.
    assert any(item.url_name == "referrals:received" for item in nav_items())


def test_detail_forms_accept_decline_with_errors(
    worker: Membership, provider: Membership, clinic: Organisation, case: Case
) -> None:
    consent(case.person, "referral", organisation=clinic)
    referral = _send(worker, case, clinic)
    client = signed_in_client(provider)
    page = client.get(f"/referrals/{referral.public_id}/").content.decode()
    assert (
        'id="form-accept"' in page
        and 'id="form-decline"' in page
        and 'id="form-revoke"' not in page
    )
    assert OLENA["first_name"] in page
    before = snapshot()
    refused = client.post(f"/referrals/{referral.public_id}/decline/", {"note": ""})
    assert refused.status_code == 400 and b"note-decline-error" in refused.content
    wrong = client.post(f"/referrals/{referral.public_id}/accept/", {"case_worker": "someone-else"})
    assert wrong.status_code == 400 and b"case_worker-error" in wrong.content
    assert client.post(f"/referrals/{referral.public_id}/revoke/").status_code == 403
    assert client.post(f"/referrals/{referral.public_id}/bogus/").status_code == 404
    assert client.get(f"/referrals/{referral.public_id}/accept/").status_code == 405
    assert snapshot() == before
    ok = client.post(
        f"/referrals/{referral.public_id}/accept/", {"case_worker": provider.user.username}
    )
    assert ok.status_code == 302
    again = client.post(f"/referrals/{referral.public_id}/accept/", {})
    assert again.status_code == 409 and b"error-summary" in again.content
    # The sender revokes from its page.
    sender = signed_in_client(worker)
    assert b'id="form-revoke"' in sender.get(f"/referrals/{referral.public_id}/").content
    assert (
        sender.post(
            f"/referrals/{referral.public_id}/revoke/", {"note": "Found other help"}
        ).status_code
        == 302
    )
    assert Referral.objects.get().state == "revoked"


def test_refer_form_with_a_directory_service(
    worker: Membership, clinic: Organisation, case: Case
) -> None:
    listed = Provider.objects.create(
        organisation=clinic, name="Clinic", org_type="HealthService", country="MD"
    )
    service = Service.objects.create(provider=listed, service_type="Health", languages=["ro"])
    consent(case.person, "referral", organisation=clinic)
    client = signed_in_client(worker)
    url = f"/referrals/cases/{case.public_id}/refer/"
    page = client.get(f"{url}?service={service.public_id}").content.decode()
    assert 'id="chosen-service"' in page
    # The minimum for a health service is ticked: identity and health, nothing else.
    assert re.search(r'id="id_group_identity"[^>]*checked', page)
    assert re.search(r'id="id_group_health"[^>]*checked', page)
    assert not re.search(r'id="id_group_contact"[^>]*checked', page)
    assert f'value="{clinic.public_id}" selected' in page
    assert "id_override_reason" not in page  # a case worker may not override
    assert 'data-allowed="yes"' in page
    assert client.get(f"{url}?service=garbage").status_code == 200
    response = client.post(
        url,
        {
            "receiver_type": "organisation",
            "receiving_organisation": str(clinic.public_id),
            "service": str(service.public_id),
            "kind": "referral",
            "reason": "AdditionalServicesRequired",
            "shared_groups": ["identity", "health"],
            "details": "Check-up",
            "respond_by": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    referral = Referral.objects.get()
    assert referral.service == service and referral.shared_groups == ["health", "identity"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"shared_groups": []}, "shared_groups"),
        ({"receiving_organisation": "nonsense"}, "receiving_organisation"),
        ({"receiver_type": "external", "external_organisation_name": ""}, "receiving_organisation"),
        ({"details": "x" * 4001}, "details"),
        ({"respond_by": "yesterday"}, "respond_by"),
        ({"reason": "<script>alert(1)</script>"}, "reason"),
        ({"kind": "steal"}, "kind"),
    ],
)
def test_refer_form_refuses_bad_input(
    change: dict[str, Any], field: str, worker: Membership, clinic: Organisation, case: Case
) -> None:
    consent(case.person, "referral", organisation=clinic)
    client = signed_in_client(worker)
    data = {
        "receiver_type": "organisation",
        "receiving_organisation": str(clinic.public_id),
        "kind": "referral",
        "reason": "Other",
        "shared_groups": ["identity"],
        **change,
    }
    before = snapshot()
    response = client.post(f"/referrals/cases/{case.public_id}/refer/", data)
    assert response.status_code == 400
    assert (
        f'id="{field}-error"'.encode() in response.content
        or b'id="id_shared_groups"' in response.content
    )
    assert b"<script>alert(1)</script>" not in response.content
    assert snapshot() == before


def test_refer_form_consent_and_override(
    supervisor: Membership, worker: Membership, clinic: Organisation, case: Case
) -> None:
    url = f"/referrals/cases/{case.public_id}/refer/"
    data = {
        "receiver_type": "organisation",
        "receiving_organisation": str(clinic.public_id),
        "kind": "referral",
        "reason": "Other",
        "shared_groups": ["identity"],
    }
    refused = signed_in_client(worker).post(url, data)
    assert refused.status_code == 400 and b"error-summary" in refused.content
    boss = signed_in_client(supervisor)
    assert b"id_override_reason" in boss.get(url).content
    assert boss.post(url, {**data, "override_reason": "Danger"}).status_code == 302
    assert Referral.objects.get().consent_basis == "override"


def test_refer_form_access(
    worker: Membership, provider: Membership, case: Case, shelter: Organisation
) -> None:
    assert (
        signed_in_client(provider).get(f"/referrals/cases/{case.public_id}/refer/").status_code
        == 404
    )
    investigator = signed_in_client(member(Role.INVESTIGATOR, shelter))
    assert investigator.get(f"/referrals/cases/{case.public_id}/refer/").status_code == 403
    officer = signed_in_client(member(Role.PROGRAMME_OFFICER, shelter))
    assert officer.get("/referrals/").status_code == 404


def test_printable_document(worker: Membership, provider: Membership, case: Case) -> None:
    consent(case.person, "referral", external="Caritas Tiraspol")
    referral = services.referral_send(
        actor=actor_for(worker),
        case_public_id=case.public_id,
        data={
            "external_organisation_name": "Caritas Tiraspol",
            "reason": "Other",
            "shared_groups": ["identity"],
            "details": "Day centre",
        },
    )
    client = signed_in_client(worker)
    detail = client.get(f"/referrals/{referral.public_id}/").content.decode()
    assert (
        'id="print-link"' in detail and 'id="form-accept"' in detail
    )  # the sender records answers
    page = client.get(f"/referrals/{referral.public_id}/document/").content.decode()
    assert "referrals/referrals.css" in page
    assert OLENA["first_name"] in page and "Caritas Tiraspol" in page
    assert OLENA["mobile_phone"] not in page and "Odesa" not in page  # contact, location not shared
    assert referral.respond_by.isoformat() in page
    assert (
        AuditEvent.objects.filter(action="referral.read", object_id=str(referral.public_id)).count()
        == 1
    )
    css = (
        Path(__file__).resolve().parent.parent / "static" / "referrals" / "referrals.css"
    ).read_text()
    assert "@media print" in css
    services.referral_transition(
        actor=actor_for(worker), public_id=referral.public_id, action="revoke", data={}
    )
    assert client.get(f"/referrals/{referral.public_id}/document/").status_code == 404


def test_case_section_and_dashboard_panel(
    worker: Membership, provider: Membership, clinic: Organisation, case: Case
) -> None:
    consent(case.person, "referral", organisation=clinic)
    referral = _send(worker, case, clinic)
    request = RequestFactory().get("/")
    section = next(s for s in case_sections() if s.name == "referrals")
    context = section.context(request, actor_for(worker), case)
    assert context is not None and context["can_refer"] and context["referrals"] == [referral]
    html = render_to_string(section.template, context, request=request)
    assert 'id="refer-button"' in html and referral.reference in html
    panel = next(p for p in dashboard_panels() if p.name == "referrals-waiting")
    waiting = panel.context(request, actor_for(provider))
    assert (
        waiting is not None and waiting["waiting"] == [referral] and waiting["waiting_total"] == 1
    )
    assert referral.reference in render_to_string(panel.template, waiting, request=request)
    assert panel.context(request, actor_for(member(Role.HOTLINE_OPERATOR))) is None
    provider_section = section.context(request, actor_for(provider), case)
    assert provider_section is not None and not provider_section["can_refer"]  # not accepted yet


def test_the_case_page_and_dashboard_show_referrals(
    worker: Membership, provider: Membership, clinic: Organisation, case: Case
) -> None:
    from django.urls import reverse

    case_url = reverse("cases:detail", args=[str(case.public_id)])
    dashboard_url = reverse("cases:dashboard")
    consent(case.person, "referral", organisation=clinic)
    referral = _send(worker, case, clinic)
    page = signed_in_client(worker).get(case_url).content
    assert b'id="case-referrals"' in page and b'id="refer-button"' in page
    receiver = signed_in_client(provider)
    assert b'id="case-referrals"' in receiver.get(case_url).content
    dashboard = receiver.get(dashboard_url).content
    assert b'id="referrals-waiting"' in dashboard and referral.reference.encode() in dashboard
