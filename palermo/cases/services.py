"""Every write to a case: opening, decisions, assignment, stage moves, closure, reopening.

Each service checks access through `access.py` and the rules through the lifecycle in force,
runs in one transaction, locks the case row it changes, and writes its audit event (never with
personal data in the details) in the same transaction. Notifications are stored in the same
transaction too (`palermo.notifications.services.notify`); their emails follow after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation, User
from palermo.accounts.roles import Perm, Role, role_can
from palermo.audit.services import audit_record
from palermo.consent.access import consent_state
from palermo.consent.rules import ConsentPurpose, Decision
from palermo.errors import ApplicationError, Forbidden, invalid
from palermo.intake.access import contact_for_actor, situation_for_actor
from palermo.intake.models import ContactPerson, SituationPerson
from palermo.notifications.services import notify
from palermo.people.access import person_for_actor
from palermo.people.models import Person
from palermo.referrals.models import sync_case_columns
from palermo.screening.access import screening_for_actor
from palermo.screening.models import ScreeningStatus

from . import validation
from .access import case_for_actor, cases_visible_to, owns_case, require_permission
from .lifecycle import (
    Lifecycle,
    Stage,
    deployment_country,
    lifecycle_for,
    lifecycle_in_force,
)
from .models import (
    OPEN_STATUSES,
    AnonymousNotification,
    Case,
    CaseDeadline,
    CaseDecision,
    CaseStatus,
    ClosureReason,
)

# Roles that work on cases in the owner organisation: told when a case has no case worker.
CASE_TEAM_ROLES = (Role.CASE_WORKER, Role.SUPERVISOR)


# --- helpers -----------------------------------------------------------------------------


def _locked(case: Case) -> Case:
    """The case again, its row locked until the transaction ends (a concurrent change waits)."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("person", "owner_organisation", "case_worker", "competent_organisation")
        .get(pk=case.pk)
    )


def _audit(
    actor: Actor, action: str, case: Case, details: dict[str, Any], groups: Iterable[str] = ()
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="case",
        object_id=str(case.public_id),
        field_groups=groups,
        details=details,
        subject_organisation=case.owner_organisation,
    )


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def _stage_or_conflict(lifecycle: Lifecycle, case: Case) -> Stage:
    stage = lifecycle.stage(case.stage)
    if stage is None:
        raise ApplicationError(
            _("The case is at a stage the national rules no longer have. Ask an administrator."),
            code="unknown_stage",
            status=409,
        )
    return stage


def _require_open(case: Case) -> None:
    if case.status not in OPEN_STATUSES:
        raise ApplicationError(_("The case is closed."), code="closed", status=409)


def _require_minimum_elapsed(stage: Stage, case: Case, today: datetime.date) -> None:
    if not stage.minimum_days:
        return
    ends = timezone.localdate(case.stage_entered_at) + datetime.timedelta(days=stage.minimum_days)
    if today < ends:
        raise ApplicationError(
            _("The %(stage)s lasts until %(date)s: this can be done from that day on.")
            % {"stage": stage.label(), "date": ends.isoformat()},
            code="too_early",
            status=409,
        )


def _meet_stage_deadlines(case: Case, now: datetime.datetime) -> None:
    CaseDeadline.objects.filter(case=case, stage=case.stage, met_at__isnull=True).update(met_at=now)


def _enter_stage(case: Case, lifecycle: Lifecycle, stage: Stage, now: datetime.datetime) -> None:
    """Move the case to `stage` (saved) and give it the stage's deadlines."""
    case.stage = stage.key
    case.stage_entered_at = now
    case.status = stage.status
    case.save()
    entered = timezone.localdate(now)
    CaseDeadline.objects.bulk_create(
        [
            CaseDeadline(case=case, stage=stage.key, kind=kind, due_on=due)
            for kind, due in lifecycle.deadlines_on_entry(stage, entered)
        ]
    )
    sync_next_deadline(case)


def sync_next_deadline(case: Case) -> None:
    """Keep Case.next_deadline equal to the earliest unmet deadline of an open case."""
    earliest = None
    if case.status in OPEN_STATUSES:
        earliest = CaseDeadline.objects.filter(case=case, met_at__isnull=True).aggregate(
            first=Min("due_on")
        )["first"]
    if case.next_deadline != earliest:
        case.next_deadline = earliest
        Case.objects.filter(pk=case.pk).update(next_deadline=earliest)
        sync_case_columns(case)


