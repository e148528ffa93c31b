"""Demo screenings: completed interviews for a share of the demo persons, with their consents,
reviews, identification statuses and a few legal bases.

Deterministic from the seed. The answers are generated per person from a profile (signs of
trafficking, none, or an interview cut short), and the outcome is the real rules' outcome of
those answers — never set by hand. Rows are bulk-inserted (the loader records one `demo.load`
audit event with the counts returned here), encrypted like any other.

Who does what, as in the demo catalogue: the border post's first responder, the shelter's and
the association's case workers, the hotline and the social directorate screen their own
organisation's persons; the shelter's supervisor reviews half of the shelter's screenings and
records legal bases for the persons the police investigator is assigned to.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils import timezone

from palermo.accounts.models import Organisation, User
from palermo.consent.models import ConsentRecord, ConsentSource, LegalBasis, LegalBasisKind
from palermo.consent.rules import ConsentPurpose, Decision, GivenBy, is_child_on
from palermo.people.models import Person

from . import instruments as catalogue
from .decisions import ReviewDecision, decision_making_org, trafficking_status
from .instruments import AnswerType, Instrument, Population, Question
from .models import Screening, ScreeningReview, ScreeningStatus, VictimStatus
from .rules import assess

# Share of the screening organisations' persons who were screened, and a ceiling, so that a
# million-person demo still loads in minutes.
SHARE = 0.3
MAX_SCREENINGS = 3000
# Organisation key → the demo user who screens there.
SCREENERS = {
    "border": "responder",
    "shelter": "caseworker",
    "wings": "caseworker2",
    "hotline": "hotline",
    "social": "multirole",
}
REVIEWS = {"shelter": "supervisor"}
_NAMESPACE = uuid.UUID("0c1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d4e5")
_PROFILES = (("signs", 0.45), ("none", 0.35), ("cut_short", 0.2))
_BEST_INTEREST_BY = (
    "Child protection officer, Bălți Municipal Social Assistance Directorate",
    "Guardianship authority, Chișinău",
)
_BEST_INTEREST_WHY = (
    "The adult travelling with the child is not a parent and could not show a birth "
    "certificate; the parents cannot be reached.",
    "The parents agreed to the journey for work; protection and schooling come first.",
)


def _uuid(kind: str, n: int) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}-{n}")


def _raising_values(question: Question, *, is_child: bool) -> set[str]:
    values: set[str] = set()
    for mapping in question.raises:
        if mapping.applies_to(is_child=is_child):
            values.update(mapping.when)
    return values


def _answer(question: Question, rng: random.Random, profile: str, *, is_child: bool) -> Any:
    """One answer in the manner of the profile; None leaves the question unanswered."""
    if profile == "cut_short" and rng.random() < 0.7:
        return rng.choice(("not_asked", "declined", None))
    if rng.random() < 0.04:
        return "declined"
    signs = profile == "signs" and rng.random() < 0.8
    kind = question.answer_type
    raising = _raising_values(question, is_child=is_child)
    if kind is AnswerType.YES_NO:
        if not raising:
            return rng.choice(("yes", "no"))
        return sorted(raising)[0] if signs else ("no" if "yes" in raising else "yes")
    if kind is AnswerType.CHOICE:
        calm = [o.value for o in question.options if o.value not in raising]
        pick = sorted(raising) if signs and raising else calm or [o.value for o in question.options]
        return rng.choice(pick)
    if kind is AnswerType.MULTI_CHOICE:
        calm = [o.value for o in question.options if o.value not in raising]
        chosen = rng.sample(sorted(raising), min(2, len(raising))) if signs and raising else []
        if calm and rng.random() < 0.5:
            chosen.append(rng.choice(calm))
        return chosen or None
    if kind is AnswerType.NUMBER:
        for mapping in question.raises:
            if signs and mapping.at_least is not None:
                return mapping.at_least + rng.randint(0, 3)
            if not signs and mapping.below is not None:
                return max(mapping.below - 1, question.minimum or 0)
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else low + 10
        return rng.randint(int(low), int(min(high, low + 10)))
    return None  # free text and dates: nothing invented about anyone


def demo_answers(
    instrument: Instrument, rng: random.Random, profile: str, age: int | None
) -> dict[str, Any]:
    is_child = age is not None and age < 18
    answers: dict[str, Any] = {}
    for question in instrument.questions.values():
        if question.id == instrument.age_question:
            value: Any = age if age is not None else "not_asked"
        else:
            value = _answer(question, rng, profile, is_child=is_child)
        if value is not None:
            answers[question.id] = list(value) if isinstance(value, list | tuple) else value
    return answers


def _instruments_for(age: int | None) -> list[Instrument]:
    wanted = {
        Population.ANY,
        Population.CHILD if age is not None and age < 18 else Population.ADULT,
    }
    found = [i for i in catalogue.all_instruments().values() if i.population in wanted]
    return sorted(found, key=lambda i: i.id)


def _age(birthdate: datetime.date | None, today: datetime.date) -> int | None:
    if birthdate is None:
        return None
    return (
        today.year - birthdate.year - ((today.month, today.day) < (birthdate.month, birthdate.day))
    )


@contextmanager
def _creation_times_kept() -> Iterator[None]:
    """Let bulk_create keep the spread-out creation times of the demo (auto_now_add off).

    Process-wide while it lasts, like the loader's own for persons: a management command.
    """
    fields = [
        Screening._meta.get_field("created_at"),
        ScreeningReview._meta.get_field("created_at"),
    ]
    for field in fields:
        field.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True  # type: ignore[union-attr]


def load_demo(context: Any) -> dict[str, int]:
    """Screenings of a share of the screening organisations' persons, with what follows them."""
    organisations: dict[str, Organisation] = context.organisations
    users: dict[str, User] = context.users
    rng = random.Random(f"palermo-demo:{context.seed}:screening")  # noqa: S311
    today = timezone.localdate()
    now = timezone.now()
    owners = {organisations[key].pk: key for key in SCREENERS if key in organisations}
    persons = list(
        Person.objects.filter(owner_organisation_id__in=owners)
        .order_by("pk")
        .only("pk", "public_id", "owner_organisation", "birthdate", "primary_language")
    )
    chosen = [p for p in persons if rng.random() < SHARE][:MAX_SCREENINGS]
    investigator = users.get("investigator")
    watched = (
        set(
            Person.assigned_users.through.objects.filter(user=investigator).values_list(
                "person_id", flat=True
            )
        )
        if investigator
        else set()
    )
    referral_targets = [organisations[k] for k in ("clinic", "legal", "imao") if k in organisations]
    counts = {"screenings": 0, "consents": 0, "reviews": 0, "statuses": 0, "legal_bases": 0}
    screenings: list[Screening] = []
    consents: list[ConsentRecord] = []
    pending_reviews: list[tuple[Screening, ScreeningReview]] = []
    bases: list[LegalBasis] = []
    for n, person in enumerate(chosen):
        key = owners[person.owner_organisation_id]
        interviewer = users[SCREENERS[key]]
        age = _age(person.birthdate, today)
        instrument = rng.choice(_instruments_for(age))
        profile = rng.choices([p for p, _ in _PROFILES], [w for _, w in _PROFILES])[0]
        answers = demo_answers(instrument, rng, profile, age)
        is_child = is_child_on(person.birthdate, today)
        assessment = assess(instrument, answers, is_child=is_child)
        data = assessment.to_dict("en")
        data["explanation"] = [
            {**{k: v for k, v in item.items() if k != "message"}, "messages": dict(step.messages)}
            for item, step in zip(data["explanation"], assessment.explanation, strict=True)
        ]
        language = (
            person.primary_language if person.primary_language in catalogue.LANGUAGES else "ro"
        )
        started = now - datetime.timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 600))
        screening = Screening(
            public_id=_uuid("screening", n),
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            person=person,
            owner_organisation_id=person.owner_organisation_id,
            interviewer=interviewer,
            interviewer_language="ro",
            interviewee_language=language,
            status=ScreeningStatus.COMPLETED,
            current_step=len(instrument.groups),
            answers=answers,
            assessment=data,
            outcome=str(assessment.outcome),
            elements={str(e): str(r.status) for e, r in assessment.elements.items()},
            indicator_ids=[i.id for i in assessment.indicators],
            exploitation_types=list(assessment.exploitation_types),
            control_methods=list(assessment.control_methods),
            age_group=str(assessment.age_group),
        )
        completed_at = started + datetime.timedelta(minutes=rng.randint(15, 90))
        screening.completed_at = completed_at
        screening.created_at = started
        screenings.append(screening)
        consents.extend(_consents(screening, person, rng, is_child, referral_targets, n))
        reviewer_name = REVIEWS.get(key)
        if reviewer_name and reviewer_name in users and rng.random() < 0.5:
            review = _review(screening, users[reviewer_name], organisations[key], rng)
            review.created_at = completed_at + datetime.timedelta(days=rng.randint(1, 5))
            screening.status = ScreeningStatus.REVIEWED
            screening.reviewed_outcome = review.outcome
            screening.reviewed_at = review.created_at
            pending_reviews.append((screening, review))
        if (
            person.pk in watched
            and key == "shelter"
            and "supervisor" in users
            and rng.random() < 0.5
        ):
            bases.append(
                LegalBasis(
                    public_id=_uuid("legal-basis", n),
                    person=person,
                    purpose=ConsentPurpose.LAW_ENFORCEMENT,
                    kind=LegalBasisKind.COURT_ORDER,
                    reference=f"Chișinău Court, order {100 + n}/{today.year}",
                    reason="Investigation of the recruitment network that brought the person.",
                    recorded_by=users["supervisor"],
                    recording_organisation=organisations["shelter"],
                )
            )
    with transaction.atomic(), _creation_times_kept():
        Screening.objects.bulk_create(screenings, batch_size=500)
        ConsentRecord.objects.bulk_create(consents, batch_size=1000)
        ScreeningReview.objects.bulk_create([r for _s, r in pending_reviews], batch_size=500)
        # One status per person: the one of its last review.
        by_person = {
            screening.person_id: VictimStatus(
                person=screening.person,
                trafficking_status=review.trafficking_status,
                decision_making_org=review.decision_making_org,
                decided_by_organisation=review.organisation,
                review=review,
                decided_at=review.created_at,
            )
            for screening, review in pending_reviews
            if review.trafficking_status
        }
        VictimStatus.objects.bulk_create(list(by_person.values()), batch_size=500)
        LegalBasis.objects.bulk_create(bases, batch_size=500)
    counts.update(
        screenings=len(screenings),
        consents=len(consents),
        reviews=len(pending_reviews),
        statuses=len(by_person),
        legal_bases=len(bases),
    )
    return counts


