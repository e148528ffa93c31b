"""The case services: consent to enter, who refers and decides, deadlines, closure, audit."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation, OrganisationType
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.cases import services
from palermo.cases.models import (
    AnonymousNotification,
    Case,
    CaseDeadline,
    CaseDecision,
    CaseStatus,
    ClosureReason,
)
from palermo.errors import ApplicationError, Forbidden, NotFound
from palermo.notifications.models import Notification
from palermo.people.models import Person
from palermo.testing import OrganisationFactory, actor_for, member

from .conftest import consent, open_for, register

pytestmark = pytest.mark.django_db


def _age(case: Case, days: int) -> None:
    """Pretend the case entered its stage `days` days ago."""
    Case.objects.filter(pk=case.pk).update(
        stage_entered_at=case.stage_entered_at - datetime.timedelta(days=days)
    )
    case.refresh_from_db()


def test_an_adult_with_consent_enters_at_referral_with_a_five_working_day_deadline(
    worker: Membership, adult: Person, authority: Membership
) -> None:
    case = open_for(worker, adult, summary="Met at the border.")
    assert case.stage == "referral" and case.status == CaseStatus.ACTIVE
    assert case.case_worker == worker.user and case.owner_organisation == worker.organisation
    assert case.competent_organisation == authority.organisation
    assert case.is_child is False and case.summary == "Met at the border."
    deadline = CaseDeadline.objects.get(case=case)
    assert deadline.kind == "due" and deadline.stage == "referral"
    today = timezone.localdate()
    assert deadline.due_on > today and deadline.due_on.weekday() < 5
    assert case.next_deadline == deadline.due_on
    # The competent authority is told a decision is waiting.
    assert Notification.objects.filter(
        recipient=authority.user, kind="case.decision_requested", reference=case.reference
    ).exists()


def test_an_adult_without_consent_is_refused_with_a_clear_error(worker: Membership) -> None:
    person = register(worker)
    with pytest.raises(ApplicationError) as refused:
        open_for(worker, person)
    assert refused.value.code == "consent_required"
    assert "only with their consent to assistance" in str(refused.value.message)
    assert "consent" in refused.value.fields
    assert not Case.objects.exists()


def test_an_adult_who_refused_is_pointed_to_the_anonymous_notification(worker: Membership) -> None:
    person = register(worker)
    consent(worker, person, "refused")
    with pytest.raises(ApplicationError) as refused:
        open_for(worker, person)
    assert "notify the referral mechanism anonymously" in str(refused.value.message)
    assert not Case.objects.exists()


def test_the_consent_error_is_translated(worker: Membership) -> None:
    from django.utils import translation

    person = register(worker)
    with translation.override("fr"), pytest.raises(ApplicationError) as refused:
        open_for(worker, person)
    assert refused.value.code == "consent_required"


def test_a_child_enters_without_consent(worker: Membership, child: Person) -> None:
    case = open_for(worker, child)
    assert case.is_child is True and case.stage == "referral"


def test_a_person_presumed_a_child_enters_without_consent(worker: Membership) -> None:
    person = register(worker, birthdate="")
    consent_data = {
        "language": "ro",
        "given_by": "best_interest",
        "decisions": {"assistance": "given"},
        "decided_by": "Guardianship authority",
        "reason": "Age uncertain; presumed a child.",
    }
    from palermo.consent import services as consent_services

    consent_services.consent_record(actor=actor_for(worker), person=person, data=consent_data)
    case = open_for(worker, person)
    assert case.is_child is True


def test_one_open_case_per_person(worker: Membership, adult: Person) -> None:
    case = open_for(worker, adult)
    with pytest.raises(ApplicationError) as refused:
        open_for(worker, adult)
    assert refused.value.status == 409 and case.reference in str(refused.value.message)


def test_a_person_of_another_organisation_is_not_found(
    worker: Membership, other_ngo: Organisation
) -> None:
    stranger = member(Role.CASE_WORKER, other_ngo)
    person = register(stranger)
    consent(stranger, person)
    with pytest.raises(NotFound):
        open_for(worker, person)


def test_roles_the_rules_do_not_name_may_not_refer(settings: Any, shelter: Organisation) -> None:
    provider = member(Role.SERVICE_PROVIDER, shelter)
    with pytest.raises(Forbidden):
        services.case_open(actor=actor_for(provider), person_id="x")
    # Under the UK's rules a health service is not a first-responder organisation.
    settings.PALERMO_COUNTRY = "GB"
    clinic = OrganisationFactory(org_type=OrganisationType.HEALTH_SERVICE, country="GB")
    responder = member(Role.FIRST_RESPONDER, clinic)
    with pytest.raises(Forbidden) as refused:
        services.case_open(actor=actor_for(responder), person_id="x")
    assert "does not refer" in str(refused.value.message)


def test_a_case_from_a_screening_must_wait_for_it_to_be_finished(
    worker: Membership, adult: Person, authority: Membership
) -> None:
    from palermo.screening import services as screening_services

    actor = actor_for(worker)
    screening = screening_services.screening_start(
        actor=actor,
        instrument_id="ilo-forced-labour",
        interviewer_language="en",
        interviewee_language="en",
        person_id=str(adult.public_id),
    )
    with pytest.raises(ApplicationError) as refused:
        services.case_open(actor=actor, screening_id=screening.public_id)
    assert "screening" in refused.value.fields
    screening_services.screening_complete(actor=actor, screening=screening)
    other = register(worker, first_name="Ivan")
    with pytest.raises(ApplicationError) as refused:
        services.case_open(actor=actor, screening_id=screening.public_id, person_id=other.public_id)
    assert "screening" in refused.value.fields
    case = services.case_open(actor=actor, screening_id=screening.public_id)
    assert case.person == adult and case.screening == screening


def test_the_competent_authority_decides_and_the_case_moves_on(
    case: Case, authority: Membership, worker: Membership
) -> None:
    decision = services.case_decide(
        actor=actor_for(authority), case_id=case.public_id, outcome="positive", reason="Indicators."
    )
    case.refresh_from_db()
    assert case.stage == "recovery"
    assert decision.decided_by == authority.user
    assert decision.decided_by_organisation == authority.organisation
    assert CaseDecision.objects.get(pk=decision.pk).reason == "Indicators."
    referral = CaseDeadline.objects.get(case=case, stage="referral")
    assert referral.met_at is not None
    period = CaseDeadline.objects.get(case=case, stage="recovery")
    assert period.kind == "period_end"
    assert period.due_on == timezone.localdate() + datetime.timedelta(days=30)
    assert case.next_deadline == period.due_on
    assert Notification.objects.filter(recipient=worker.user, kind="case.decided").exists()


def test_the_conclusive_decision_waits_for_the_recovery_period(
    case: Case, authority: Membership
) -> None:
    actor = actor_for(authority)
    services.case_decide(actor=actor, case_id=case.public_id, outcome="positive", reason="RG.")
    case.refresh_from_db()
    with pytest.raises(ApplicationError) as refused:
        services.case_decide(actor=actor, case_id=case.public_id, outcome="positive", reason="CG.")
    assert refused.value.code == "too_early" and refused.value.status == 409
    _age(case, 30)
    services.case_decide(actor=actor, case_id=case.public_id, outcome="positive", reason="CG.")
    case.refresh_from_db()
    assert case.stage == "assistance" and case.next_deadline is None


def test_a_negative_decision_opens_reconsideration_and_a_negative_one_closes(
    case: Case, authority: Membership
) -> None:
    actor = actor_for(authority)
    services.case_decide(actor=actor, case_id=case.public_id, outcome="negative", reason="No.")
    case.refresh_from_db()
    assert case.stage == "rg_reconsideration"
    deadline = CaseDeadline.objects.get(case=case, stage="rg_reconsideration")
    assert deadline.due_on == timezone.localdate() + datetime.timedelta(days=30)
    services.case_decide(
        actor=actor, case_id=case.public_id, outcome="negative", reason="Still no."
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.closure_reason == ClosureReason.NEGATIVE_DECISION
    assert case.next_deadline is None


@pytest.mark.parametrize("role", [Role.CASE_WORKER, Role.SUPERVISOR, Role.INVESTIGATOR])
def test_roles_that_may_not_decide_are_refused(
    case: Case, role: Role, shelter: Organisation
) -> None:
    someone = member(role, shelter)
    before = AuditEvent.objects.count()
    with pytest.raises((Forbidden, NotFound)):
        services.case_decide(
            actor=actor_for(someone), case_id=case.public_id, outcome="positive", reason="x"
        )
    assert not CaseDecision.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_competent_authority_of_another_organisation_does_not_see_the_case(
    case: Case,
) -> None:
    elsewhere = OrganisationFactory(org_type=OrganisationType.CENTRAL_GOVERNMENT)
    stranger = member(Role.COMPETENT_AUTHORITY, elsewhere)
    with pytest.raises(NotFound):
        services.case_decide(
            actor=actor_for(stranger), case_id=case.public_id, outcome="positive", reason="x"
        )


def test_an_authority_of_a_type_the_rules_do_not_name_is_refused(
    worker: Membership, adult: Person
) -> None:
    police = OrganisationFactory(org_type=OrganisationType.LAW_ENFORCEMENT, country="MD")
    officer = member(Role.COMPETENT_AUTHORITY, police)
    ministry = OrganisationFactory(org_type=OrganisationType.CENTRAL_GOVERNMENT, country="MD")
    member(Role.COMPETENT_AUTHORITY, ministry)
    case = (
        open_for(worker, adult, competent_organisation_id=str(police.public_id)) if False else None
    )
    # The police are not a competent organisation under the default rules: not offered.
    with pytest.raises(ApplicationError) as refused:
        open_for(worker, adult, competent_organisation_id=str(police.public_id))
    assert "competent_organisation" in refused.value.fields
    case = open_for(worker, adult)
    assert case.competent_organisation == ministry
    Case.objects.filter(pk=case.pk).update(competent_organisation=police)
    with pytest.raises(Forbidden) as refused:
        services.case_decide(
            actor=actor_for(officer), case_id=case.public_id, outcome="positive", reason="x"
        )
    assert "competent authority" in str(refused.value.message)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"outcome": "maybe", "reason": "x"}, "outcome"),
        ({"outcome": "positive", "reason": "   "}, "reason"),
        ({"outcome": "positive", "reason": "x" * 4001}, "reason"),
        ({"outcome": "positive", "reason": "bad\x00byte"}, "reason"),
        ({"outcome": ["positive"], "reason": "x"}, "outcome"),
        ({"outcome": "positive", "reason": 42}, "reason"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    case: Case, authority: Membership, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        services.case_decide(actor=actor_for(authority), case_id=case.public_id, **fields)
    assert field in refused.value.fields
    case.refresh_from_db()
    assert case.stage == "referral" and not CaseDecision.objects.exists()


def test_assign_close_and_reopen(case: Case, worker: Membership, supervisor: Membership) -> None:
    colleague = member(Role.CASE_WORKER, worker.organisation)
    services.case_assign(
        actor=actor_for(supervisor), case_id=case.public_id, username=colleague.user.username
    )
    case.refresh_from_db()
    assert case.case_worker == colleague.user
    assert Notification.objects.filter(recipient=colleague.user, kind="case.assigned").exists()
    outsider = member(Role.CASE_WORKER, OrganisationFactory())
    with pytest.raises(ApplicationError) as refused:
        services.case_assign(
            actor=actor_for(supervisor), case_id=case.public_id, username=outsider.user.username
        )
    assert "case_worker" in refused.value.fields

    with pytest.raises(ApplicationError) as refused:
        services.case_close(actor=actor_for(supervisor), case_id=case.public_id, reason="Bored")
    assert "reason" in refused.value.fields
    services.case_close(
        actor=actor_for(supervisor), case_id=case.public_id, reason="ReferredToAnotherOrganisation"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED_REFERRED and case.closed_at is not None
    with pytest.raises(ApplicationError):
        services.case_close(actor=actor_for(supervisor), case_id=case.public_id, reason="Other")

    services.case_reopen(actor=actor_for(supervisor), case_id=case.public_id)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE and case.stage == "assistance"
    assert case.closure_reason == "" and case.closed_at is None


def test_reopening_is_refused_when_too_late(case: Case, supervisor: Membership) -> None:
    services.case_close(actor=actor_for(supervisor), case_id=case.public_id, reason="LostContact")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - datetime.timedelta(days=400))
    with pytest.raises(ApplicationError) as refused:
        services.case_reopen(actor=actor_for(supervisor), case_id=case.public_id)
    assert refused.value.code == "too_late"


def test_only_the_owner_closes(case: Case, authority: Membership) -> None:
    with pytest.raises(Forbidden):
        services.case_close(actor=actor_for(authority), case_id=case.public_id, reason="Other")


def test_advance_needs_a_next_stage(case: Case, worker: Membership) -> None:
    with pytest.raises(ApplicationError) as refused:
        services.case_advance(actor=actor_for(worker), case_id=case.public_id)
    assert refused.value.code == "no_next_stage"


def test_anonymous_notification_keeps_only_gender_nationality_and_contact(
    worker: Membership,
) -> None:
    notification = services.anonymous_notification_create(
        actor=actor_for(worker), gender="Masculine", nationality="ua", contact="+373 69 000 000"
    )
    stored = AnonymousNotification.objects.get(pk=notification.pk)
    assert (stored.gender, stored.nationality, stored.contact) == (
        "Masculine",
        "UA",
        "+373 69 000 000",
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contact FROM cases_anonymousnotification WHERE id = %s", [notification.pk]
        )
        raw = cursor.fetchone()[0]
    assert "+373" not in raw  # encrypted at rest
    event = AuditEvent.objects.get(action="case.anonymous_notification")
    assert event.details == {"has_contact": True}


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"gender": "Robot"}, "gender"),
        ({"gender": "Feminine", "nationality": "XX"}, "nationality"),
        ({"gender": "Feminine", "nationality": "Moldova"}, "nationality"),
        ({"gender": "Feminine", "contact": "x" * 201}, "contact"),
        ({"gender": "Feminine", "contact": "a\nb"}, "contact"),
    ],
)
def test_bad_anonymous_notifications_are_refused(
    worker: Membership, fields: dict[str, Any], bad: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        services.anonymous_notification_create(actor=actor_for(worker), **fields)
    assert bad in refused.value.fields
    assert not AnonymousNotification.objects.exists()


def test_audit_details_hold_no_personal_data(case: Case, authority: Membership) -> None:
    services.case_decide(
        actor=actor_for(authority),
        case_id=case.public_id,
        outcome="positive",
        reason="Olena described the recruiter Ivan.",
    )
    for event in AuditEvent.objects.filter(object_type="case"):
        text = json.dumps(event.details, ensure_ascii=False)
        assert "Olena" not in text and "Ivan" not in text and "Kovalenko" not in text
