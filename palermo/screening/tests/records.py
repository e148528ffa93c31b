"""Screenings made through the real services, and snapshots to prove nothing changed."""

from __future__ import annotations

from typing import Any

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.consent.models import ConsentRecord
from palermo.people.models import Person
from palermo.screening import services
from palermo.screening.models import Screening, ScreeningReview, VictimStatus
from palermo.testing import actor_for

PRESUMED = {"age": 30, "recruited": "yes", "documents": "yes", "paid": "not_at_all"}
NOT_INDICATED = {"age": 30, "recruited": "no", "documents": "no", "paid": "fully"}


def started(membership: Membership, language: str = "uk", **kwargs: Any) -> Screening:
    return services.screening_start(
        actor=actor_for(membership),
        instrument_id="test-border",
        interviewee_language=language,
        interviewer_language="en",
        **kwargs,
    )


def completed(
    membership: Membership, answers: dict[str, Any] | None = None, **kwargs: Any
) -> Screening:
    actor = actor_for(membership)
    screening = started(membership, **kwargs)
    services.screening_save_answers(
        actor=actor, screening=screening, answers=dict(PRESUMED if answers is None else answers)
    )
    return services.screening_complete(actor=actor, screening=screening)


def snapshot() -> tuple[Any, ...]:
    """What a refused request must leave alone."""
    screenings = tuple(
        (s.pk, s.status, s.answers, s.outcome, s.reviewed_outcome, s.person_id, s.current_step)
        for s in Screening.objects.order_by("pk")
    )
    return (
        screenings,
        ScreeningReview.objects.count(),
        VictimStatus.objects.count(),
        Person.objects.count(),
        ConsentRecord.objects.count(),
        # Writes only: a page shown again with its messages may be a (recorded) read.
        AuditEvent.objects.exclude(action__endswith=".read").count(),
    )


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