def _close(case: Case, lifecycle: Lifecycle, reason: str, now: datetime.datetime) -> None:
    case.stage = lifecycle.closure.stage
    case.stage_entered_at = now
    case.status = (
        CaseStatus.CLOSED_REFERRED if reason == ClosureReason.REFERRED else CaseStatus.CLOSED
    )
    case.closure_reason = reason
    case.closed_at = now
    case.next_deadline = None
    case.save()


def case_team(case: Case) -> list[User]:
    """Who hears about the case's deadlines: its case worker, or else the owner's case team."""
    worker = case.case_worker
    if worker is not None and worker.is_active:
        still_member = Membership.objects.filter(
            user=worker, organisation_id=case.owner_organisation_id
        ).exists()
        if still_member:
            return [worker]
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation_id=case.owner_organisation_id,
            memberships__role__in=[str(r) for r in CASE_TEAM_ROLES],
        )
        .distinct()
        .order_by("pk")
    )


def deciders_for(case: Case, stage: Stage) -> list[User]:
    """The members of the competent organisation who may take the stage's decision."""
    if stage.decision is None or case.competent_organisation_id is None:
        return []
    roles = [r for r in stage.decision.deciders.roles] or [
        str(r) for r in Role if role_can(r, Perm.CASE_DECIDE)
    ]
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation_id=case.competent_organisation_id,
            memberships__role__in=roles,
        )
        .distinct()
        .order_by("pk")
    )


def competent_organisations(lifecycle: Lifecycle | None = None) -> list[Organisation]:
    """Organisations a case may be referred to for the decisions, under the rules in force.

    Active organisations of the deployment's country (any country when it is not set) whose
    type the deciding stages allow and that have a member in a deciding role.
    """
    lifecycle = lifecycle or lifecycle_in_force()
    types: set[str] = set()
    roles: set[str] = set()
    any_type = False
    for stage in lifecycle.deciding_stages():
        assert stage.decision is not None  # noqa: S101 - deciding_stages guarantees it
        deciders = stage.decision.deciders
        if deciders.organisation_types:
            types |= deciders.organisation_types
        else:
            any_type = True
        roles |= deciders.roles or {str(r) for r in Role if role_can(r, Perm.CASE_DECIDE)}
    organisations = Organisation.objects.filter(is_active=True, memberships__role__in=sorted(roles))
    if not any_type:
        organisations = organisations.filter(org_type__in=sorted(types))
    country = deployment_country()
    if country:
        organisations = organisations.filter(country=country)
    return list(organisations.distinct().order_by("name"))


# --- opening -----------------------------------------------------------------------------


def _source_person(
    actor: Actor,
    person_id: str,
    screening_id: str,
    contact_id: str,
    situation_id: str,
) -> tuple[Person, Any, Any]:
    """The person to open a case for, and the screening and situation it comes from."""
    screening = None
    situation = None
    if screening_id:
        screening = screening_for_actor(actor, screening_id)
        if screening.status == ScreeningStatus.DRAFT:
            raise invalid({"screening": [_("Complete the screening first.")]})
        screened = screening.person
        if screened is None:
            raise invalid({"screening": [_("Register the screened person first.")]})
        if person_id and str(screened.public_id) != str(person_id).lower():
            raise invalid({"screening": [_("This screening is about another person.")]})
        person_id = str(screened.public_id)
    if not person_id:
        raise invalid({"person": [_("Choose the person.")]})
    person = person_for_actor(actor, person_id)
    if contact_id:
        contact = contact_for_actor(actor, contact_id)
        if not ContactPerson.objects.filter(contact=contact, person=person).exists():
            raise invalid({"person": [_("This person is not linked to the contact.")]})
        situation = contact.situation
    if situation_id:
        situation = situation_for_actor(actor, situation_id)
        if not SituationPerson.objects.filter(situation=situation, person=person).exists():
            raise invalid({"person": [_("This person is not part of the situation.")]})
    return person, screening, situation


def consent_status(person: Person, lifecycle: Lifecycle) -> str:
    """'child', 'not_required', 'given', 'missing' or 'refused' (refused or withdrawn)."""
    state = consent_state(person)
    if state.presumed_child:
        return "child"
    if not lifecycle.adult_consent:
        return "not_required"
    entry = state.effective(ConsentPurpose.ASSISTANCE)
    if entry is None:
        return "missing"
    return "given" if entry.decision == Decision.GIVEN else "refused"


