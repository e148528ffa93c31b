"""Demo case files: needs, a care plan with progress, notes, the route, perpetrators, a document.

Runs after `palermo.cases.demo` (palermo/demo/loader.py). When there are no demo cases yet it
does nothing. Otherwise it writes, for up to `MAX_CASES` open demo cases (the first by id, so
a load with a million generated cases stays quick), a realistic case file drawn from a Random
seeded by the demo seed and the case's position: the same content every load. Loading again
replaces the demo case files of an earlier load.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from palermo.cases.models import OPEN_STATUSES, Case
from palermo.referrals.models import Referral

from . import documents
from .models import (
    CarePlanItem,
    CarePlanProgress,
    CarePlanStatus,
    CaseDocument,
    CaseNote,
    DatePrecision,
    DocumentType,
    EventKind,
    NeedRating,
    NeedsAssessment,
    Perpetrator,
    PerpetratorRole,
    Relationship,
    TraffickingEvent,
    Transport,
)

MAX_CASES = 40
DOCUMENT_CASES = 12

# (origin locality, transit, destination, its city, exploitation kind, where)
ROUTES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("Cahul", "RO", "IT", "Ragusa", "labour", "greenhouses near Ragusa"),
    ("Bălți", "UA", "RU", "Moscow", "labour", "a construction site outside Moscow"),
    ("Ungheni", "RO", "DE", "Oldenburg", "labour", "a meat-packing plant in Lower Saxony"),
    ("Orhei", "RO", "TR", "Istanbul", "sexual", "a flat in Istanbul's Laleli district"),
    ("Soroca", "UA", "PL", "Lublin", "labour", "strawberry fields near Lublin"),
    ("Chișinău", "RO", "AE", "Dubai", "domestic", "a private household in Dubai"),
    ("Comrat", "RO", "CY", "Limassol", "sexual", "a bar in Limassol"),
    ("Edineț", "RO", "GB", "Leicester", "labour", "a car wash in Leicester"),
)
TRANSIT_CITIES = {"RO": "Iași", "UA": "Odesa", "TR": "Istanbul"}
NOTES = (
    "First meeting at the office. She was tired and asked to talk tomorrow; agreed to call at 10.",
    "Accompanied to the clinic. The doctor prescribed treatment for the hand injury.",
    "Spoke with her mother by phone, with her consent. The family wants her home.",
    "Prima întâlnire cu juristul: explicate drepturile victimei în procesul penal.",
    "She recognised the recruiter in the photos shown by the police; no statement yet.",
    "Asked about vocational training in tailoring; will look at the Codru programme.",
    "Nightmares less frequent this week, according to the psychologist.",
    "The employer's agency in the destination country has closed its website.",
)
OBJECTIVES = {
    "Health": "Medical check-up, treatment of injuries and follow-up visits.",
    "SocialCare": "Safe accommodation and daily support during the recovery period.",
    "Legal": "Legal counselling and representation in the criminal case.",
    "Livelihood": "Vocational training and help finding decent work.",
    "Financial": "Emergency allowance for the first three months.",
    "Education": "Enrolment of the child in the local school.",
    "LabourExploitationRehabilitation": "Recover unpaid wages and documents from the employer.",
    "SexualExploitationRehabilitation": "Specialised counselling with a trauma psychologist.",
}
NEED_PLANS = (
    ("Accommodation", "SocialCare"),
    ("Medical", "Health"),
    ("Psychological", "SexualExploitationRehabilitation"),
    ("Legal", "Legal"),
    ("Livelihood", "Livelihood"),
    ("Financial", "Financial"),
)
EXTERNAL_PROVIDERS = ("Clinica Municipală nr. 1", "Centrul de Sănătate Mintală Botanica")
FIRST_NAMES = ("Vasile", "Ion", "Sergiu", "Natalia", "Oleg", "Mehmet", "Andrei", "Galina")


def _demo_cases(context: Any) -> list[Case]:
    organisations = list(context.organisations.values())
    return list(
        Case.objects.filter(owner_organisation__in=organisations, status__in=OPEN_STATUSES)
        .select_related("owner_organisation", "case_worker")
        .order_by("id")[:MAX_CASES]
    )


def load_demo(context: Any) -> dict[str, int]:
    """Case files for the demo cases; returns counts for the load's audit event."""
    cases = _demo_cases(context)
    if not cases:
        return {}
    counts = {
        "casefile_cases": 0,
        "assessments": 0,
        "care_plan_items": 0,
        "notes": 0,
        "events": 0,
        "perpetrators": 0,
        "documents": 0,
    }
    with transaction.atomic():
        _delete_for(cases)
        referred = _referred_organisations(cases)
        for index, case in enumerate(cases):
            rng = random.Random(f"palermo-demo:{context.seed}:casefile:{index}")  # noqa: S311
            _case_file(rng, case, index, referred.get(case.pk, []), counts)
            counts["casefile_cases"] += 1
    return counts


