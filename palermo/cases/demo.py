"""Demo cases: a few dozen cases of the demo persons, in every stage of the lifecycle in force.

Deterministic from the seed: which persons, which stage, how long ago. Each case's history is
built with the lifecycle's own deadline arithmetic (working days, holidays) and decisions by the
ministry's competent authority, so the pages show what a real caseload looks like: cases
waiting for a decision (some overdue), in the recovery period, in assistance and follow-up,
in reconsideration, and closed. Only persons who may enter the mechanism are used: children,
and adults who gave consent to assistance (see `palermo.screening.demo`). A few anonymous
notifications of adults who refused are added too. Large generated caseloads for benchmarks
are `palermo demo-data --cases N` (palermo/demo/cases_bulk.py).
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from palermo.accounts.models import Organisation, User
from palermo.consent.access import consent_states
from palermo.consent.rules import ConsentPurpose, Decision
from palermo.people.models import Person
from palermo.referrals.models import sync_case_columns

from .lifecycle import Lifecycle, deployment_country, lifecycle_in_force
from .models import (
    OPEN_STATUSES,
    AnonymousNotification,
    Case,
    CaseDeadline,
    CaseDecision,
    CaseStatus,
    ClosureReason,
)

# Organisation key → the demo user who works its cases (None: nobody in a case-working role).
OWNERS = {
    "shelter": "caseworker",
    "wings": "caseworker2",
    "social": "multirole",
    "hotline": None,
    "border": None,
}
MAX_CASES = 60
# (profile, weight): where in the lifecycle the case is now.
PROFILES = (
    ("referral", 3),
    ("referral_overdue", 2),
    ("recovery", 3),
    ("recovery_ended", 2),
    ("assistance", 3),
    ("follow_up", 2),
    ("reconsideration", 1),
    ("closed", 2),
    ("closed_negative", 1),
)
_REASONS = {
    "positive": (
        "The account of recruitment and the withheld passport meet the indicators.",
        "Consistent statements; the employer's debt bondage is documented by the inspectorate.",
    ),
    "negative": ("The information so far does not meet the threshold; reconsideration possible.",),
}
_SUMMARIES = (
    "Referred by the border post after an interview on return from abroad.",
    "Called the hotline from a construction site; wages withheld for months.",
    "Met at the shelter after leaving an employer who kept her documents.",
)


def _eligible(persons: list[Person]) -> list[tuple[Person, bool]]:
    """The persons who may enter the mechanism, each with whether they are a child."""
    states = consent_states(persons)
    result = []
    for person in persons:
        state = states[person.pk]
        entry = state.effective(ConsentPurpose.ASSISTANCE)
        if state.presumed_child or (entry is not None and entry.decision == Decision.GIVEN):
            result.append((person, state.presumed_child))
    return result


def _history(
    lifecycle: Lifecycle, profile: str, rng: random.Random, today: datetime.date
) -> tuple[datetime.date, list[tuple[str, str, datetime.date]], str, str]:
    """(opened on, [(stage, outcome, decided on)], current stage, closure reason)."""
    cal = lifecycle.calendar
    if profile == "referral":
        return today - datetime.timedelta(days=rng.randint(0, 3)), [], "referral", ""
    if profile == "referral_overdue":
        return today - datetime.timedelta(days=rng.randint(9, 20)), [], "referral", ""
    opened = today - datetime.timedelta(days=rng.randint(40, 400))
    rg_day = cal.add_working_days(opened, rng.randint(2, 5))
    if profile == "recovery":
        rg_day = today - datetime.timedelta(days=rng.randint(3, 25))
        opened = rg_day - datetime.timedelta(days=rng.randint(3, 7))
        return opened, [("referral", "positive", rg_day)], "recovery", ""
    if profile == "recovery_ended":
        rg_day = today - datetime.timedelta(days=rng.randint(31, 60))
        opened = rg_day - datetime.timedelta(days=5)
        return opened, [("referral", "positive", rg_day)], "recovery", ""
    if profile == "reconsideration":
        rg_day = today - datetime.timedelta(days=rng.randint(2, 20))
        opened = rg_day - datetime.timedelta(days=6)
        return opened, [("referral", "negative", rg_day)], "rg_reconsideration", ""
    if profile == "closed_negative":
        first = rg_day
        second = first + datetime.timedelta(days=rng.randint(5, 25))
        decisions = [("referral", "negative", first), ("rg_reconsideration", "negative", second)]
        return opened, decisions, "closed", ClosureReason.NEGATIVE_DECISION
    cg_day = rg_day + datetime.timedelta(days=rng.randint(31, 90))
    if cg_day >= today:
        cg_day = today - datetime.timedelta(days=1)
    decisions = [("referral", "positive", rg_day), ("recovery", "positive", cg_day)]
    if profile == "assistance":
        return opened, decisions, "assistance", ""
    if profile == "follow_up":
        return opened, decisions, "follow_up", ""
    return opened, decisions, "closed", ClosureReason.ASSISTANCE_COMPLETED


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def load_demo(context: Any) -> dict[str, int]:
    """Cases for a deterministic choice of the demo persons who may enter the mechanism."""
    organisations: dict[str, Organisation] = context.organisations
    users: dict[str, User] = context.users
    rng = random.Random(f"palermo-demo:{context.seed}:cases")  # noqa: S311 - demo data
    lifecycle = lifecycle_in_force()
    today = timezone.localdate()
    ministry = organisations.get("ministry")
    authority = users.get("authority")
    owners = {organisations[k].pk: k for k in OWNERS if k in organisations}
    taken = set(Case.objects.values_list("person_id", flat=True))
    persons = [
        p
        for p in Person.objects.filter(owner_organisation_id__in=owners)
        .exclude(pk__in=taken)
        .order_by("pk")
        .only("pk", "public_id", "owner_organisation", "birthdate")[: MAX_CASES * 20]
    ]
    chosen = _eligible(persons)
    rng.shuffle(chosen)
    chosen = sorted(chosen[:MAX_CASES], key=lambda item: item[0].pk)
    counts = {"cases": 0, "decisions": 0, "deadlines": 0, "anonymous_notifications": 0}
    profiles = [p for p, _ in PROFILES]
    weights = [w for _, w in PROFILES]
    with transaction.atomic():
        for person, is_child in chosen:
            key = owners[person.owner_organisation_id]
            worker_name = OWNERS[key]
            profile = rng.choices(profiles, weights)[0]
            opened, decisions, stage_key, closure = _history(lifecycle, profile, rng, today)
            stage = lifecycle.stage(stage_key)
            if stage is None:
                continue
            entered = decisions[-1][2] if decisions else opened
            closed = stage.is_closed
            status = CaseStatus.CLOSED if closed else CaseStatus(stage.status)
            case = Case.objects.create(
                person=person,
                owner_organisation_id=person.owner_organisation_id,
                case_worker=users.get(worker_name) if worker_name else None,
                competent_organisation=ministry,
                country=deployment_country(),
                stage=stage.key,
                stage_entered_at=_at(entered, 11),
                status=status,
                closure_reason=closure,
                is_child=is_child,
                summary=rng.choice(_SUMMARIES) if rng.random() < 0.5 else None,
                opened_by=users.get(worker_name) if worker_name else None,
                opened_at=_at(opened, 9),
                closed_at=_at(entered + datetime.timedelta(days=1), 15) if closed else None,
            )
            deadlines: list[CaseDeadline] = []
            visited = [(lifecycle.entry_stage, opened)] + [
                (_target(lifecycle, s, o), d) for s, o, d in decisions
            ]
            for n, (key_at, day) in enumerate(visited):
                at_stage = lifecycle.stage(key_at)
                if at_stage is None or at_stage.is_closed:
                    continue
                left = visited[n + 1][1] if n + 1 < len(visited) else None
                for kind, due in lifecycle.deadlines_on_entry(at_stage, day):
                    met = None
                    if left is not None:
                        met = _at(left, 12)
                    elif kind == "period_end" and due <= today:
                        met = _at(due, 8)
                    deadlines.append(
                        CaseDeadline(
                            case=case,
                            stage=at_stage.key,
                            kind=kind,
                            due_on=due,
                            met_at=met,
                            reminded_at=_at(due, 7) if met is None and due < today else None,
                        )
                    )
            CaseDeadline.objects.bulk_create(deadlines)
            CaseDecision.objects.bulk_create(
                [
                    CaseDecision(
                        case=case,
                        stage=decided_stage,
                        outcome=outcome,
                        decided_by=authority,
                        decided_by_organisation=ministry or case.owner_organisation,
                        reason=rng.choice(_REASONS[outcome]),
                        decided_at=_at(day, 14),
                    )
                    for decided_stage, outcome, day in decisions
                ]
            )
            unmet = [d.due_on for d in deadlines if d.met_at is None]
            case.next_deadline = min(unmet) if unmet and case.status in OPEN_STATUSES else None
            Case.objects.filter(pk=case.pk).update(next_deadline=case.next_deadline)
            sync_case_columns(case)
            counts["cases"] += 1
            counts["decisions"] += len(decisions)
            counts["deadlines"] += len(deadlines)
        for key in ("border", "hotline"):
            organisation = organisations.get(key)
            if organisation is None:
                continue
            for n in range(3):
                AnonymousNotification.objects.create(
                    organisation=organisation,
                    gender=rng.choice(("Feminine", "Masculine", "TransgenderFeminine")),
                    nationality=rng.choice(("MD", "UA", "RO", "")),
                    contact=None,
                    notified_by=None,
                    notified_at=_at(today - datetime.timedelta(days=7 * n + 1), 10),
                )
                counts["anonymous_notifications"] += 1
    return counts


def _target(lifecycle: Lifecycle, stage_key: str, outcome: str) -> str:
    stage = lifecycle.stage(stage_key)
    if stage is None or stage.decision is None:
        return stage_key
    return stage.decision.positive if outcome == "positive" else stage.decision.negative


def reset_demo() -> None:
    """Remove the demo cases (with their decisions and deadlines) and anonymous notifications."""
    from palermo.demo.loader import demo_organisations

    organisations = demo_organisations()
    with transaction.atomic():
        Case.objects.filter(owner_organisation__in=organisations).delete()
        AnonymousNotification.objects.filter(organisation__in=organisations).delete()