def consent_refusal(person: Person, lifecycle: Lifecycle) -> ApplicationError | None:
    """Why an adult may not enter the mechanism (no assistance consent), or None if they may.

    Children — by date of birth, or presumed a child — enter without consent.
    """
    status = consent_status(person, lifecycle)
    if status == "missing":
        message = _(
            "An adult enters the referral mechanism only with their consent to assistance. "
            "Ask for it and record it first."
        )
    elif status == "refused":
        message = _(
            "This adult has refused (or withdrawn) consent to assistance, so no case can be "
            "opened. You may notify the referral mechanism anonymously instead."
        )
    else:
        return None
    return ApplicationError(
        message, code="consent_required", fields={"consent": [message]}, status=400
    )


@transaction.atomic
def case_open(
    *,
    actor: Actor,
    person_id: str | UUID = "",
    summary: Any = "",
    screening_id: str | UUID = "",
    contact_id: str | UUID = "",
    situation_id: str | UUID = "",
    competent_organisation_id: str | UUID = "",
) -> Case:
    """Refer a person into the national referral mechanism: a new case at the entry stage.

    The person comes from the person page, a finished screening or a hotline contact or
    situation (all access-checked). Adults need their consent to assistance; children do not.
    Forbidden when the rules do not let the actor's role or organisation refer; 409 when the
    person already has an open case.
    """
    require_permission(actor, Perm.CASE_OPEN)
    lifecycle = lifecycle_in_force()
    if not lifecycle.may_open(actor):
        raise Forbidden(
            _("Under the national rules, your role or organisation does not refer persons.")
        )
    summary = validation.clean_text(summary, "summary", max_length=validation.MAX_SUMMARY_LENGTH)
    person, screening, situation = _source_person(
        actor,
        str(person_id or ""),
        str(screening_id or ""),
        str(contact_id or ""),
        str(situation_id or ""),
    )
    # Lock the person so that two referrals of the same person at once make one case.
    Person.objects.select_for_update().filter(pk=person.pk).first()
    existing = Case.objects.filter(person=person, status__in=OPEN_STATUSES).first()
    if existing is not None:
        if cases_visible_to(actor).filter(pk=existing.pk).exists():
            message = _("%(reference)s is already open for this person.") % {
                "reference": existing.reference
            }
        else:
            message = _("This person already has an open case in the referral mechanism.")
        raise ApplicationError(message, code="already_open", status=409)
    refusal = consent_refusal(person, lifecycle)
    if refusal is not None:
        raise refusal
    competent = _choose_competent(lifecycle, str(competent_organisation_id or ""))
    state = consent_state(person)
    now = timezone.now()
    case = Case(
        person=person,
        owner_organisation=actor.organisation,
        case_worker=actor.user if actor.can(Perm.CASE_EDIT) else None,
        competent_organisation=competent,
        country=deployment_country(),
        stage=lifecycle.entry_stage,
        stage_entered_at=now,
        is_child=state.presumed_child,
        summary=summary or None,
        screening=screening,
        situation=situation,
        opened_by=actor.user,
        opened_at=now,
    )
    entry = lifecycle.stage(lifecycle.entry_stage)
    assert entry is not None  # noqa: S101 - the loader checked it
    _enter_stage(case, lifecycle, entry, now)
    source = "screening" if screening else "situation" if situation else "person"
    _audit(
        actor,
        "case.open",
        case,
        {
            "stage": case.stage,
            "is_child": case.is_child,
            "source": source,
            "person": str(person.public_id),
            "competent_organisation": str(competent.public_id) if competent else "",
        },
        groups=["narrative"] if summary else [],
    )
    if entry.decision is not None:
        recipients = deciders_for(case, entry)
        if recipients:
            notify(
                recipients=recipients,
                kind="case.decision_requested",
                object_type="case",
                object_id=str(case.public_id),
                reference=case.reference,
                url=case_url(case),
            )
    return case


def _choose_competent(lifecycle: Lifecycle, public_id: str) -> Organisation | None:
    choices = competent_organisations(lifecycle)
    if public_id:
        for organisation in choices:
            if str(organisation.public_id) == public_id.lower():
                return organisation
        raise invalid(
            {"competent_organisation": [_("Choose one of the listed competent authorities.")]}
        )
    if len(choices) == 1:
        return choices[0]
    if choices:
        raise invalid({"competent_organisation": [_("Choose the competent authority.")]})
    return None


# --- decisions ---------------------------------------------------------------------------


