"""consent_states reads every person's records and legal bases in one query, and finds what
reading them through the ORM finds: the same entries in the same order, only bases in force."""

import datetime
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from palermo.accounts.models import Organisation
from palermo.consent.access import consent_states
from palermo.consent.models import ConsentRecord, ConsentSource, LegalBasis, LegalBasisKind
from palermo.consent.rules import ConsentPurpose, Decision, GivenBy
from palermo.people.models import Person

pytestmark = pytest.mark.django_db


def _orm_reading(persons, today):
    """The records and bases as the ORM reads them: (person, purpose, decision, given by,
    organisation, partner, external) in recorded order; bases in force as a sorted list."""
    ids = [p.pk for p in persons]
    records = list(
        ConsentRecord.objects.filter(person_id__in=ids)
        .order_by("recorded_at", "id")
        .values_list(
            "person_id",
            "purpose",
            "decision",
            "given_by",
            "organisation_id",
            "partner_id",
            "external_receiver",
        )  # fmt: skip
    )
    bases = [
        b for b in LegalBasis.objects.filter(person_id__in=ids).values_list(
            "person_id", "purpose", "organisation_id", "revoked_at", "valid_until")
        if b[3] is None and (b[4] is None or b[4] >= today)
    ]  # fmt: skip
    return records, sorted((b[0], b[1], b[2]) for b in bases)


def test_one_query_and_the_same_entries_as_the_orm(adult, child, worker):
    rng = random.Random(7)
    organisation = worker.organisation
    other = Organisation.objects.create(name="Another NGO", org_type="NGO", country="MD")
    persons = [adult, child]
    today = timezone.localdate()
    start = timezone.now() - datetime.timedelta(days=30)
    for number in range(40):
        ConsentRecord.objects.create(
            person=rng.choice(persons),
            purpose=rng.choice(list(ConsentPurpose)),
            decision=rng.choice(list(Decision)),
            given_by=rng.choice(list(GivenBy)),
            organisation=rng.choice([None, organisation, other]),
            external_receiver=rng.choice(["", "Hospital abroad"]),
            language="en",
            source=ConsentSource.choices[0][0],
            recording_organisation=organisation,
            # Some records share a time: the id breaks the tie, as in the ORM's ordering.
            recorded_at=start + datetime.timedelta(hours=rng.randint(0, 20)),
        )
        if number % 4 == 0:
            LegalBasis.objects.create(
                person=rng.choice(persons),
                purpose=rng.choice(list(ConsentPurpose)),
                kind=LegalBasisKind.COURT_ORDER,
                reference="order 1",
                reason="court",
                organisation=rng.choice([organisation, other]),
                valid_until=rng.choice([None, today, today - datetime.timedelta(days=1),
                                        today + datetime.timedelta(days=9)]),
                revoked_at=rng.choice([None, None, timezone.now()]),
                recording_organisation=organisation,
            )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        states = consent_states(persons, today)
    assert len(queries) == 1
    records, bases = _orm_reading(persons, today)
    got_records = []
    for person in persons:
        for entry in states[person.pk].entries:
            got_records.append((entry.order, person.pk, entry))
    got_records.sort(key=lambda item: item[0])
    assert [order for order, _, _ in got_records] == list(range(len(records)))
    for (_, person_id, entry), want in zip(got_records, records, strict=True):
        assert (person_id, str(entry.purpose), str(entry.decision), str(entry.given_by),
                entry.organisation_id) == want[:5]  # fmt: skip
    got_bases = sorted(
        (p.pk, str(b.purpose), b.organisation_id) for p in persons for b in states[p.pk].legal_bases
    )
    assert got_bases == bases
    assert states[child.pk].is_child and not states[adult.pk].is_child


def test_no_persons_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert consent_states([]) == {}
    assert len(queries) == 0


def test_a_person_without_records(adult):
    state = consent_states([adult])[adult.pk]
    assert state.entries == () and state.legal_bases == ()
    assert isinstance(adult, Person)
