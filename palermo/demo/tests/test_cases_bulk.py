"""Generated cases (`palermo demo-data --cases N`): valid, visible where they should be."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from palermo.accounts.models import Membership, User
from palermo.accounts.roles import FieldGroup, Role
from palermo.cases.access import cases_visible_to
from palermo.cases.lifecycle import lifecycle_for
from palermo.cases.models import OPEN_STATUSES, Case, CaseDeadline, CaseDecision, CaseStatus
from palermo.demo import cases_bulk
from palermo.demo.cases_bulk import STAFF_PREFIX, case_owner_keys, case_public_id
from palermo.demo.catalogue import HOST_COUNTRY
from palermo.demo.loader import DEFAULT_SEED, demo_organisations
from palermo.people.access import persons_visible_to
from palermo.referrals.models import LIVE_STATES, Referral, ReferralEvent, ReferralState
from palermo.testing import actor_for

pytestmark = pytest.mark.django_db

PERSONS = 600
CASES = 700  # more cases than eligible persons: some persons have two


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path, settings) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cases_bulk, "BATCH", 100)
    monkeypatch.setattr(cases_bulk, "CASES_PER_WORKER", 50)  # some generated staff too


def demo_data(*args: str) -> str:
    out = io.StringIO()
    call_command("demo-data", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def generated(seed: int = DEFAULT_SEED, total: int = CASES) -> list[Case]:
    ids = [case_public_id(seed, index, total) for index in range(total)]
    return list(
        Case.objects.filter(public_id__in=ids)
        .select_related("person", "owner_organisation")
        .order_by("pk")
    )


def actor_of(username: str):  # noqa: ANN201 - an Actor
    return actor_for(Membership.objects.get(user__username=username))


@pytest.fixture
def loaded(small_batches: None) -> list[Case]:
    output = demo_data("--size", str(PERSONS), "--cases", str(CASES))
    assert f"{CASES} generated cases" in output
    return generated()


def test_every_case_is_valid_and_follows_the_lifecycle(loaded: list[Case]) -> None:
    assert len(loaded) == CASES
    lifecycle = lifecycle_for(HOST_COUNTRY)
    owners = {org.name for org in demo_organisations()}
    for case in loaded:
        # The case's owner owns the person too, and is an organisation that opens cases.
        assert case.owner_organisation_id == case.person.owner_organisation_id
        assert case.owner_organisation.name in owners
        assert case.country == HOST_COUNTRY
        stage = lifecycle.stage(case.stage)
        assert stage is not None
        assert case.opened_at <= case.stage_entered_at
        if stage.is_closed:
            assert case.status in (CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED)
            assert case.closed_at is not None and case.closure_reason
            assert case.next_deadline is None
        else:
            assert case.status == stage.status
            assert case.closed_at is None and not case.closure_reason
    statuses = {case.status for case in loaded}
    assert {CaseStatus.ACTIVE, CaseStatus.CLOSED} <= statuses
    assert len({case.stage for case in loaded}) >= 4
    # More cases than eligible persons: some persons have two, opened apart.
    assert len({case.person_id for case in loaded}) < CASES


def test_deadlines_and_decisions_agree_with_the_cases(loaded: list[Case]) -> None:
    open_cases = [c for c in loaded if c.status in OPEN_STATUSES]
    assert open_cases
    unmet: dict[int, list] = {}
    for deadline in CaseDeadline.objects.filter(case__in=loaded, met_at__isnull=True):
        unmet.setdefault(deadline.case_id, []).append(deadline.due_on)
    for case in loaded:
        expected = min(unmet[case.pk]) if case.is_open and case.pk in unmet else None
        assert case.next_deadline == expected
    # Some open cases are overdue, some are not.
    today = max(c.opened_at for c in loaded).date()
    overdue = [c for c in open_cases if c.next_deadline and c.next_deadline < today]
    assert overdue and len(overdue) < len(open_cases)
    decisions = list(CaseDecision.objects.filter(case__in=loaded).select_related("case"))
    assert decisions
    authority = User.objects.get(username="authority")
    # The competent authority decides, and sees every case it has to decide.
    visible = set(cases_visible_to(actor_of("authority")).values_list("pk", flat=True))
    assert {c.pk for c in loaded} <= visible
    for decision in decisions:
        assert decision.decided_by_id == authority.pk
        assert decision.reason  # encrypted, decrypts
        assert decision.case.opened_at <= decision.decided_at


def test_the_owner_and_the_case_worker_see_their_cases(loaded: list[Case]) -> None:
    shelter_cases = {c.pk for c in loaded if c.owner_organisation.name.startswith("Casa")}
    assert shelter_cases
    visible = set(cases_visible_to(actor_of("caseworker")).values_list("pk", flat=True))
    assert shelter_cases <= visible
    # The shelter's case workers are the demo members plus generated staff.
    workers = {c.case_worker_id for c in loaded if c.pk in shelter_cases} - {None}
    usernames = set(User.objects.filter(pk__in=workers).values_list("username", flat=True))
    assert "caseworker" in usernames or any(u.startswith(STAFF_PREFIX) for u in usernames)
    for username in usernames:
        if username.startswith(STAFF_PREFIX):
            staff = User.objects.get(username=username)
            assert not staff.has_usable_password()
            assert staff.memberships.get().organisation.name.startswith("Casa")
    # Another case worker's organisation sees none of them unless referred.
    other = set(cases_visible_to(actor_of("caseworker2")).values_list("pk", flat=True))
    referred = set(
        Referral.objects.filter(
            receiving_organisation__memberships__user__username="caseworker2",
            state__in=LIVE_STATES,
        ).values_list("case_id", flat=True)
    )
    assert other & shelter_cases <= referred


def test_referrals_give_access_exactly_while_live(loaded: list[Case]) -> None:
    referrals = list(Referral.objects.filter(case__in=loaded).select_related("case"))
    states = {r.state for r in referrals}
    assert {ReferralState.PENDING, ReferralState.IN_PROGRESS, ReferralState.DONE} <= states
    groups = {str(g) for g in FieldGroup}
    for referral in referrals:
        assert referral.sending_organisation_id == referral.case.owner_organisation_id
        assert referral.receiving_organisation_id != referral.sending_organisation_id
        assert set(referral.shared_groups) <= groups
        events = list(referral.events.all())
        assert events[0].to_state == ReferralState.PENDING and events[0].from_state == ""
        assert events[-1].to_state == referral.state
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_state == before.to_state
            assert before.at <= after.at
        assert referral.created_at >= referral.case.opened_at
    for username in ("provider", "investigator", "caseworker"):
        actor = actor_of(username)
        org = actor.organisation
        live = {
            r.case_id
            for r in referrals
            if r.receiving_organisation_id == org.pk and r.state in LIVE_STATES
        }
        dead = {
            r.case_id
            for r in referrals
            if r.receiving_organisation_id == org.pk and r.state not in LIVE_STATES
        } - live
        assert live, f"{username} has no live referral"
        visible = set(cases_visible_to(actor).values_list("pk", flat=True))
        assert live <= visible
        assert not (dead & visible)
        persons = set(persons_visible_to(actor).values_list("pk", flat=True))
        assert {c.person_id for c in loaded if c.pk in live} <= persons


def test_the_same_seed_gives_the_same_cases_and_a_resumed_load_completes(
    loaded: list[Case],
) -> None:
    before = [(c.public_id, c.person_id, c.owner_organisation_id) for c in loaded]
    referrals_before = Referral.objects.filter(case__in=loaded).count()
    # An interruption after three batches: the rest is missing.
    lost = Case.objects.filter(pk__in=[c.pk for c in loaded[300:]])
    lost.delete()
    assert len(generated()) == 300
    demo_data("--size", str(PERSONS), "--cases", str(CASES), "--resume")
    after = [(c.public_id, c.person_id, c.owner_organisation_id) for c in generated()]
    assert after == before
    assert Referral.objects.filter(case__public_id__in=[b[0] for b in before]).count() == (
        referrals_before
    )


def test_another_load_is_refused_without_resume_and_reset_removes_the_cases(
    loaded: list[Case],
) -> None:
    with pytest.raises(CommandError, match="--resume"):
        demo_data("--size", str(PERSONS), "--cases", str(CASES + 100))
    demo_data("--size", str(PERSONS), "--cases", "50", "--seed", "7", "--reset")
    assert generated() == []
    assert len(generated(seed=7, total=50)) == 50
    assert not ReferralEvent.objects.filter(
        referral__case__public_id__in=[c.public_id for c in loaded]
    ).exists()


def test_cases_can_be_added_to_a_finished_load(small_batches: None) -> None:
    demo_data("--size", "300")
    owners = set(case_owner_keys())
    assert owners >= {"shelter", "hotline"}
    demo_data("--size", "300", "--cases", "150", "--resume")
    assert len(generated(total=150)) == 150
    output = demo_data("--size", "300", "--cases", "150")
    assert "already loaded" in output


def test_a_resume_with_another_seed_is_refused(small_batches: None) -> None:
    demo_data("--size", "100")
    with pytest.raises(CommandError, match="another seed"):
        demo_data("--size", "100", "--seed", "9", "--cases", "10", "--resume")
    with pytest.raises(CommandError, match="--reset"):
        demo_data("--size", "200", "--resume")  # 100 is not where a load of 200 stops


def test_staff_case_workers_have_the_opening_role(loaded: list[Case]) -> None:
    staff = Membership.objects.filter(user__username__startswith=STAFF_PREFIX)
    assert staff.exists()
    assert set(staff.values_list("role", flat=True)) <= {
        Role.CASE_WORKER,
        Role.HOTLINE_OPERATOR,
        Role.FIRST_RESPONDER,
    }
