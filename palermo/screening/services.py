"""Every write of screenings: start, answer, complete, register the person, review.

Each is atomic and writes its audit event in the same transaction. Audit details hold ids,
codes and counts only: never an answer, a name or a reviewer's reasons.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm, Role
from palermo.audit.services import audit_record
from palermo.consent.rules import is_child_on
from palermo.errors import ApplicationError, Forbidden, NotFound, invalid
from palermo.people import services as people_services
from palermo.people.access import person_for_actor
from palermo.people.models import Person
from palermo.people.validation import clean_person_input

from . import instruments as catalogue
from .access import not_a_draft, require_conduct
from .answers import clean_answers
from .decisions import (
    OUTCOMES,
    ReviewDecision,
    decision_making_org,
    trafficking_status,
)
from .duplicates import Candidate, registration_candidates
from .models import (
    Screening,
    ScreeningReview,
    ScreeningStatus,
    VictimStatus,
    can_transition,
)
from .rules import assess

MAX_REVIEW_REASON = 2000
# What a registration from a screening asks: who the person is, and how to reach them.
REGISTRATION_FIELDS = (
    "first_name",
    "middle_name",
    "second_name",
    "birthdate",
    "gender",
    "identity_number",
    "mobile_phone",
    "citizenship",
    "primary_language",
)


class PossibleDuplicates(ApplicationError):
    """Registering would risk a second record of someone already known: show them first."""

    def __init__(self, candidates: list[Candidate]) -> None:
        super().__init__(
            _(
                "Some persons already registered may be this person. Check them, then link "
                "one or confirm that this is someone new."
            ),
            code="possible_duplicates",
            status=409,
        )
        self.candidates = candidates


def instrument_of(instrument_id: str) -> catalogue.Instrument:
    try:
        return catalogue.all_instruments()[instrument_id]
    except KeyError as exc:
        raise invalid({"instrument": [_("Choose one of the listed instruments.")]}) from exc


def _is_child(person: Person | None) -> bool | None:
    if person is None:
        return None
    return is_child_on(person.birthdate, timezone.localdate())


@transaction.atomic
def screening_start(
    *,
    actor: Actor,
    instrument_id: Any,
    interviewee_language: Any,
    interviewer_language: str,
    person_id: Any = None,
) -> Screening:
    """Open a draft screening with an instrument, for a known person or not (yet).

    The interviewee's language must be one the instrument is written in. ApplicationError
    (400) per field for bad input; Forbidden for an actor who does not conduct screenings.
    """
    require_conduct(actor)
    errors: dict[str, list[str]] = {}
    instrument = None
    if not isinstance(instrument_id, str) or instrument_id not in catalogue.all_instruments():
        errors["instrument"] = [_("Choose one of the listed instruments.")]
    else:
        instrument = catalogue.all_instruments()[instrument_id]
    if not isinstance(interviewee_language, str) or interviewee_language not in catalogue.LANGUAGES:
        errors["interviewee_language"] = [_("Choose one of the listed languages.")]
    person = None
    if person_id not in (None, ""):
        try:
            person = person_for_actor(actor, str(person_id), "view")
        except NotFound:
            errors["person"] = [_("This person is not among those you can see.")]
    if errors or instrument is None:
        raise invalid(errors)
    language = interviewer_language if interviewer_language in catalogue.LANGUAGES else "en"
    assert actor.organisation is not None  # noqa: S101 - require_conduct checked it
    screening = Screening.objects.create(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        person=person,
        owner_organisation=actor.organisation,
        interviewer=actor.user,
        interviewer_language=language,
        interviewee_language=interviewee_language,
    )
    audit_record(
        actor=actor,
        action="screening.start",
        object_type="screening",
        object_id=str(screening.public_id),
        details={
            "instrument": instrument.id,
            "version": instrument.version,
            "person": str(person.public_id) if person else None,
        },
    )
    return screening


@transaction.atomic
def screening_save_answers(
    *,
    actor: Actor,
    screening: Screening,
    answers: dict[str, Any],
    step: int | None = None,
    allowed: list[str] | None = None,
) -> Screening:
    """Merge answers into a draft (None removes an answer); remember the step to resume at.

    `allowed` limits the questions (a wizard step sends its group's). The caller got the
    screening through `access.screening_for_actor(actor, id, "answer")`; checked again here.
    """
    require_conduct(actor)
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    if screening.interviewer_id != actor.user.pk:  # type: ignore[union-attr]
        raise Forbidden(_("Only the interviewer can change the answers of a draft."))
    if screening.status != ScreeningStatus.DRAFT:
        raise not_a_draft()
    instrument = instrument_of(screening.instrument_id)
    cleaned = clean_answers(instrument, answers, allowed=allowed)
    stored = dict(screening.answers or {})
    for question_id, value in cleaned.items():
        if value is None:
            stored.pop(question_id, None)
        else:
            stored[question_id] = value
    changed = stored != (screening.answers or {})
    screening.answers = stored
    if step is not None:
        screening.current_step = max(0, min(step, len(instrument.groups)))
    screening.save()
    if changed:
        audit_record(
            actor=actor,
            action="screening.answer",
            object_type="screening",
            object_id=str(screening.public_id),
            field_groups={"narrative"},
            details={"questions": sorted(cleaned), "answered": len(stored)},
        )
    return screening


def stored_assessment(screening: Screening, is_child: bool | None) -> Any:
    """The assessment of the screening's answers, and its JSON form with every language."""
    instrument = instrument_of(screening.instrument_id)
    assessment = assess(instrument, screening.answers or {}, is_child=is_child)
    data = assessment.to_dict("en")
    data["explanation"] = [
        {**item, "messages": dict(step.messages)}
        for item, step in zip(data["explanation"], assessment.explanation, strict=True)
    ]
    for item in data["explanation"]:
        item.pop("message", None)
    return assessment, data


@transaction.atomic
def screening_complete(*, actor: Actor, screening: Screening) -> Screening:
    """Assess the answers and close the draft: the outcome and its explanation are stored."""
    require_conduct(actor)
    screening = (
        Screening.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=screening.pk)
    )
    if screening.interviewer_id != actor.user.pk:  # type: ignore[union-attr]
        raise Forbidden(_("Only the interviewer can complete a screening."))
    if not can_transition(screening.status, ScreeningStatus.COMPLETED):
        raise not_a_draft()
    assessment, data = stored_assessment(screening, _is_child(screening.person))
    screening.assessment = data
    screening.instrument_version = assessment.instrument_version
    screening.outcome = str(assessment.outcome)
    screening.elements = {str(e): str(r.status) for e, r in assessment.elements.items()}
    screening.indicator_ids = [i.id for i in assessment.indicators]
    screening.exploitation_types = list(assessment.exploitation_types)
    screening.control_methods = list(assessment.control_methods)
    screening.age_group = str(assessment.age_group)
    screening.status = ScreeningStatus.COMPLETED
    screening.completed_at = timezone.now()
    screening.save()
    audit_record(
        actor=actor,
        action="screening.complete",
        object_type="screening",
        object_id=str(screening.public_id),
        field_groups={"narrative"},
        details={
            "instrument": screening.instrument_id,
            "version": screening.instrument_version,
            "outcome": screening.outcome,
            "indicators": len(screening.indicator_ids),
        },
    )
    return screening


