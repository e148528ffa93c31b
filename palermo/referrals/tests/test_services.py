"""The services: sending with consent, every transition, transfers, concurrency, partners."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.cases.access import case_for_actor
from palermo.cases.models import Case
from palermo.errors import ApplicationError, Forbidden, NotFound
from palermo.notifications.models import Notification
from palermo.partners.models import PartnerDeployment
from palermo.people.access import person_for_actor
from palermo.referrals import services
from palermo.referrals.models import Referral
from palermo.referrals.selectors import groups_seen
from palermo.testing import actor_for, member

from .records import consent, make_case, snapshot

pytestmark = pytest.mark.django_db


def send(sender: Membership, case: Case, **data: Any) -> Referral:
    body = {"reason": "AdditionalServicesRequired", "shared_groups": ["identity", "contact"]}
    body.update(data)
    return services.referral_send(actor=actor_for(sender), case_public_id=case.public_id, data=body)


def act(who: Membership, referral: Referral, action: str, **data: Any) -> Referral:
    return services.referral_transition(
        actor=actor_for(who), public_id=referral.public_id, action=action, data=data
    )


def test_send_with_named_consent_records_event_audit_and_notifies(
    worker: Membership, provider: Membership, clinic: Organisation, case: Case
) -> None:
    consent(case.person, "referral", organisation=clinic)
    other_clinic_member = member(Role.CASE_WORKER, clinic)
    member(Role.RESEARCHER, clinic)  # may not answer: not notified
    referral = send(
        worker, case, receiving_organisation=str(clinic.public_id), details="Needs a doctor"
    )
    assert referral.state == "pending" and referral.consent_basis == "consent"
    assert referral.shared_groups == ["contact", "identity"]
    # Five working days in the case's calendar: never on a weekend.
    assert referral.respond_by > timezone.localdate()
    assert referral.respond_by.weekday() < 5
    event = referral.events.get()
    assert (event.from_state, event.to_state, event.consent_basis) == ("", "pending", "consent")
    assert event.shared_groups == ["contact", "identity"]
    audit = AuditEvent.objects.get(action="referral.send")
    assert audit.object_id == str(referral.public_id)
    assert audit.field_groups == ["contact", "identity"]
    assert "Needs a doctor" not in str(audit.details) and "Олена" not in str(audit.details)
    assert audit.subject_organisation_id == case.owner_organisation_id
    notified = set(
        Notification.objects.filter(kind="referral.received").values_list("recipient", flat=True)
    )
    assert notified == {provider.user_id, other_clinic_member.user_id}
    # The details are encrypted at rest.
    with connection.cursor() as cursor:
        cursor.execute("SELECT details FROM referrals_referral WHERE id = %s", [referral.pk])
        (raw,) = cursor.fetchone()
    assert "doctor" not in str(raw)


def test_adult_without_referral_consent_is_refused_and_nothing_changes(
    worker: Membership, clinic: Organisation, case: Case
) -> None:
    consent(case.person, "referral", organisation=member(Role.CASE_WORKER).organisation)
    before = snapshot()
    with pytest.raises(ApplicationError) as exc:
        send(worker, case, receiving_organisation=str(clinic.public_id))
    assert exc.value.code == "consent_required"
    # A case worker may not override: the override reason is ignored, still refused.
    with pytest.raises(ApplicationError) as exc:
        send(worker, case, receiving_organisation=str(clinic.public_id), override_reason="urgent")
    assert exc.value.code == "consent_required"
    assert snapshot() == before


def test_refused_consent_is_refused(worker: Membership, clinic: Organisation, case: Case) -> None:
    consent(case.person, "referral", organisation=clinic)
    consent(case.person, "referral", organisation=clinic, decision="withdrawn")
    with pytest.raises(ApplicationError) as exc:
        send(worker, case, receiving_organisation=str(clinic.public_id))
    assert exc.value.code == "consent_required" and "withdrew" in str(exc.value.message)


def test_child_needs_a_best_interest_decision(worker: Membership, clinic: Organisation) -> None:
    child_case = make_case(worker, child=True)
    consent(child_case.person, "referral", organisation=clinic, given_by="guardian")
    with pytest.raises(ApplicationError) as exc:
        send(worker, child_case, receiving_organisation=str(clinic.public_id))
    assert exc.value.code == "consent_required" and "best-interest" in str(exc.value.message)
    consent(child_case.person, "referral", organisation=clinic, given_by="best_interest")
    referral = send(worker, child_case, receiving_organisation=str(clinic.public_id))
    assert referral.consent_basis == "best_interest"
    assert referral.events.get().consent_basis == "best_interest"


def test_override_is_recorded_encrypted_and_audited(
    supervisor: Membership, clinic: Organisation, case: Case
) -> None:
    referral = send(
        supervisor,
        case,
        receiving_organisation=str(clinic.public_id),
        override_reason="Immediate danger; the person cannot be reached.",
    )
    referral.refresh_from_db()
    assert referral.consent_basis == "override"
    assert referral.override_reason == "Immediate danger; the person cannot be reached."
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT override_reason FROM referrals_referral WHERE id = %s", [referral.pk]
        )
        (raw,) = cursor.fetchone()
    assert "danger" not in str(raw)
    override = AuditEvent.objects.get(action="consent.override")
    assert override.object_id == str(referral.public_id)
    assert "danger" not in str(override.details)
    # Without a reason, even a supervisor is refused, and asked for one.
    with pytest.raises(ApplicationError) as exc:
        send(supervisor, make_case(supervisor), receiving_organisation=str(clinic.public_id))
    assert exc.value.code == "consent_required" and "override_reason" in exc.value.fields


def test_full_lifecycle_and_notices_to_the_sender(
    worker: Membership, provider: Membership, clinic: Organisation, case: Case
) -> None:
    consent(case.person, "referral", organisation=clinic)
    colleague = member(Role.SERVICE_PROVIDER, clinic)
    referral = send(worker, case, receiving_organisation=str(clinic.public_id))
    act(
        provider,
        referral,
        "accept",
        case_worker=colleague.user.username,
        note="We can see her Monday",
    )
    referral.refresh_from_db()
    assert referral.state == "accepted" and referral.receiving_case_worker == colleague.user
    assert referral.responded_at is not None
    act(provider, referral, "start")
    act(provider, referral, "done", note="Treatment finished")
    referral.refresh_from_db()
    assert referral.state == "done"
    states = list(referral.events.values_list("from_state", "to_state"))
    assert states == [
        ("", "pending"),
        ("pending", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "done"),
    ]
    kinds = list(
        Notification.objects.filter(recipient=worker.user)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["referral.accepted", "referral.done"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"referral.send", "referral.accept", "referral.start", "referral.done"} <= actions
    # Done: the clinic's access is gone.
    with pytest.raises(NotFound):
        person_for_actor(actor_for(provider), case.person.public_id)
    with pytest.raises(NotFound):
        case_for_actor(actor_for(provider), case.public_id)


def test_wrong_side_wrong_state_and_bad_notes(
    worker: Membership, provider: Membership, clinic: Organisation, case: Case
) -> None:
    consent(case.person, "referral", organisation=clinic)
    referral = send(worker, case, receiving_organisation=str(clinic.public_id))
    before = snapshot()
    with pytest.raises(Forbidden):
        act(worker, referral, "accept")  # the sender does not answer for the receiver
    with pytest.raises(Forbidden):
        act(provider, referral, "revoke")  # the receiver does not revoke
    with pytest.raises(ApplicationError) as exc:
        act(provider, referral, "start")  # not accepted yet
    assert exc.value.status == 409
    with pytest.raises(ApplicationError) as exc:
        act(provider, referral, "decline")  # a decline says why
    assert "note" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        act(provider, referral, "decline", note="x" * 2001)
    assert "note" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        act(provider, referral, "accept", case_worker=worker.user.username)  # not a clinic member
    assert "case_worker" in exc.value.fields
    with pytest.raises(NotFound):
        act(provider, referral, "approve")
    with pytest.raises(NotFound):
        act(member(Role.SERVICE_PROVIDER), referral, "accept")  # another provider: 404
    assert snapshot() == before


def test_double_accept_only_one_wins(
    worker: Membership, provider: Membership, clinic: Organisation, case: Case
) -> None:
    consent(case.person, "referral", organisation=clinic)
    referral = send(worker, case, receiving_organisation=str(clinic.public_id))
    colleague = member(Role.SERVICE_PROVIDER, clinic)
    act(provider, referral, "accept")
    with pytest.raises(ApplicationError) as exc:
        act(colleague, referral, "accept")
    assert exc.value.code == "conflict" and exc.value.status == 409
    assert referral.events.filter(to_state="accepted").count() == 1
    # A stale read (the row changed between the read and the update) loses too.
    stale = Referral.objects.get(pk=referral.pk)
    stale.state = "pending"
    with pytest.raises(ApplicationError) as exc:
        services._apply(stale, services.Action.ACCEPT, actor=actor_for(colleague), note="")
    assert exc.value.code == "conflict"
    assert AuditEvent.objects.filter(action="referral.accept").count() == 1


def test_withdrawn_consent_stops_the_next_step_unless_overridden(
    worker: Membership, supervisor: Membership, provider: Membership, clinic: Organisation
) -> None:
    case = make_case(worker)
    consent(case.person, "referral", organisation=clinic)
    referral = send(worker, case, receiving_organisation=str(clinic.public_id))
    consent(case.person, "referral", organisation=clinic, decision="withdrawn")
    before = snapshot()
    with pytest.raises(ApplicationError) as exc:
        act(provider, referral, "accept")
    assert exc.value.code == "consent_withdrawn" and "withdrawn" in str(exc.value.message)
    assert snapshot() == before
    # Declining (sharing less) is still possible, and records that no consent stands.
    act(provider, referral, "decline", note="Consent withdrawn")
    assert referral.events.last().consent_basis == ""  # type: ignore[union-attr]
    # A referral sent on an override does not rest on consent.
    overridden = send(
        supervisor,
        make_case(worker),
        receiving_organisation=str(clinic.public_id),
        override_reason="Safety",
    )
    act(provider, overridden, "accept")
    assert overridden.events.last().consent_basis == "override"  # type: ignore[union-attr]


def test_revoke_takes_access_away(
    worker: Membership, provider: Membership, clinic: Organisation, case: Case
) -> None:
    consent(case.person, "referral", organisation=clinic)
    referral = send(worker, case, receiving_organisation=str(clinic.public_id))
    act(provider, referral, "accept")
    assert person_for_actor(actor_for(provider), case.person.public_id)
    act(worker, referral, "revoke", note="No longer needed")
    referral.refresh_from_db()
    assert referral.state == "revoked"
    with pytest.raises(NotFound):
        person_for_actor(actor_for(provider), case.person.public_id)
    assert Notification.objects.filter(kind="referral.revoked", recipient=provider.user).exists()
    with pytest.raises(ApplicationError):
        act(worker, referral, "revoke")


def test_groups_the_sender_cannot_see_are_refused(
    shelter: Organisation, clinic: Organisation
) -> None:
    responder = member(Role.FIRST_RESPONDER, shelter)
    case = make_case(member(Role.CASE_WORKER, shelter))
    consent(case.person, "referral", organisation=clinic)
    before = snapshot()
    with pytest.raises(ApplicationError) as exc:
        send(
            responder,
            case,
            receiving_organisation=str(clinic.public_id),
            shared_groups=["identity", "health"],
        )
    assert "shared_groups" in exc.value.fields and "Health" in str(
        exc.value.fields["shared_groups"][0]
    )
    assert snapshot() == before


def test_duplicate_live_referral_is_refused(
    worker: Membership, clinic: Organisation, case: Case
) -> None:
    consent(case.person, "referral", organisation=clinic)
    send(worker, case, receiving_organisation=str(clinic.public_id))
    with pytest.raises(ApplicationError) as exc:
        send(worker, case, receiving_organisation=str(clinic.public_id))
    assert exc.value.code == "duplicate" and exc.value.status == 409
    assert Referral.objects.count() == 1


def test_transfer_moves_case_and_person(
    worker: Membership, shelter: Organisation, legal_aid: Organisation
) -> None:
    case = make_case(worker)
    case.person.assigned_users.add(worker.user)
    consent(case.person, "assistance")
    consent(case.person, "referral", organisation=legal_aid)
    receiver = member(Role.CASE_WORKER, legal_aid)
    transfer = send(
        worker,
        case,
        kind="transfer",
        receiving_organisation=str(legal_aid.public_id),
        shared_groups=["identity", "contact", "location", "narrative"],
    )
    act(receiver, transfer, "accept")
    transfer.refresh_from_db()
    case.refresh_from_db()
    assert transfer.state == "done"
    assert case.owner_organisation == legal_aid and case.case_worker == receiver.user
    assert case.person.owner_organisation_id == legal_aid.pk  # type: ignore[union-attr]
    assert list(transfer.events.values_list("to_state", flat=True)) == [
        "pending",
        "accepted",
        "done",
    ]
    assert AuditEvent.objects.filter(action="case.transfer", object_id=str(case.public_id)).exists()
    # The former owner keeps nothing.
    with pytest.raises(NotFound):
        case_for_actor(actor_for(worker), case.public_id)
    with pytest.raises(NotFound):
        person_for_actor(actor_for(worker), case.person.public_id)
    # The new owner sees everything its role and consent allow: all six groups.
    new_owner = actor_for(receiver)
    assert case_for_actor(new_owner, case.public_id) == case
    assert groups_seen(new_owner, Case.objects.get(pk=case.pk).person) == frozenset(
        {"identity", "contact", "location", "health", "legal", "narrative"}
    )
    with pytest.raises(ApplicationError):
        act(worker, transfer, "revoke")  # done: nothing to revoke (and no longer the owner)


def test_former_owner_keeps_access_through_another_live_referral(
    worker: Membership, shelter: Organisation, legal_aid: Organisation
) -> None:
    case = make_case(worker)
    consent(case.person, "assistance")
    consent(case.person, "referral", organisation=legal_aid)
    consent(case.person, "referral", organisation=shelter)
    receiver = member(Role.CASE_WORKER, legal_aid)
    transfer = send(worker, case, kind="transfer", receiving_organisation=str(legal_aid.public_id))
    act(receiver, transfer, "accept")
    back = send(
        receiver, case, receiving_organisation=str(shelter.public_id), shared_groups=["identity"]
    )
    assert case_for_actor(actor_for(worker), case.public_id)
    assert groups_seen(actor_for(worker), Case.objects.get(pk=case.pk).person) == {"identity"}
    act(receiver, back, "revoke")
    with pytest.raises(NotFound):
        case_for_actor(actor_for(worker), case.public_id)


def test_transfer_rules(worker: Membership, clinic: Organisation, provider: Membership) -> None:
    case = make_case(worker)
    consent(case.person, "referral", organisation=clinic)
    # The person has another open case here: a transfer would leave them behind.
    now = timezone.now()
    Case.objects.create(
        person=case.person,
        owner_organisation=worker.organisation,
        country="MD",
        stage="referral",
        stage_entered_at=now,
        opened_at=now,
    )
    with pytest.raises(ApplicationError) as exc:
        send(worker, case, kind="transfer", receiving_organisation=str(clinic.public_id))
    assert "kind" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        send(worker, case, kind="transfer", external_organisation_name="Somewhere")
    assert "kind" in exc.value.fields
    assert Referral.objects.count() == 0


def test_onward_referral_by_an_accepting_receiver(
    worker: Membership, provider: Membership, clinic: Organisation, legal_aid: Organisation
) -> None:
    case = make_case(worker)
    consent(case.person, "referral", organisation=clinic)
    consent(case.person, "referral", organisation=legal_aid)
    first = send(
        worker,
        case,
        receiving_organisation=str(clinic.public_id),
        shared_groups=["identity", "contact"],
    )
    with pytest.raises(Forbidden):  # not accepted yet
        send(
            provider,
            case,
            receiving_organisation=str(legal_aid.public_id),
            shared_groups=["identity"],
        )
    act(provider, first, "accept")
    with pytest.raises(ApplicationError) as exc:  # more than it was given
        send(
            provider,
            case,
            receiving_organisation=str(legal_aid.public_id),
            shared_groups=["identity", "location"],
        )
    assert "shared_groups" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:  # only the owner transfers
        send(
            provider,
            case,
            kind="transfer",
            receiving_organisation=str(legal_aid.public_id),
            shared_groups=["identity"],
        )
    assert "kind" in exc.value.fields
    onward = send(
        provider, case, receiving_organisation=str(legal_aid.public_id), shared_groups=["identity"]
    )
    assert onward.sending_organisation == clinic
    assert (
        AuditEvent.objects.filter(action="referral.send", object_id=str(onward.public_id))
        .get()
        .details["onward"]
        is True
    )


def test_roles_that_may_not_refer(clinic: Organisation, shelter: Organisation, case: Case) -> None:
    investigator = member(Role.INVESTIGATOR, shelter)  # sees cases, may not refer
    with pytest.raises(Forbidden):
        send(investigator, case, receiving_organisation=str(clinic.public_id))
    with pytest.raises(NotFound):  # another organisation: the case does not exist for it
        send(member(Role.CASE_WORKER, clinic), case, receiving_organisation=str(clinic.public_id))
    case.status = "Closed"
    case.save()
    with pytest.raises(ApplicationError) as exc:
        send(member(Role.CASE_WORKER, shelter), case, receiving_organisation=str(clinic.public_id))
    assert exc.value.code == "closed"


def test_external_referral_answers_are_recorded_by_the_sender(
    worker: Membership, case: Case
) -> None:
    consent(case.person, "referral", external="Caritas Tiraspol")  # the consent names it
    referral = send(worker, case, external_organisation_name="Caritas Tiraspol")
    assert referral.state == "pending" and referral.receiving_organisation is None
    act(worker, referral, "accept")
    referral.refresh_from_db()
    assert referral.state == "accepted" and referral.receiving_case_worker is None
    act(worker, referral, "start")
    act(worker, referral, "done")
    assert Referral.objects.get(pk=referral.pk).state == "done"


def test_service_names_the_receiver(worker: Membership, clinic: Organisation, case: Case) -> None:
    from palermo.directory.models import Provider, Service

    listed = Provider.objects.create(
        organisation=clinic, name="Clinic", org_type="HealthService", country="MD"
    )
    service = Service.objects.create(provider=listed, service_type="Health", languages=["ro"])
    outside = Provider.objects.create(name="Free clinic", org_type="NGO", country="MD")
    other = Service.objects.create(provider=outside, service_type="Health", languages=["ro"])
    consent(case.person, "referral", organisation=clinic)
    consent(case.person, "referral", external="free  clinic")
    referral = send(worker, case, service=str(service.public_id))
    assert referral.receiving_organisation == clinic and referral.service == service
    external = send(worker, case, service=str(other.public_id))
    assert external.external_organisation_name == "Free clinic"
    with pytest.raises(ApplicationError) as exc:
        send(
            worker,
            make_case(worker),
            service=str(other.public_id),
            receiving_organisation=str(clinic.public_id),
        )
    assert "service" in exc.value.fields


def test_partner_referral_is_handed_over_after_commit_and_answered(
    worker: Membership,
    case: Case,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    partner = PartnerDeployment.objects.create(
        name="Palermo Ukraine",
        url="https://ua.example.org",
        signing_key="s" * 43,
        encryption_key="e" * 43,
    )
    sent: list[Referral] = []
    monkeypatch.setattr(services, "transmit_referral", sent.append)
    consent(case.person, "referral", partner=partner)
    with django_capture_on_commit_callbacks(execute=True):
        referral = send(worker, case, partner=str(partner.public_id))
    assert [r.pk for r in sent] == [referral.pk]
    with pytest.raises(Forbidden):  # the sender does not answer for a partner
        act(worker, referral, "accept")
    services.referral_partner_answer(
        partner=partner, public_id=referral.public_id, state="accepted"
    )
    referral.refresh_from_db()
    assert referral.state == "accepted"
    assert referral.events.last().actor_label == "Palermo Ukraine"  # type: ignore[union-attr]
    assert Notification.objects.filter(kind="referral.accepted", recipient=worker.user).exists()
    other = PartnerDeployment.objects.create(
        name="Other", url="https://x.example.org", signing_key="t" * 43, encryption_key="f" * 43
    )
    with pytest.raises(NotFound):
        services.referral_partner_answer(partner=other, public_id=referral.public_id, state="done")
    with pytest.raises(ApplicationError):
        services.referral_partner_answer(
            partner=partner, public_id=referral.public_id, state="revoked"
        )


def test_explicit_deadline(worker: Membership, clinic: Organisation, case: Case) -> None:
    consent(case.person, "referral", organisation=clinic)
    day = timezone.localdate() + datetime.timedelta(days=2)
    referral = send(
        worker, case, receiving_organisation=str(clinic.public_id), respond_by=day.isoformat()
    )
    assert referral.respond_by == day
