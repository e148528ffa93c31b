"""The services write a proper chain: consecutive sequences, each linked to the one before."""

from __future__ import annotations

import pytest

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership
from palermo.audit.chain import GENESIS_HASH, link_hash
from palermo.audit.context import begin_request, current_request_id, end_request
from palermo.audit.models import AuditChainHead, AuditEvent
from palermo.audit.services import audit_read, audit_record
from palermo.testing import actor_for
from palermo.vault.keys import audit_chain_key

from .events import record


def test_appends_make_a_linked_chain_and_move_the_head(worker_a: Membership) -> None:
    record(worker_a, 4)
    audit_record(actor=Actor.system("nightly"), action="system.check")
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    previous = GENESIS_HASH
    for event in events:
        assert event.previous_hash == previous
        assert event.hash == link_hash(audit_chain_key(), previous, event.chained_content())
        previous = event.hash
    head = AuditChainHead.objects.get()
    assert (head.sequence, head.hash) == (5, events[-1].hash)


def test_an_event_records_who_where_why_and_which_request(worker_a: Membership) -> None:
    token = begin_request()
    request_id = current_request_id()
    try:
        event = audit_record(
            actor=actor_for(worker_a),
            action="person.update",
            object_type="person",
            object_id="p-1",
            field_groups=["health", "identity", "health"],
            details={"fields": ["first_name"]},
        )
    finally:
        end_request(token)
    event.refresh_from_db()
    assert event.actor == worker_a.user
    assert event.actor_label == worker_a.user.username
    assert event.organisation == worker_a.organisation
    assert event.purpose == "assistance"
    assert event.field_groups == ["health", "identity"]
    assert len(request_id) == 32 and event.request_id == request_id
    assert event.details == {"fields": ["first_name"]}


@pytest.mark.django_db
def test_system_events_have_no_organisation() -> None:
    event = audit_record(actor=None, action="system.start")
    assert (event.actor_label, event.organisation, event.purpose) == ("system", None, "")


def test_a_read_of_no_field_group_is_not_recorded(worker_a: Membership) -> None:
    actor = actor_for(worker_a)
    assert audit_read(actor=actor, object_type="person", object_id="p", field_groups=[]) is None
    event = audit_read(actor=actor, object_type="person", object_id="p", field_groups=["contact"])
    assert event is not None and event.action == "person.read"
    assert AuditEvent.objects.count() == 1


def test_the_models_refuse_changes(worker_a: Membership) -> None:
    (event,) = record(worker_a)
    event.action = "person.create"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
