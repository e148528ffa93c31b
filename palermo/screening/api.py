"""The screening API: the same services and selectors as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from palermo.accounts.actors import Actor
from palermo.errors import Forbidden
from palermo.people.schemas import ErrorOut
from palermo.people.validation import clean_person_input

from . import instruments as catalogue
from . import selectors, services
from .access import may_read_answers, may_screen, require_conduct, screening_for_actor
from .duplicates import registration_candidates
from .models import Screening
from .schemas import (
    AnswersIn,
    CandidateOut,
    CandidatesIn,
    CandidatesOut,
    InstrumentOut,
    LinkIn,
    RegisteredOut,
    RegistrationIn,
    ReviewIn,
    ReviewOut,
    ScreeningOut,
    StartIn,
)

router = Router(tags=["screening"])

_ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
}


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    if not may_screen(actor):
        raise Forbidden()
    return actor


def _out(actor: Actor, screening: Screening, *, read: bool = True) -> ScreeningOut:
    """The screening as the caller may see it; showing the answers is an audited read."""
    data: dict[str, Any] = {
        "id": str(screening.public_id),
        "reference": screening.reference,
        "instrument": screening.instrument_id,
        "instrument_version": screening.instrument_version,
        "status": screening.status,
        "person": str(screening.person.public_id) if screening.person else None,
        "owner_organisation": str(screening.owner_organisation.public_id),
        "interviewer_language": screening.interviewer_language,
        "interviewee_language": screening.interviewee_language,
        "current_step": screening.current_step,
        "outcome": screening.outcome or None,
        "reviewed_outcome": screening.reviewed_outcome or None,
        "elements": dict(screening.elements),
        "indicators": list(screening.indicator_ids),
        "exploitation_types": list(screening.exploitation_types),
        "control_methods": list(screening.control_methods),
        "created_at": screening.created_at,
        "completed_at": screening.completed_at,
    }
    if may_read_answers(actor, screening):
        data["answers"] = dict(screening.answers or {})
        data["assessment"] = screening.assessment
        if read and (screening.answers or screening.assessment):
            selectors.audit_answers_shown(actor, screening, what="api")
    return ScreeningOut(**data)


@router.get("/instruments", response={200: list[InstrumentOut], **_ERRORS}, summary="Instruments")
def list_instruments(request: HttpRequest) -> list[InstrumentOut]:
    _actor(request)
    language = selectors.ui_language()
    return [
        InstrumentOut(
            id=instrument.id,
            version=instrument.version,
            title=catalogue.localised(instrument.title, language),
            languages=list(catalogue.LANGUAGES),
            steps=len(instrument.groups),
            questions=len(instrument.questions),
        )
        for instrument in sorted(catalogue.all_instruments().values(), key=lambda i: i.id)
    ]


@router.post(
    "",
    response={201: ScreeningOut, **_ERRORS},
    exclude_unset=True,
    summary="Start a screening",
)
def start_screening(request: HttpRequest, payload: StartIn) -> Status:
    actor = _actor(request)
    screening = services.screening_start(
        actor=actor,
        instrument_id=payload.instrument,
        interviewee_language=payload.interviewee_language,
        interviewer_language=selectors.ui_language(),
        person_id=payload.person,
    )
    return Status(201, _out(actor, screening, read=False))


@router.get(
    "/{screening_id}",
    response={200: ScreeningOut, **_ERRORS},
    exclude_unset=True,
    summary="One screening",
)
def get_screening(request: HttpRequest, screening_id: str) -> ScreeningOut:
    actor = _actor(request)
    return _out(actor, screening_for_actor(actor, screening_id, "view"))


@router.put(
    "/{screening_id}/answers",
    response={200: ScreeningOut, **_ERRORS},
    exclude_unset=True,
    summary="Save answers of a draft (merged; null removes an answer)",
)
def save_answers(request: HttpRequest, screening_id: str, payload: AnswersIn) -> ScreeningOut:
    actor = _actor(request)
    screening = screening_for_actor(actor, screening_id, "answer")
    screening = services.screening_save_answers(
        actor=actor, screening=screening, answers=dict(payload.answers), step=payload.step
    )
    return _out(actor, screening, read=False)


@router.post(
    "/{screening_id}/complete",
    response={200: ScreeningOut, **_ERRORS},
    exclude_unset=True,
    summary="Complete a draft: assess it and store the outcome with its explanation",
)
def complete_screening(request: HttpRequest, screening_id: str) -> ScreeningOut:
    actor = _actor(request)
    screening = screening_for_actor(actor, screening_id, "answer")
    screening = services.screening_complete(actor=actor, screening=screening)
    return _out(actor, screening)


@router.post(
    "/{screening_id}/registration/candidates",
    response={200: CandidatesOut, **_ERRORS},
    summary="Persons already registered who may be the screened person",
)
def registration_candidates_api(
    request: HttpRequest, screening_id: str, payload: CandidatesIn
) -> CandidatesOut:
    actor = _actor(request)
    require_conduct(actor)
    screening = screening_for_actor(actor, screening_id, "register")
    region = actor.organisation.country if actor.organisation else None
    cleaned = clean_person_input(payload.person.submitted(), default_region=region)
    found = registration_candidates(
        actor=actor, values=cleaned, screening_id=str(screening.public_id)
    )
    # The read of the candidates' identity is audited by registration_candidates itself.
    return CandidatesOut(candidates=[CandidateOut(**c.as_dict()) for c in found])


@router.post(
    "/{screening_id}/registration",
    response={201: RegisteredOut, **_ERRORS},
    summary="Register the screened person (409 while possible duplicates are unchecked)",
)
def register_person(request: HttpRequest, screening_id: str, payload: RegistrationIn) -> Status:
    actor = _actor(request)
    screening = screening_for_actor(actor, screening_id, "register")
    person = services.screening_register_person(
        actor=actor,
        screening=screening,
        data=payload.person.submitted(),
        duplicates_checked=payload.duplicates_checked,
    )
    return Status(
        201,
        RegisteredOut(
            screening=str(screening.public_id),
            person=str(person.public_id),
            reference=person.reference,
        ),
    )


@router.post(
    "/{screening_id}/link",
    response={200: RegisteredOut, **_ERRORS},
    summary="Link the screening to a person already registered",
)
def link_person(request: HttpRequest, screening_id: str, payload: LinkIn) -> RegisteredOut:
    actor = _actor(request)
    screening = screening_for_actor(actor, screening_id, "register")
    person = services.screening_link_person(
        actor=actor, screening=screening, person_id=payload.person
    )
    return RegisteredOut(
        screening=str(screening.public_id), person=str(person.public_id), reference=person.reference
    )


@router.post(
    "/{screening_id}/review",
    response={201: ReviewOut, **_ERRORS},
    summary="Confirm or override the outcome, with reasons",
)
def review_screening(request: HttpRequest, screening_id: str, payload: ReviewIn) -> Status:
    actor = _actor(request)
    screening = screening_for_actor(actor, screening_id, "review")
    review = services.screening_review(
        actor=actor, screening=screening, data=payload.model_dump(exclude_none=True)
    )
    return Status(
        201,
        ReviewOut(
            id=str(review.public_id),
            decision=review.decision,
            original_outcome=review.original_outcome,
            outcome=review.outcome,
            trafficking_status=review.trafficking_status or None,
            decision_making_org=review.decision_making_org,
            created_at=review.created_at,
        ),
    )