def _consents(
    screening: Screening,
    person: Person,
    rng: random.Random,
    is_child: bool | None,
    referral_targets: list[Organisation],
    n: int,
) -> list[ConsentRecord]:
    """The decisions asked at the end of the screening: some given, some refused."""
    if rng.random() < 0.15:
        return []  # not asked yet (the person was not ready)
    common: dict[str, Any] = {
        "person": person,
        "language": screening.interviewee_language,
        "source": ConsentSource.SCREENING,
        "source_reference": str(screening.public_id),
        "recorded_by": screening.interviewer,
        "recording_organisation_id": screening.owner_organisation_id,
        "recorded_at": screening.completed_at,
    }
    if is_child:
        common["given_by"] = GivenBy.BEST_INTEREST
        common["decided_by"] = rng.choice(_BEST_INTEREST_BY)
        common["reason"] = rng.choice(_BEST_INTEREST_WHY)
        decisions = {ConsentPurpose.ASSISTANCE: Decision.GIVEN}
        if rng.random() < 0.5:
            decisions[ConsentPurpose.LAW_ENFORCEMENT] = Decision.GIVEN
    else:
        common["given_by"] = GivenBy.PERSON
        decisions = {
            ConsentPurpose.ASSISTANCE: Decision.GIVEN if rng.random() < 0.9 else Decision.REFUSED
        }
        roll = rng.random()
        if roll < 0.4:
            decisions[ConsentPurpose.LAW_ENFORCEMENT] = Decision.GIVEN
        elif roll < 0.8:
            decisions[ConsentPurpose.LAW_ENFORCEMENT] = Decision.REFUSED
        if rng.random() < 0.2:
            decisions[ConsentPurpose.EVIDENCE] = Decision.GIVEN
        if rng.random() < 0.6:
            decisions[ConsentPurpose.RESEARCH] = rng.choice((Decision.GIVEN, Decision.REFUSED))
    records = []
    for i, (purpose, decision) in enumerate(decisions.items()):
        records.append(
            ConsentRecord(
                public_id=_uuid(f"consent-{i}", n), purpose=purpose, decision=decision, **common
            )
        )
    if referral_targets and rng.random() < 0.3:
        records.append(
            ConsentRecord(
                public_id=_uuid("consent-referral", n),
                purpose=ConsentPurpose.REFERRAL,
                decision=Decision.GIVEN,
                organisation=rng.choice(referral_targets),
                **common,
            )
        )
    return records