def _registration_data(screening: Screening, data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(REGISTRATION_FIELDS))
    if unknown:
        raise invalid({name: [_("This field is not part of a registration.")] for name in unknown})
    values = dict(data)
    if not values.get("primary_language"):
        values["primary_language"] = screening.interviewee_language
    return values


def _apply_latest_review(actor: Actor, screening: Screening, person: Person) -> None:
    review = screening.reviews.order_by("-created_at", "-id").first()
    if review is not None and review.trafficking_status:
        _set_victim_status(person, review)


def _check_registrable(actor: Actor, screening: Screening) -> Screening:
    require_conduct(actor)
    if not actor.can(Perm.PERSON_CREATE):
        raise Forbidden()
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    if screening.owner_organisation_id != actor.organisation_id:
        raise Forbidden()
    if screening.person_id is not None:
        raise ApplicationError(
            _("This screening is already linked to a person."), code="already_linked", status=409
        )
    return screening


@transaction.atomic
def screening_register_person(
    *,
    actor: Actor,
    screening: Screening,
    data: dict[str, Any],
    duplicates_checked: bool,
) -> Person:
    """Register the screened person and link the screening to the new record.

    Possible existing records are looked for first: if there are any and the caller has not
    confirmed it checked them (`duplicates_checked`), PossibleDuplicates (409) carries them
    and nothing is written.
    """
    screening = _check_registrable(actor, screening)
    values = _registration_data(screening, data)
    region = actor.organisation.country if actor.organisation else None
    cleaned = clean_person_input(values, default_region=region)
    candidates = registration_candidates(
        actor=actor, values=cleaned, screening_id=str(screening.public_id)
    )
    if candidates and not duplicates_checked:
        raise PossibleDuplicates(candidates)
    person = people_services.person_create(actor=actor, data=values)
    screening.person = person
    screening.save(update_fields=["person", "updated_at"])
    audit_record(
        actor=actor,
        action="screening.register",
        object_type="screening",
        object_id=str(screening.public_id),
        details={"person": str(person.public_id), "candidates_shown": len(candidates)},
    )
    _apply_latest_review(actor, screening, person)
    return person