def _referred_organisations(cases: list[Case]) -> dict[int, list[Any]]:
    result: dict[int, list[Any]] = {}
    for referral in Referral.objects.filter(
        case__in=cases, receiving_organisation__isnull=False
    ).select_related("receiving_organisation"):
        result.setdefault(referral.case_id, []).append(referral.receiving_organisation)
    return result


def _case_file(
    rng: random.Random, case: Case, index: int, referred: list[Any], counts: dict[str, int]
) -> None:
    owner = case.owner_organisation
    worker = case.case_worker
    opened = case.opened_at
    today = timezone.localdate()
    start = min(opened.date(), today)
    origin, transit, destination, city, kind, sector = ROUTES[index % len(ROUTES)]

    # Needs: a first assessment a few days after the case opened, a second for some cases.
    areas = rng.sample(NEED_PLANS, k=rng.randint(3, 5))
    versions = 2 if rng.random() < 0.4 else 1
    for version in range(1, versions + 1):
        assessment = NeedsAssessment.objects.create(
            case=case,
            version=version,
            assessed_on=min(start + datetime.timedelta(days=2 + 20 * (version - 1)), today),
            assessor=worker,
            assessor_organisation=owner,
            summary=(
                "Arrived exhausted and afraid; sleeping badly."
                if version == 1
                else "Settled in the shelter; the medical needs are being met."
            ),
            created_at=opened + datetime.timedelta(days=2 + 20 * (version - 1)),
        )
        for area, _support in areas:
            level = rng.choice(("high", "medium", "low")) if version == 1 else "low"
            NeedRating.objects.create(
                assessment=assessment,
                area=area,
                level=level,
                urgency={"high": "immediate", "medium": "days"}.get(level, "not_urgent"),
                note=None if rng.random() < 0.5 else f"{area}: discussed with her on day 2.",
            )
        counts["assessments"] += 1

    # Care plan: a support for each need, given by the owner, a referred provider or a clinic.
    statuses = (CarePlanStatus.IN_PROGRESS, CarePlanStatus.PLANNED, CarePlanStatus.COMPLETED)
    for position, (_area, support) in enumerate(areas):
        status = statuses[position % len(statuses)]
        planned_start = start + datetime.timedelta(days=3 + 5 * position)
        responsible = None
        other = ""
        if referred and support in ("SocialCare", "Health"):
            responsible = referred[0]
        elif rng.random() < 0.3:
            other = rng.choice(EXTERNAL_PROVIDERS)
        else:
            responsible = owner
        actual_start = min(planned_start, today) if status != CarePlanStatus.PLANNED else None
        actual_end = (
            min(planned_start + datetime.timedelta(days=30), today)
            if status == CarePlanStatus.COMPLETED
            else None
        )
        item = CarePlanItem.objects.create(
            case=case,
            support_type=support,
            objective=OBJECTIVES[support],
            action_plan=None,
            responsible_organisation=responsible,
            responsible_other=other,
            planned_start=planned_start,
            planned_end=planned_start + datetime.timedelta(days=rng.choice((30, 60, 90))),
            actual_start=actual_start,
            actual_end=actual_end,
            status=status,
            created_by=worker,
            created_by_organisation=owner,
            created_at=opened,
            updated_at=opened,
        )
        if item.actual_start is not None:
            CarePlanProgress.objects.create(
                item=item,
                status=item.status,
                actual_start=item.actual_start,
                actual_end=item.actual_end,
                note="Started as planned." if item.actual_end is None else "Completed.",
                author=worker,
                author_organisation=responsible or owner,
                recorded_at=opened + datetime.timedelta(days=5 + position),
            )
        counts["care_plan_items"] += 1

    # Notes, oldest first; one corrected.
    chosen = rng.sample(NOTES, k=rng.randint(2, 4))
    notes = []
    for position, text in enumerate(chosen):
        notes.append(
            CaseNote.objects.create(
                case=case,
                text=text,
                author=worker,
                author_organisation=owner,
                created_at=opened + datetime.timedelta(days=1 + 3 * position, hours=10),
            )
        )
    if index % 5 == 0:
        notes.append(
            CaseNote.objects.create(
                case=case,
                text="Correction: the meeting was on Tuesday, not Monday.",
                corrects=notes[0],
                author=worker,
                author_organisation=owner,
                created_at=notes[0].created_at + datetime.timedelta(days=1),
            )
        )
    counts["notes"] += len(notes)

    # The route: recruitment at home, transit, exploitation abroad.
    recruited = start - datetime.timedelta(days=rng.randint(120, 700))
    recruited = recruited.replace(day=1)
    steps = (
        (EventKind.RECRUITMENT, "MD", origin, recruited, None, DatePrecision.MONTH, Transport.ROAD),
        (
            EventKind.TRANSIT,
            transit,
            TRANSIT_CITIES.get(transit, ""),
            recruited + datetime.timedelta(days=rng.randint(10, 40)),
            None,
            DatePrecision.DAY,
            rng.choice((Transport.ROAD, Transport.RAIL)),
        ),
        (
            EventKind.EXPLOITATION,
            destination,
            city,
            recruited + datetime.timedelta(days=rng.randint(45, 90)),
            start - datetime.timedelta(days=rng.randint(5, 30)),
            DatePrecision.MONTH,
            Transport.AIR if destination in ("AE", "GB", "CY") else Transport.ROAD,
        ),
    )
    for event_kind, country, locality, date_from, date_to, precision, transport in steps:
        if precision == DatePrecision.MONTH:
            date_from = date_from.replace(day=1)
        TraffickingEvent.objects.create(
            case=case,
            kind=event_kind,
            country=country,
            locality=locality or None,
            date_from=date_from,
            date_to=date_to,
            date_precision=precision,
            date_approximate=precision != DatePrecision.DAY,
            transport=transport,
            note=(
                f"Promised well-paid work; ended up at {sector}."
                if event_kind == EventKind.EXPLOITATION
                else None
            ),
            recorded_by=worker,
            recorded_by_organisation=owner,
            created_at=opened,
        )
        counts["events"] += 1

    # Perpetrators: the recruiter, and for some an exploiter abroad.
    Perpetrator.objects.create(
        case=case,
        roles=[PerpetratorRole.RECRUITER, PerpetratorRole.TRANSPORTER],
        relationship=rng.choice((Relationship.ACQUAINTED, Relationship.FAMILIAL)),
        gender=rng.choice(("Masculine", "Feminine")),
        nationality="MD",
        name=f"{rng.choice(FIRST_NAMES)} {rng.choice('BCDGMPRST')}.",
        identifying_details="Drives a grey minibus; uses a second phone number.",
        role_details="Offered the job through a neighbour and drove the group to the border.",
        recorded_by=worker,
        recorded_by_organisation=owner,
        created_at=opened,
    )
    counts["perpetrators"] += 1
    if kind != "domestic":
        Perpetrator.objects.create(
            case=case,
            roles=[PerpetratorRole.EXPLOITER, PerpetratorRole.CONTROLLED],
            relationship=Relationship.UNACQUAINTED,
            gender="Masculine",
            nationality=destination,
            organisation="A temporary-work agency" if kind == "labour" else None,
            role_details="Kept the passports and paid nothing after the first month.",
            recorded_by=worker,
            recorded_by_organisation=owner,
            created_at=opened,
        )
        counts["perpetrators"] += 1

    # A document for the first cases: a plain-text declaration, stored encrypted.
    if index < DOCUMENT_CASES:
        declaration = (
            "Declaration (demo)\n\nI was recruited in "
            f"{origin} and taken through {transit} to {destination}.\n"
        ).encode()
        CaseDocument.objects.create(
            case=case,
            document_type=DocumentType.OTHER if index % 2 else DocumentType.LEGAL,
            storage_name=documents.store(declaration),
            content_type=documents.TEXT,
            size=len(declaration),
            original_name="declaration.txt",
            description="Signed declaration, typed from the paper copy.",
            uploaded_by=worker,
            uploaded_by_organisation=owner,
            uploaded_at=opened + datetime.timedelta(days=3),
        )
        counts["documents"] += 1


def _delete_for(cases: Any) -> None:
    stored = list(
        CaseDocument.objects.filter(case__in=cases).values_list("storage_name", flat=True)
    )
    CaseDocument.objects.filter(case__in=cases).delete()
    # A correction protects the note it corrects: unlink them first.
    CaseNote.objects.filter(case__in=cases, corrects__isnull=False).update(corrects=None)
    CaseNote.objects.filter(case__in=cases).delete()
    NeedsAssessment.objects.filter(case__in=cases).delete()
    CarePlanItem.objects.filter(case__in=cases).delete()
    TraffickingEvent.objects.filter(case__in=cases).delete()
    Perpetrator.objects.filter(case__in=cases).delete()
    for name in stored:
        transaction.on_commit(lambda name=name: documents.discard(name))  # type: ignore[misc]


def reset_demo() -> None:
    """Remove the case files of the demo organisations' cases (before the cases go)."""
    from palermo.demo.loader import demo_organisations

    cases = Case.objects.filter(owner_organisation__in=demo_organisations())
    with transaction.atomic():
        _delete_for(cases)
