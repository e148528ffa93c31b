"""The owner of a record sees who elsewhere read or changed it (subject_organisation)."""

from __future__ import annotations

import re

import pytest

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.access import audit_events_visible_to
from palermo.audit.models import AuditEvent
from palermo.audit.services import audit_read, audit_record
from palermo.testing import OrganisationFactory, actor_for, member, signed_in_client

from .events import record
from .tampering import raw_update, triggers_dropped
from .test_pages import URL, rows, text_of
from .test_verify_command import verify


@pytest.fixture
def read_by_b(worker_b: Membership, org_a: Organisation) -> AuditEvent:
    """Org B's worker reads a person owned by Org A (access through a referral, say)."""
    event = audit_read(
        actor=actor_for(worker_b),
        object_type="person",
        object_id="a-person",
        field_groups=["identity"],
        subject_organisation=org_a,
    )
    assert event is not None
    return event


def test_the_service_records_the_owner(read_by_b: AuditEvent, org_a: Organisation) -> None:
    read_by_b.refresh_from_db()
    assert read_by_b.subject_organisation == org_a
    assert read_by_b.organisation != org_a
    assert read_by_b.chained_content()["subject_organisation"] == org_a.pk
    # Without an owner, the chained content is what it was before the column existed.
    (plain,) = record(Membership.objects.get(user__username="worker_b"))
    assert "subject_organisation" not in plain.chained_content()
    assert audit_record(actor=None, action="system.check").subject_organisation is None


def test_the_owners_supervisor_sees_reads_by_other_organisations(
    read_by_b: AuditEvent,
    supervisor_a: Membership,
    worker_b: Membership,
    org_b: Organisation,
) -> None:
    record(worker_b, object_id="b-own-person")  # about Org B's own record: not A's business
    page = text_of(signed_in_client(supervisor_a).get(URL))
    (row,) = [r for r in rows(page) if "a-person" in r]
    assert "worker_b" in row and "at Org B" in row
    assert "b-own-person" not in page
    # Org B's supervisor sees its own worker's read too, without the "at" note.
    supervisor_b = member(Role.SUPERVISOR, org_b, username="supervisor_b")
    page_b = text_of(signed_in_client(supervisor_b).get(URL))
    (row_b,) = [r for r in rows(page_b) if "a-person" in r]
    assert "worker_b" in row_b and "at Org" not in row_b


def test_a_third_organisation_sees_none_of_it(read_by_b: AuditEvent) -> None:
    org_c = OrganisationFactory(name="Org C")
    supervisor_c = member(Role.SUPERVISOR, org_c)
    assert not audit_events_visible_to(actor_for(supervisor_c)).exists()
    assert "a-person" not in text_of(signed_in_client(supervisor_c).get(URL))


def test_filters_apply_to_the_owners_view_too(
    read_by_b: AuditEvent, supervisor_a: Membership, worker_a: Membership
) -> None:
    record(worker_a, action="person.update", object_id="a-other")
    client = signed_in_client(supervisor_a)
    by_b = text_of(client.get(URL, {"actor": "worker_b"}))
    assert re.findall(r"<code>(a-[\w-]+)</code>", by_b) == ["a-person"]
    assert "a-person" not in text_of(client.get(URL, {"action": "person.update"}))


def test_the_owner_column_is_covered_by_the_chain(
    read_by_b: AuditEvent, worker_a: Membership, org_b: Organisation
) -> None:
    (later,) = record(worker_a)
    # Moving an event to another owner, or giving an owner to one that had none, both break it.
    with triggers_dropped():
        raw_update(read_by_b.sequence, "subject_organisation_id", org_b.pk)
    assert verify()[2] == (
        f"Audit log BROKEN at event #{read_by_b.sequence}: its content does not match its hash\n"
    )
    with triggers_dropped():
        raw_update(read_by_b.sequence, "subject_organisation_id", read_by_b.subject_organisation_id)
        raw_update(later.sequence, "subject_organisation_id", org_b.pk)
    assert verify()[2] == (
        f"Audit log BROKEN at event #{later.sequence}: its content does not match its hash\n"
    )


def test_the_page_still_costs_the_same_queries(
    read_by_b: AuditEvent,
    supervisor_a: Membership,
    worker_a: Membership,
    worker_b: Membership,
    org_a: Organisation,
    django_assert_max_num_queries: object,
) -> None:
    from .test_pages import QUERY_BUDGET

    client = signed_in_client(supervisor_a)
    client.get(URL)
    for _ in range(10):
        record(worker_a)
        audit_read(
            actor=actor_for(worker_b),
            object_type="person",
            object_id="a-person",
            field_groups=["contact"],
            subject_organisation=org_a,
        )
    with django_assert_max_num_queries(QUERY_BUDGET):  # type: ignore[operator]
        page = text_of(client.get(URL))
    assert page.count("at Org B") == 11
