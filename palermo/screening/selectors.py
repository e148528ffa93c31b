"""Reads of screenings for pages and the API: access-checked, consent-narrowed, audited.

Lists show references, instruments, dates and outcomes: nothing that names or describes
anyone, so they are not audited. A page that shows answers or the explanation trail (which
quotes them) is a read of the person's narrative and is audited as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.utils.translation import get_language

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.audit.services import audit_read
from palermo.consent.models import ConsentRecord
from palermo.errors import Forbidden

from . import instruments as catalogue
from .access import may_read_answers, screening_for_actor, screenings_visible_to
from .models import Screening, ScreeningReview, ScreeningStatus, VictimStatus

RECENT = 20


def ui_language() -> str:
    """The interviewer's language: the page's, if the instruments are written in it."""
    language = (get_language() or "en")[:2]
    return language if language in catalogue.LANGUAGES else "en"


def instrument_title(instrument_id: str, language: str) -> str:
    instrument = catalogue.all_instruments().get(instrument_id)
    if instrument is None:
        return instrument_id
    return catalogue.localised(instrument.title, language)


@dataclass(frozen=True)
class ScreeningLists:
    drafts: list[Screening]
    recent: list[Screening]
    to_review: list[Screening]


def screening_lists(*, actor: Actor) -> ScreeningLists:
    """The actor's own drafts (to resume), its organisation's recent screenings, and — for a
    reviewer — the completed screenings waiting for a review."""
    if not (actor.can(Perm.SCREENING_CONDUCT) or actor.can(Perm.SCREENING_REVIEW)):
        raise Forbidden()
    visible = screenings_visible_to(actor).select_related("person", "interviewer")
    drafts = list(
        visible.filter(status=ScreeningStatus.DRAFT, interviewer=actor.user).order_by(
            "-updated_at"
        )[:RECENT]
    )
    recent = list(visible.exclude(status=ScreeningStatus.DRAFT).order_by("-created_at")[:RECENT])
    to_review: list[Screening] = []
    if actor.can(Perm.SCREENING_REVIEW):
        to_review = list(
            visible.filter(status=ScreeningStatus.COMPLETED)
            .exclude(interviewer=actor.user)
            .order_by("completed_at")[:RECENT]
        )
    return ScreeningLists(drafts, recent, to_review)


def audit_answers_shown(actor: Actor, screening: Screening, *, what: str) -> None:
    """Record that a page showed what the screening says about the person."""
    audit_read(
        actor=actor,
        object_type="screening",
        object_id=str(screening.public_id),
        field_groups={"narrative"},
        details={
            "shown": what,
            "person": str(screening.person.public_id) if screening.person else None,
        },
    )


@dataclass(frozen=True)
class StepPage:
    screening: Screening
    instrument: catalogue.Instrument
    index: int
    group: catalogue.QuestionGroup

    @property
    def total(self) -> int:
        return len(self.instrument.groups)

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def is_last(self) -> bool:
        return self.index == self.total - 1


def wizard_step(*, actor: Actor, public_id: UUID | str, index: int, audit: bool = True) -> StepPage:
    """One step of a draft for its interviewer; showing stored answers is an audited read."""
    screening = screening_for_actor(actor, public_id, "answer")
    instrument = catalogue.all_instruments()[screening.instrument_id]
    index = max(0, min(index, len(instrument.groups) - 1))
    group = instrument.groups[index]
    answers = screening.answers or {}
    if audit and any(q.id in answers for q in group.questions):
        audit_answers_shown(actor, screening, what=f"step {index + 1}")
    return StepPage(screening, instrument, index, group)


@dataclass(frozen=True)
class ScreeningPage:
    screening: Screening
    instrument: catalogue.Instrument | None
    shows_answers: bool
    reviews: list[ScreeningReview]
    victim_status: VictimStatus | None
    consents_captured: list[ConsentRecord]
    is_interviewer: bool
    can_register: bool
    can_review: bool
    can_record_consent: bool

    @property
    def assessment(self) -> dict[str, Any] | None:
        return self.screening.assessment if self.shows_answers else None


def screening_page(*, actor: Actor, public_id: UUID | str) -> ScreeningPage:
    """A screening as the actor may see it: the outcome always; the answers and the
    explanation trail only with access to the person's narrative (audited when shown)."""
    screening = screening_for_actor(actor, public_id, "view")
    shows = may_read_answers(actor, screening)
    if shows and (screening.answers or screening.assessment):
        audit_answers_shown(actor, screening, what="result")
    reviews = list(
        ScreeningReview.objects.filter(screening=screening)
        .select_related("reviewer", "organisation")
        .order_by("created_at", "id")
    )
    victim_status = None
    consents: list[ConsentRecord] = []
    if screening.person is not None:
        victim_status = (
            VictimStatus.objects.filter(person=screening.person)
            .select_related("decided_by_organisation")
            .first()
        )
        consents = list(
            ConsentRecord.objects.filter(
                person=screening.person, source_reference=str(screening.public_id)
            )
            .select_related("organisation")
            .defer("guardian_name", "decided_by", "reason")
            .order_by("recorded_at", "id")
        )
    is_interviewer = actor.user is not None and screening.interviewer_id == actor.user.pk
    return ScreeningPage(
        screening=screening,
        instrument=catalogue.all_instruments().get(screening.instrument_id),
        shows_answers=shows,
        reviews=reviews,
        victim_status=victim_status,
        consents_captured=consents,
        is_interviewer=is_interviewer,
        can_register=screening.person is None
        and screening.owner_organisation_id == actor.organisation_id
        and actor.can(Perm.SCREENING_CONDUCT)
        and actor.can(Perm.PERSON_CREATE),
        can_review=actor.can(Perm.SCREENING_REVIEW)
        and not is_interviewer
        and screening.status != ScreeningStatus.DRAFT,
        can_record_consent=screening.person is not None and actor.can(Perm.CONSENT_RECORD),
    )
