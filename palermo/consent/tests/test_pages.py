"""Recording consent, withdrawing it and recording a legal basis through the pages and the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.consent import validation
from palermo.consent.models import ConsentRecord, LegalBasis
from palermo.people.models import Person
from palermo.testing import member, signed_in_client

pytestmark = pytest.mark.django_db

FORM: dict[str, Any] = {
    "language": "ro",
    "given_by": "person",
    "decision_assistance": "given",
    "decision_law_enforcement": "refused",
    "decision_research": "",
}


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(ConsentRecord.objects.order_by("pk").values_list("pk", "decision")),
        tuple(LegalBasis.objects.order_by("pk").values_list("pk", "revoked_at")),
        # Writes only: showing the page again with its messages is a (recorded) read.
        AuditEvent.objects.exclude(action__endswith=".read").count(),
    )


def url(person: Person) -> str:
    return f"/consent/person/{person.public_id}/"


def test_record_consent_on_the_persons_page(
    worker_client: Client, worker: Membership, adult: Person
) -> None:
    detail = worker_client.get(f"/people/{adult.public_id}/").content.decode()
    assert 'id="consent"' in detail and f'href="{url(adult)}"' in detail
    page = worker_client.get(url(adult))
    assert page.status_code == 200 and 'id="consent-form"' in page.content.decode()
    response = worker_client.post(url(adult), FORM)
    assert response.status_code == 302 and response["Location"] == url(adult)
    records = {r.purpose: r for r in ConsentRecord.objects.all()}
    assert set(records) == {"assistance", "law_enforcement"}
    assert records["assistance"].decision == "given"
    assert records["law_enforcement"].decision == "refused"
    assert records["assistance"].recorded_by == worker.user
    assert records["assistance"].language == "ro"
    event = AuditEvent.objects.get(action="consent.record")
    assert event.details["decisions"] == {"assistance": "given", "law_enforcement": "refused"}
    detail = worker_client.get(f"/people/{adult.public_id}/").content.decode()
    assert 'id="consent-assistance" data-decision="given"' in detail
    assert 'id="consent-law_enforcement" data-decision="refused"' in detail
    assert 'id="consent-research" data-decision="none"' in detail


def test_consent_at_the_end_of_a_screening_returns_to_it(
    worker_client: Client, adult: Person
) -> None:
    screening = "6f0c8e52-6a9c-4d59-9d5e-2a0b7b2f1c11"
    response = worker_client.post(
        url(adult), {**FORM, "screening": screening, "next": "/screening/x/"}
    )
    assert response["Location"] == "/screening/x/"
    assert set(ConsentRecord.objects.values_list("source", "source_reference")) == {
        ("screening", screening)
    }
    # Only a path of this site is followed afterwards.
    response = worker_client.post(url(adult), {**FORM, "next": "https://evil.example/"})
    assert response["Location"] == url(adult)


def test_a_guardians_name_and_best_interest_reasons_are_encrypted(
    worker_client: Client, child: Person
) -> None:
    worker_client.post(
        url(child),
        {
            **FORM,
            "given_by": "best_interest",
            "decided_by": "Officer Munteanu, child protection",
            "reason": "The mother cannot be reached.",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT decided_by, reason, given_by FROM consent_consentrecord")
        rows = cursor.fetchall()
    assert rows and all(r[0].startswith("pv1:") and r[1].startswith("pv1:") for r in rows)
    assert {r[2] for r in rows} == {"best_interest"}
    page = worker_client.get(url(child)).content.decode()
    assert "Officer Munteanu" in page  # shown to who may read the narrative, and audited
    read = AuditEvent.objects.filter(action="person.read").latest("sequence")
    assert read.details == {"page": "consent"}
    assert set(read.field_groups) == {"identity", "narrative"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"language": "xx"}, "language"),
        ({"given_by": "neighbour"}, "given_by"),
        ({"decision_assistance": "maybe"}, "decision_assistance"),
        ({"decision_assistance": "", "decision_law_enforcement": ""}, "decisions"),
        ({"decision_referral": "given"}, "referral_organisation"),
        ({"decision_referral": "given", "referral_organisation": "nope"}, "referral_organisation"),
        (
            {"decision_referral": "given", "referral_organisation": "partner:nope"},
            "referral_organisation",
        ),
        (
            {
                "decision_referral": "given",
                "referral_organisation": "partner:00000000-0000-0000-0000-000000000000",
            },
            "referral_organisation",
        ),
        ({"decision_referral": "given", "referral_external": "x" * 201}, "referral_organisation"),
        ({"decision_referral": "given", "referral_external": "a\u0000b"}, "referral_organisation"),
        ({"given_by": "guardian"}, "guardian_name"),
        ({"given_by": "best_interest"}, "given_by"),  # an adult: no best-interest decision
        ({"guardian_name": "x" * 201, "given_by": "guardian"}, "guardian_name"),
        ({"reason": "bad\u0000text"}, "reason"),
    ],
)
def test_bad_consent_input_is_refused_and_changes_nothing(
    worker_client: Client, adult: Person, change: dict[str, str], field: str
) -> None:
    before = snapshot()
    response = worker_client.post(url(adult), {**FORM, **change})
    assert response.status_code == 400
    assert f'id="id_{field}"' in response.content.decode() or field in response.content.decode()
    assert snapshot() == before


def test_messages_come_in_the_language_of_the_request(
    worker_client: Client, adult: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    def tagged(message: str) -> str:
        return f"[{translation.get_language()}] {translation.gettext(message)}"

    monkeypatch.setattr(validation, "_", tagged)
    response = worker_client.post(
        url(adult), {**FORM, "language": "xx"}, headers={"Accept-Language": "ro"}
    )
    assert response.status_code == 400 and response["Content-Language"] == "ro"
    assert "[ro] " in response.content.decode()


def test_withdrawal_is_a_new_record_and_the_history_stays(
    worker_client: Client, adult: Person
) -> None:
    worker_client.post(url(adult), FORM)
    response = worker_client.post(
        url(adult) + "withdraw/",
        {"purpose": "assistance", "given_by": "person", "language": "ro"},
    )
    assert response.status_code == 302
    decisions = list(
        ConsentRecord.objects.filter(purpose="assistance")
        .order_by("recorded_at", "id")
        .values_list("decision", flat=True)
    )
    assert decisions == ["given", "withdrawn"]
    assert AuditEvent.objects.filter(action="consent.withdraw").count() == 1
    page = worker_client.get(url(adult)).content.decode()
    assert 'id="consent-assistance" data-decision="withdrawn"' in page
    # Nothing in force any more: a second withdrawal is refused.
    before = snapshot()
    again = worker_client.post(
        url(adult) + "withdraw/", {"purpose": "assistance", "given_by": "person", "language": "ro"}
    )
    assert again.status_code == 400 and snapshot() == before


def test_a_guardian_cannot_withdraw_a_best_interest_decision(
    worker_client: Client, child: Person
) -> None:
    worker_client.post(
        url(child),
        {**FORM, "given_by": "best_interest", "decided_by": "Officer", "reason": "Safety."},
    )
    before = snapshot()
    response = worker_client.post(
        url(child) + "withdraw/",
        {"purpose": "assistance", "given_by": "guardian", "language": "ro"},
    )
    assert response.status_code == 400 and snapshot() == before


def test_a_legal_basis_needs_the_override_permission(
    worker_client: Client, supervisor_client: Client, adult: Person, police: Organisation
) -> None:
    data = {
        "purpose": "law_enforcement",
        "kind": "court_order",
        "reference": "Order 7/2026",
        "reason": "Investigation.",
        "organisation": str(police.public_id),
    }
    before = snapshot()
    assert worker_client.post(url(adult) + "legal-basis/", data).status_code == 403
    assert 'id="legal-basis-form"' not in worker_client.get(url(adult)).content.decode()
    assert snapshot() == before
    for bad, field in (
        ({"purpose": "research"}, "purpose"),
        ({"kind": "hunch"}, "kind"),
        ({"reference": ""}, "reference"),
        ({"valid_until": "2001-01-01"}, "valid_until"),
        ({"valid_until": "2030-02-30"}, "valid_until"),
    ):
        response = supervisor_client.post(url(adult) + "legal-basis/", {**data, **bad})
        assert response.status_code == 400, field
        assert snapshot() == before
    assert supervisor_client.post(url(adult) + "legal-basis/", data).status_code == 302
    basis = LegalBasis.objects.get()
    assert basis.reference == "Order 7/2026" and basis.organisation == police
    response = supervisor_client.post(
        f"/consent/legal-basis/{basis.public_id}/revoke/", {"reason": ""}
    )
    assert response.status_code == 400
    response = supervisor_client.post(
        f"/consent/legal-basis/{basis.public_id}/revoke/", {"reason": "Case closed."}
    )
    assert response.status_code == 302
    basis.refresh_from_db()
    assert basis.revoked_at is not None
    assert AuditEvent.objects.filter(action="consent.legal_basis_revoke").count() == 1


def test_another_organisation_gets_404_and_a_role_without_consent_work_too(
    adult: Person, police: Organisation, investigator_client: Client
) -> None:
    outsider = signed_in_client(member(Role.CASE_WORKER))
    before = snapshot()
    for path in ("", "withdraw/", "legal-basis/"):
        assert outsider.post(url(adult) + path, FORM).status_code == 404
    assert outsider.get(url(adult)).status_code == 404
    assert outsider.get("/consent/person/not-a-uuid/").status_code == 404
    # The investigator may see the record (assigned) but records no consent: 404 for its role.
    assert investigator_client.get(url(adult)).status_code == 404
    assert snapshot() == before


# --- API --------------------------------------------------------------------------------------


def post_json(client: Client, path: str, data: Any) -> Any:
    return client.post(path, json.dumps(data), content_type="application/json")


def test_the_api_records_and_reads_consent(worker_client: Client, adult: Person) -> None:
    base = f"/api/consent/persons/{adult.public_id}"
    response = post_json(
        worker_client,
        base + "/decisions",
        {
            "language": "uk",
            "given_by": "person",
            "decisions": {"assistance": "given", "research": "refused"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    rows = {row["purpose"]: row["decision"] for row in body["in_force"]}
    assert rows["assistance"] == "given" and rows["research"] == "refused"
    assert rows["law_enforcement"] is None
    assert body["your_access"] == "consent"
    assert ConsentRecord.objects.get(purpose="assistance").source == "api"
    response = post_json(
        worker_client,
        base + "/withdrawals",
        {"purpose": "assistance", "given_by": "person", "language": "uk"},
    )
    assert response.status_code == 201
    assert worker_client.get(base).json()["your_access"] == "refused"


def test_the_api_refuses_bad_input_with_the_error_envelope(
    worker_client: Client, adult: Person
) -> None:
    base = f"/api/consent/persons/{adult.public_id}"
    before = snapshot()
    for payload in (
        {"language": "uk", "given_by": "person", "decisions": {"marketing": "given"}},
        {"language": "uk", "given_by": "person", "decisions": {"assistance": "perhaps"}},
        {"language": 7, "given_by": "person", "decisions": {}},
        {"language": "uk", "given_by": "person", "decisions": {"assistance": "given"}, "extra": 1},
    ):
        response = post_json(worker_client, base + "/decisions", payload)
        assert response.status_code == 400, payload
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert (
        post_json(
            worker_client,
            base + "/legal-bases",
            {"purpose": "law_enforcement", "kind": "court_order", "reference": "x", "reason": "y"},
        ).status_code
        == 403
    )
    assert worker_client.get("/api/consent/persons/not-a-uuid").status_code == 404
    assert snapshot() == before


def test_a_referral_consent_may_name_a_partner_abroad_or_an_organisation_outside_palermo(
    worker_client: Client, worker: Membership, adult: Person, ngo: Organisation
) -> None:
    from palermo.consent.access import consent_state
    from palermo.consent.rules import ConsentPurpose, receiver_key
    from palermo.partners.models import PartnerDeployment

    partner = PartnerDeployment.objects.create(
        name="Palermo Ukraine",
        url="https://palermo.example.ua",
        signing_key="s" * 43,
        encryption_key="e" * 43,
    )
    page = worker_client.get(url(adult)).content.decode()
    assert f'value="partner:{partner.public_id}"' in page
    assert 'id="id_referral_external"' in page
    response = worker_client.post(
        url(adult),
        {
            **FORM,
            "decision_referral": "given",
            "referral_organisation": f"partner:{partner.public_id}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    response = worker_client.post(
        url(adult),
        {**FORM, "decision_referral": "given", "referral_external": "  Caritas   Tiraspol "},
    )
    assert response.status_code == 302
    # Both at once is ambiguous: refused, nothing recorded.
    before = snapshot()
    response = worker_client.post(
        url(adult),
        {
            **FORM,
            "decision_referral": "given",
            "referral_organisation": str(ngo.public_id),
            "referral_external": "Caritas Tiraspol",
        },
    )
    assert response.status_code == 400 and snapshot() == before

    state = consent_state(adult)
    assert state.effective(ConsentPurpose.REFERRAL, None, receiver_key(partner_id=partner.pk))
    assert state.effective(
        ConsentPurpose.REFERRAL, None, receiver_key(external_name="caritas tiraspol")
    )
    assert not state.effective(ConsentPurpose.REFERRAL, None, receiver_key(external_name="Other"))
    assert not state.effective(ConsentPurpose.REFERRAL, None)  # names no one: covers no one
    page = worker_client.get(url(adult)).content.decode()
    assert "Palermo Ukraine" in page and "Caritas Tiraspol" in page

    # The API records and withdraws the same way.
    api = f"/api/consent/persons/{adult.public_id}/withdrawals"
    response = worker_client.post(
        api,
        json.dumps(
            {
                "purpose": "referral",
                "organisation": f"partner:{partner.public_id}",
                "given_by": "person",
                "language": "ro",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content.decode()
    state = consent_state(adult)
    withdrawn = state.effective(ConsentPurpose.REFERRAL, None, receiver_key(partner_id=partner.pk))
    assert withdrawn is not None and withdrawn.decision == "withdrawn"
