"""The case list reads referred cases from the referrals' copies of the case columns.

These copies must equal the case's columns after every change (referral sent, answered,
revoked; case advanced, closed, its deadlines moved), and the list built on them must show
exactly the cases `cases_visible_to` says, in order, page after page, with the right count —
for the owner, for receivers whose referrals are live, done or revoked, for an authority that
decides, and for a member of a receiver who is also the case worker of a referred case (the
branches meet: the case is shown and counted once). The case page's one-case check
(`may_see_case`) must agree with the same rule for every case.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
from django.utils import timezone

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.cases import selectors
from palermo.cases.access import cases_visible_to, may_see_case
from palermo.cases.models import OPEN_STATUSES, Case
from palermo.cases.services import sync_next_deadline
from palermo.referrals import services
from palermo.referrals.models import CASE_COLUMNS, Referral
from palermo.testing import OrganisationFactory, actor_for, member

from .records import consent, make_case

pytestmark = pytest.mark.django_db

# (stage, status) a case can be at in the default lifecycle.
PLACES = [
    ("referral", "Active"),
    ("recovery", "Active"),
    ("assistance", "Active"),
    ("follow_up", "FollowUp"),
    ("closed", "Closed"),
    ("closed", "ClosedReferred"),
]


def _send(sender: Membership, case: Case, receiver: Organisation) -> Referral:
    consent(case.person, "referral", organisation=receiver)
    return services.referral_send(
        actor=actor_for(sender),
        case_public_id=case.public_id,
        data={
            "reason": "AdditionalServicesRequired",
            "shared_groups": ["identity"],
            "receiving_organisation": str(receiver.public_id),
        },
    )


def _act(who: Membership, referral: Referral, action: str, **data: Any) -> None:
    services.referral_transition(
        actor=actor_for(who), public_id=referral.public_id, action=action, data=data
    )


def _assert_copies_equal_cases() -> None:
    for referral in Referral.objects.select_related("case"):
        for name in CASE_COLUMNS:
            assert getattr(referral, f"case_{name}") == getattr(referral.case, name), (
                referral.pk,
                name,
            )


def _expected(actor: Actor, filters: selectors.CaseFilters, today: datetime.date) -> list[int]:
    cases = cases_visible_to(actor)
    if filters.status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif filters.status != "all":
        cases = cases.filter(status=filters.status)
    if filters.stage:
        cases = cases.filter(stage=filters.stage)
    if filters.mine:
        cases = cases.filter(case_worker=actor.user)
    if filters.overdue:
        cases = cases.filter(next_deadline__lt=today)
        return list(cases.order_by("next_deadline", "id").values_list("id", flat=True))
    return list(cases.order_by("-opened_at", "-id").values_list("id", flat=True))


def _walk(actor: Actor, filters: selectors.CaseFilters) -> tuple[list[int], int]:
    shown: list[int] = []
    page = selectors.case_list(actor=actor, filters=filters, per_page=3, audit=False)
    count = page.count
    while True:
        shown += [row.case.pk for row in page.rows]
        if not page.next_cursor:
            return shown, count
        page = selectors.case_list(
            actor=actor, filters=filters, cursor=page.next_cursor, per_page=3, audit=False
        )


FILTERS = [
    selectors.CaseFilters(status=status, stage=stage, mine=mine, overdue=overdue)
    for status, stage, mine, overdue in [
        ("open", "", False, False),
        ("all", "", False, False),
        ("Active", "", False, False),
        ("FollowUp", "", False, False),
        ("Closed", "", False, False),
        ("ClosedReferred", "", False, False),
        ("open", "assistance", False, False),
        ("open", "referral", False, False),
        ("all", "closed", False, False),
        ("open", "", True, False),
        ("open", "", False, True),
        ("all", "", False, True),
    ]
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lists_match_visibility_through_every_change(seed: int) -> None:
    rng = random.Random(seed)
    shelter = OrganisationFactory(name="Shelter", country="MD")
    clinic = OrganisationFactory(name="Clinic", country="MD")
    legal_aid = OrganisationFactory(name="Legal aid", country="MD")
    ministry = OrganisationFactory(name="Ministry", country="MD")
    worker = member(Role.CASE_WORKER, shelter)
    provider = member(Role.SERVICE_PROVIDER, clinic)
    clinic_worker = member(Role.CASE_WORKER, clinic)
    lawyer = member(Role.CASE_WORKER, legal_aid)
    authority = member(Role.COMPETENT_AUTHORITY, ministry)
    today = timezone.localdate()
    start = timezone.now() - datetime.timedelta(days=300)

    cases = []
    for n in range(24):
        case = make_case(worker)
        # Some cases opened at the very same moment: the order falls back to the id.
        case.opened_at = start + datetime.timedelta(hours=rng.randrange(40) * 6)
        case.competent_organisation = ministry if rng.random() < 0.5 else None
        case.save()
        cases.append(case)
        for receiver, who in ((clinic, provider), (legal_aid, lawyer)):
            roll = rng.random()
            if roll < 0.55:
                referral = _send(worker, case, receiver)
                if roll < 0.2:
                    _act(who, referral, "accept", note="Yes")
                elif roll < 0.3:
                    _act(who, referral, "decline", note="No room")
                elif roll < 0.4:
                    _act(worker, referral, "revoke", note="Not needed")
                elif roll < 0.45:
                    _act(who, referral, "accept", note="Yes")
                    _act(who, referral, "start")
                    _act(who, referral, "done", note="Finished")
        if n % 7 == 0:  # the clinic's case worker works on it too: the branches meet
            case.case_worker = clinic_worker.user
            case.save()
    _assert_copies_equal_cases()

    # The cases move on: stages, statuses and deadlines change after they were referred.
    for case in cases:
        stage, status = rng.choice(PLACES)
        case.stage, case.status = stage, status
        case.save()
        if status in OPEN_STATUSES:
            case.next_deadline = None  # sync_next_deadline works it out from the deadlines
            case.deadlines.create(
                stage=stage, due_on=today + datetime.timedelta(days=rng.randrange(-9, 9))
            )
            Case.objects.filter(pk=case.pk).update(next_deadline=None)
            sync_next_deadline(case)
        else:
            sync_next_deadline(case)
    _assert_copies_equal_cases()

    for membership in (worker, provider, clinic_worker, lawyer, authority):
        actor = actor_for(membership)
        visible = set(cases_visible_to(actor).values_list("id", flat=True))
        assert visible, membership  # every one of them sees some
        # The one-case check (the case page) agrees with the list's rule, case by case.
        for case in Case.objects.all():
            assert may_see_case(actor, case) == (case.pk in visible), (membership, case.pk)
        for filters in FILTERS:
            expected = _expected(actor, filters, today)
            shown, count = _walk(actor, filters)
            assert shown == expected, (membership.user.username, filters)
            assert count == len(expected), (membership.user.username, filters)