@transaction.atomic
def case_decide(*, actor: Actor, case_id: str | UUID, outcome: Any, reason: Any) -> CaseDecision:
    """Record the decision due at the case's stage and move the case on.

    Only the roles and organisation types the rules name for the stage decide, for the
    competent organisation (or the owner, when the case has none). The reason is encrypted.
    """
    case = _locked(case_for_actor(actor, case_id, "decide"))
    _require_open(case)
    lifecycle = lifecycle_for(case.country)
    stage = _stage_or_conflict(lifecycle, case)
    if stage.decision is None:
        raise ApplicationError(
            _("No decision is due at this stage."), code="no_decision_due", status=409
        )
    deciding_org = case.competent_organisation_id or case.owner_organisation_id
    if not lifecycle.may_decide(stage, actor) or actor.organisation_id != deciding_org:
        raise Forbidden(
            _("Under the national rules, the %(decision)s is taken by the competent authority.")
            % {"decision": stage.decision.label()}
        )
    outcome = validation.clean_outcome(outcome)
    reason = validation.clean_text(
        reason, "reason", max_length=validation.MAX_REASON_LENGTH, required=True
    )
    now = timezone.now()
    _require_minimum_elapsed(stage, case, timezone.localdate(now))
    assert actor.organisation is not None  # noqa: S101 - case_for_actor checked it
    decision = CaseDecision.objects.create(
        case=case,
        stage=stage.key,
        outcome=outcome,
        decided_by=actor.user,
        decided_by_organisation=actor.organisation,
        reason=reason,
        decided_at=now,
    )
    _meet_stage_deadlines(case, now)
    target_key = stage.decision.positive if outcome == "positive" else stage.decision.negative
    target = lifecycle.stage(target_key)
    assert target is not None  # noqa: S101 - the loader checked it
    if target.is_closed:
        _close(case, lifecycle, ClosureReason.NEGATIVE_DECISION, now)
    else:
        _enter_stage(case, lifecycle, target, now)
    _audit(
        actor,
        "case.decide",
        case,
        {
            "decision": stage.decision.key,
            "stage": stage.key,
            "outcome": outcome,
            "to_stage": case.stage,
            "decision_id": str(decision.public_id),
        },
        groups=["narrative"],
    )
    recipients = case_team(case)
    if target.decision is not None:
        recipients += deciders_for(case, target)
    notify(
        recipients=recipients,
        kind="case.decided",
        object_type="case",
        object_id=str(case.public_id),
        reference=case.reference,
        url=case_url(case),
    )
    return decision


# --- assignment, stage moves, closure ----------------------------------------------------


def assignable_workers(case: Case) -> list[User]:
    """Active members of the owner organisation whose role works on cases."""
    roles = [str(r) for r in Role if role_can(r, Perm.CASE_EDIT) and r != Role.SERVICE_PROVIDER]
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation_id=case.owner_organisation_id,
            memberships__role__in=roles,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@transaction.atomic
def case_assign(*, actor: Actor, case_id: str | UUID, username: Any) -> Case:
    """Make a member of the owner organisation the case's primary case worker."""
    case = case_for_actor(actor, case_id, "edit")
    if not owns_case(actor, case):
        raise Forbidden()
    case = _locked(case)
    _require_open(case)
    username = validation.clean_text(
        username,
        "case_worker",
        max_length=validation.MAX_USERNAME_LENGTH,
        required=True,
        multiline=False,
    )
    worker = next((u for u in assignable_workers(case) if u.username == username), None)
    if worker is None:
        raise invalid(
            {
                "case_worker": [
                    _("Choose a case worker of %(org)s.") % {"org": case.owner_organisation.name}
                ]
            }
        )
    if case.case_worker_id == worker.pk:
        return case
    case.case_worker = worker
    case.save(update_fields=["case_worker", "updated_at"])
    _audit(actor, "case.assign", case, {"case_worker": worker.username})
    if worker.pk != (actor.user.pk if actor.user else None):
        notify(
            recipients=[worker],
            kind="case.assigned",
            object_type="case",
            object_id=str(case.public_id),
            reference=case.reference,
            url=case_url(case),
        )
    return case


@transaction.atomic
def case_advance(*, actor: Actor, case_id: str | UUID) -> Case:
    """Move the case to the stage that follows its current one (assistance → follow-up)."""
    case = case_for_actor(actor, case_id, "edit")
    if not owns_case(actor, case):
        raise Forbidden()
    case = _locked(case)
    _require_open(case)
    lifecycle = lifecycle_for(case.country)
    stage = _stage_or_conflict(lifecycle, case)
    target = lifecycle.stage(stage.next) if stage.next else None
    if target is None:
        raise ApplicationError(
            _("This stage ends with a decision or a closure, not by moving on."),
            code="no_next_stage",
            status=409,
        )
    now = timezone.now()
    _require_minimum_elapsed(stage, case, timezone.localdate(now))
    _meet_stage_deadlines(case, now)
    _enter_stage(case, lifecycle, target, now)
    _audit(actor, "case.advance", case, {"stage": stage.key, "to_stage": target.key})
    return case


