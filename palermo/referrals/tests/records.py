"""Rows for the referral tests: cases made with the ORM, consent recorded as the consent
module stores it, and snapshots that prove a refused request changed nothing."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation
from palermo.audit.models import AuditEvent
from palermo.cases.models import Case
from palermo.consent.models import ConsentRecord, ConsentSource
from palermo.notifications.models import Notification
from palermo.people.models import Person
from palermo.people.services import person_create
from palermo.referrals.models import Referral, ReferralEvent
from palermo.testing import actor_for

OLENA: dict[str, Any] = {
    "first_name": "Олена",
    "second_name": "Коваленко",
    "birthdate": "1999-04-02",
    "gender": "Feminine",
    "identity_number": "AB 123-456",
    "mobile_phone": "+380 67 123 4567",
    "mailing_city": "Odesa",
}
CHILD: dict[str, Any] = {**OLENA, "first_name": "Марія", "birthdate": "2014-06-01"}
SUMMARY = "Recruited in Odesa with a false job offer; exploited in a textile workshop."


def make_case(owner: Membership, *, child: bool = False, **fields: Any) -> Case:
    """A person registered by `owner`, and an open case of theirs owned by its organisation."""
    person = person_create(actor=actor_for(owner), data=dict(CHILD if child else OLENA, **fields))
    now = timezone.now()
    return Case.objects.create(
        person=person,
        owner_organisation=owner.organisation,
        case_worker=owner.user,
        country=owner.organisation.country,
        stage="referral",
        stage_entered_at=now,
        opened_at=now,
        is_child=child,
        summary=SUMMARY,
    )


def consent(
    person: Person,
    purpose: str,
    *,
    decision: str = "given",
    given_by: str = "person",
    organisation: Organisation | None = None,
    partner: Any = None,
    external: str = "",
) -> ConsentRecord:
    return ConsentRecord.objects.create(
        person=person,
        purpose=purpose,
        decision=decision,
        given_by=given_by,
        organisation=organisation,
        partner=partner,
        external_receiver=external,
        language="uk",
        source=ConsentSource.PERSON_PAGE,
        recording_organisation=person.owner_organisation,
    )


def full_consent(person: Person, receiver: Organisation) -> None:
    """Everything a receiver in any role could need: no consent narrowing in the matrix."""
    for purpose in ("assistance", "law_enforcement", "evidence"):
        consent(person, purpose)
    consent(person, "referral", organisation=receiver)


def snapshot() -> tuple[Any, ...]:
    """What a refused request must leave alone."""
    return (
        tuple(Referral.objects.order_by("pk").values_list("pk", "state", "updated_at")),
        ReferralEvent.objects.count(),
        # Writes about records (sign-ins and reads are not changes).
        AuditEvent.objects.filter(object_type__in=["referral", "case", "person"])
        .exclude(action__endswith=".read")
        .exclude(action__in=["person.list", "person.read_refused"])
        .count(),
        Notification.objects.count(),
        tuple(Case.objects.order_by("pk").values_list("pk", "owner_organisation_id")),
        tuple(Person.objects.order_by("pk").values_list("pk", "owner_organisation_id")),
    )


def post_json(client: Client, url: str, data: Any) -> HttpResponse:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(url, body, content_type="application/json")


def error_of(response: HttpResponse) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["message"], str) and error["message"]
    return error