def _review(
    screening: Screening, reviewer: User, organisation: Organisation, rng: random.Random
) -> ScreeningReview:
    override = rng.random() < 0.15
    outcome = screening.outcome
    if override:
        outcome = rng.choice(
            [
                o
                for o in ("presumed_trafficked", "not_indicated", "insufficient_information")
                if o != outcome
            ]
        )
    status = trafficking_status(outcome, formal_identification=False)
    return ScreeningReview(
        public_id=uuid.uuid5(_NAMESPACE, f"review-{screening.public_id}"),
        screening=screening,
        reviewer=reviewer,
        organisation=organisation,
        decision=ReviewDecision.OVERRIDE if override else ReviewDecision.CONFIRM,
        original_outcome=screening.outcome,
        outcome=outcome,
        reason="Reviewed with the interviewer and the shelter's psychologist; outcome changed."
        if override
        else "Reviewed with the interviewer; the account is consistent.",
        trafficking_status=str(status) if status else "",
        decision_making_org=str(decision_making_org(organisation.org_type)),
    )


def reset_demo() -> None:
    """Remove the demo screenings and what hangs on them, before the demo persons go."""
    from palermo.demo.loader import demo_organisations

    organisations = demo_organisations()
    persons = Person.objects.filter(owner_organisation__in=organisations)
    with transaction.atomic():
        VictimStatus.objects.filter(person__in=persons).delete()
        Screening.objects.filter(owner_organisation__in=organisations).delete()
        ConsentRecord.objects.filter(person__in=persons).delete()
        LegalBasis.objects.filter(person__in=persons).delete()