@transaction.atomic
def screening_link_person(*, actor: Actor, screening: Screening, person_id: Any) -> Person:
    """Link the screening to a person already registered (one of the candidates, usually)."""
    screening = _check_registrable(actor, screening)
    if not isinstance(person_id, str) or not person_id:
        raise invalid({"person": [_("Choose the person to link.")]})
    try:
        person = person_for_actor(actor, person_id, "view")
    except NotFound:
        raise invalid({"person": [_("This person is not among those you can see.")]}) from None
    screening.person = person
    screening.save(update_fields=["person", "updated_at"])
    audit_record(
        actor=actor,
        action="screening.link",
        object_type="screening",
        object_id=str(screening.public_id),
        details={"person": str(person.public_id)},
    )
    _apply_latest_review(actor, screening, person)
    return person


def _clean_review(data: dict[str, Any], current: str) -> tuple[ReviewDecision, str, str]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - {"decision", "outcome", "reason"})
    for name in unknown:
        errors[name] = [_("This field is not accepted here.")]
    decision = data.get("decision")
    if decision not in {str(d) for d in ReviewDecision}:
        errors["decision"] = [_("Choose to confirm or to override the outcome.")]
    outcome = data.get("outcome") or ""
    if decision == ReviewDecision.OVERRIDE:
        if outcome not in OUTCOMES:
            errors["outcome"] = [_("Choose the outcome you decide on.")]
        elif outcome == current:
            errors["outcome"] = [
                _("This is the outcome already: to keep it, confirm it rather than override it.")
            ]
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = [_("Give the reasons for your decision.")]
    elif len(reason.strip()) > MAX_REVIEW_REASON:
        errors["reason"] = [
            _("Use at most %(max)d characters (you entered %(length)d).")
            % {"max": MAX_REVIEW_REASON, "length": len(reason.strip())}
        ]
    if errors:
        raise invalid(errors)
    final = current if decision == ReviewDecision.CONFIRM else outcome
    return ReviewDecision(str(decision)), final, str(reason).strip()


def _set_victim_status(person: Person, review: ScreeningReview) -> None:
    VictimStatus.objects.update_or_create(
        person=person,
        defaults={
            "trafficking_status": review.trafficking_status,
            "decision_making_org": review.decision_making_org,
            "decided_by_organisation": review.organisation,
            "review": review,
            "decided_at": review.created_at,
        },
    )


@transaction.atomic
def screening_review(
    *, actor: Actor, screening: Screening, data: dict[str, Any]
) -> ScreeningReview:
    """Confirm or override the outcome, with reasons; the person's HTCDS status follows.

    Someone other than the interviewer reviews. The status (`decisions.trafficking_status`)
    is set on the person when one is linked, or when one is registered later.
    """
    if actor.user is None or actor.organisation is None or not actor.can(Perm.SCREENING_REVIEW):
        raise Forbidden()
    screening = (
        Screening.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=screening.pk)
    )
    if screening.interviewer_id == actor.user.pk:
        raise ApplicationError(
            _("Someone other than the interviewer reviews a screening."),
            code="own_screening",
            status=403,
        )
    if not can_transition(screening.status, ScreeningStatus.REVIEWED):
        raise ApplicationError(
            _("Complete the screening before reviewing it."), code="draft", status=409
        )
    current = screening.final_outcome
    decision, final, reason = _clean_review(data, current)
    formal = actor.role == Role.COMPETENT_AUTHORITY
    status = trafficking_status(final, formal_identification=formal)
    review = ScreeningReview.objects.create(
        screening=screening,
        reviewer=actor.user,
        organisation=actor.organisation,
        decision=decision,
        original_outcome=current,
        outcome=final,
        reason=reason,
        trafficking_status=str(status) if status else "",
        decision_making_org=str(decision_making_org(actor.organisation.org_type)),
    )
    screening.status = ScreeningStatus.REVIEWED
    screening.reviewed_outcome = final
    screening.reviewed_at = review.created_at
    screening.save(update_fields=["status", "reviewed_outcome", "reviewed_at", "updated_at"])
    if screening.person is not None and status is not None:
        _set_victim_status(screening.person, review)
    audit_record(
        actor=actor,
        action="screening.review",
        object_type="screening",
        object_id=str(screening.public_id),
        details={
            "decision": str(decision),
            "original_outcome": current,
            "outcome": final,
            "trafficking_status": review.trafficking_status or None,
            "decision_making_org": review.decision_making_org,
            "person": str(screening.person.public_id) if screening.person else None,
        },
    )
    return review