@transaction.atomic
def case_close(*, actor: Actor, case_id: str | UUID, reason: Any) -> Case:
    """Close the case with an HTCDS reason the rules allow (owner organisation only)."""
    case = case_for_actor(actor, case_id, "close")
    if not owns_case(actor, case):
        raise Forbidden()
    case = _locked(case)
    _require_open(case)
    lifecycle = lifecycle_for(case.country)
    reason = validation.clean_choice(reason, "reason", lifecycle.closure.reasons)
    stage = case.stage
    _close(case, lifecycle, reason, timezone.now())
    _audit(actor, "case.close", case, {"stage": stage, "reason": reason, "status": case.status})
    return case


@transaction.atomic
def case_reopen(*, actor: Actor, case_id: str | UUID) -> Case:
    """Reopen a closed case at the stage the rules name, if they allow it and it is not too late."""
    case = case_for_actor(actor, case_id, "close")
    if not owns_case(actor, case):
        raise Forbidden()
    case = _locked(case)
    if case.status in OPEN_STATUSES:
        raise ApplicationError(_("The case is open."), code="open", status=409)
    lifecycle = lifecycle_for(case.country)
    rule = lifecycle.closure
    if not rule.reopen:
        raise ApplicationError(
            _("The national rules do not allow reopening a case."), code="no_reopen", status=409
        )
    now = timezone.now()
    closed = case.closed_at or now
    if now - closed > datetime.timedelta(days=rule.reopen_within_days):
        raise ApplicationError(
            _("A case can be reopened up to %(days)d days after it closed.")
            % {"days": rule.reopen_within_days},
            code="too_late",
            status=409,
        )
    if Case.objects.filter(person_id=case.person_id, status__in=OPEN_STATUSES).exists():
        raise ApplicationError(
            _("This person already has an open case in the referral mechanism."),
            code="already_open",
            status=409,
        )
    stage = lifecycle.stage(rule.reopen_stage)
    assert stage is not None  # noqa: S101 - the loader checked it
    previous_reason = case.closure_reason
    case.closure_reason = ""
    case.closed_at = None
    _enter_stage(case, lifecycle, stage, now)
    _audit(actor, "case.reopen", case, {"stage": stage.key, "closure_reason": previous_reason})
    return case


# --- anonymous notifications ---------------------------------------------------------------


@transaction.atomic
def anonymous_notification_create(
    *, actor: Actor, gender: Any, nationality: Any = "", contact: Any = ""
) -> AnonymousNotification:
    """Count an adult who refused to enter the mechanism: gender, nationality, optional contact.

    Nothing else is kept: no name, no date of birth, no link to a person record.
    """
    require_permission(actor, Perm.CASE_OPEN)
    if not lifecycle_in_force().may_open(actor):
        raise Forbidden(
            _("Under the national rules, your role or organisation does not refer persons.")
        )
    errors: dict[str, list[Any]] = {}
    cleaned: dict[str, str] = {}
    for field, clean in (
        ("gender", lambda: validation.clean_gender(gender)),
        ("nationality", lambda: validation.clean_nationality(nationality)),
        (
            "contact",
            lambda: validation.clean_text(
                contact, "contact", max_length=validation.MAX_CONTACT_LENGTH, multiline=False
            ),
        ),
    ):
        try:
            cleaned[field] = clean()
        except ApplicationError as exc:
            errors.update(exc.fields)
    if errors:
        raise invalid(errors)
    assert actor.organisation is not None  # noqa: S101 - require_permission checked it
    notification = AnonymousNotification.objects.create(
        organisation=actor.organisation,
        gender=cleaned["gender"],
        nationality=cleaned["nationality"],
        contact=cleaned["contact"] or None,
        notified_by=actor.user,
        notified_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="case.anonymous_notification",
        object_type="anonymous_notification",
        object_id=str(notification.public_id),
        field_groups=["contact"] if cleaned["contact"] else [],
        details={"has_contact": bool(cleaned["contact"])},
        subject_organisation=actor.organisation,
    )
    return notification
