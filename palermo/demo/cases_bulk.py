"""Generated cases for large demo loads: `palermo demo-data --cases N` (up to millions).

Each case belongs to a demo person of a host organisation that opens cases (the hotline, the
border post, the shelters, social assistance), and is owned by that organisation, so the
person's owner and the case's owner agree. Its life is simulated along the lifecycle in force
(`palermo.cases.lifecycle`: stages, decisions, deadlines in working days), from the day it
opened to now: older cases are mostly closed, recent ones wait for a decision, a few are
stalled and overdue. On the way it gets what such a case gets:

* decisions (reasonable grounds, conclusive grounds …) by the competent authority, with a reason;
* deadlines, met or not, and `next_deadline` kept as the earliest unmet one;
* a primary case worker among the organisation's staff (demo users plus generated staff users,
  about one per `CASES_PER_WORKER` cases: a million cases are not one person's caseload);
* the competent authority (the ministry's unit) that takes the decisions and so sees the case;
* referrals to other organisations (the clinic, the police, the legal aid centre, the shelter
  for cases the hotline or the border opened), in every state, with their events, so that
  access through referrals is exercised.

Deterministic: case *k* depends on the seed and *k* only (its public id is derived from them),
and on the persons already loaded. Written `BATCH` cases per transaction through `BulkWriter`
(COPY on PostgreSQL), so an interrupted load continues at the first batch that is missing.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from tqdm import tqdm

from palermo.accounts.models import Membership, Organisation, User
from palermo.accounts.roles import FieldGroup, Perm, Role, requires_second_factor, role_can
from palermo.cases.models import (
    REFERRAL_CASE_COLUMNS,
    Case,
    CaseDeadline,
    CaseDecision,
    CaseStatus,
    ClosureReason,
    DecisionOutcome,
)
from palermo.people.models import Person
from palermo.referrals.models import (
    ConsentBasis,
    Referral,
    ReferralEvent,
    ReferralKind,
    ReferralReason,
    ReferralState,
)

from .bulk import BulkWriter
from .catalogue import DEMO_EMAIL_DOMAIN, HOST_COUNTRY, ORGANISATIONS, USERS

BATCH = 2000
CASES_PER_WORKER = 400
STAFF_PREFIX = "staff-"
DAY = datetime.timedelta(days=1)
ALL_GROUPS = [str(g) for g in FieldGroup]

# Who receives referrals, what they are for, and what the sender shares with them.
RECEIVERS: dict[str, tuple[str, list[str]]] = {
    # key: (reason, shared field groups)
    "clinic": (ReferralReason.ADDITIONAL_SERVICES, ["identity", "contact", "health"]),
    "police": (ReferralReason.OTHER, ["identity", "legal", "narrative"]),
    "legal": (ReferralReason.ADDITIONAL_SERVICES, ["identity", "legal"]),
    "shelter": (ReferralReason.ADDITIONAL_SERVICES, ALL_GROUPS),
}
# How likely a case is referred to each (the decision referral is decided separately).
SERVICE_REFERRALS = (("clinic", 0.25), ("police", 0.12), ("legal", 0.08))
FIRST_CONTACT_OWNERS = ("hotline", "border")  # they refer on to the shelter

SUMMARIES = (
    "Referred after an interview at the border; reports a debt to a recruiter.",
    "Came to the hotline about a job abroad that turned out to be different from the offer.",
    "Identified during a labour inspection in agriculture; documents kept by the employer.",
    "Returned from abroad with the help of a partner organisation; asks for shelter.",
    "Reports recruitment through social media and control of earnings.",
    "Referred by a school social worker; the family reports threats.",
    "Found in a raid on a construction site; needs medical care and legal advice.",
    "Asked for help through a consulate; passport withheld for months.",
)
DECISION_REASONS = (
    "Indicators of recruitment by deception and of control are consistent across interviews.",
    "The account is supported by the partner organisation's report and documents.",
    "Exploitation in domestic work is described in detail; indicators of coercion present.",
    "The information available does not meet the threshold at this stage.",
    "Debt bondage and withheld documents are established to the required standard.",
    "Further information from the police report supports the referral.",
)
CLOSURE_REASONS = (
    (ClosureReason.ASSISTANCE_COMPLETED, 0.58),
    (ClosureReason.REFERRED, 0.12),
    (ClosureReason.RETURNED, 0.10),
    (ClosureReason.PERSON_DECLINED, 0.09),
    (ClosureReason.LOST_CONTACT, 0.09),
    (ClosureReason.OTHER, 0.02),
)


def case_public_id(seed: int, index: int, total: int) -> uuid.UUID:
    """The public id of case `index` of a load of `total`: the same for a seed every time.

    The total is part of it because which person a case belongs to depends on it: a resumed
    load of another total finds none of these ids and cannot mix two loads.
    """
    digest = hashlib.sha256(f"palermo-demo:{seed}:case:{total}:{index}".encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def case_owner_keys() -> list[str]:
    """Host organisations whose demo members may open cases (those that own the cases)."""
    keys = []
    for org in ORGANISATIONS:
        if org.country != HOST_COUNTRY:
            continue
        roles = [role for user in USERS for key, role in user.memberships if key == org.key]
        if any(role_can(role, Perm.CASE_OPEN) for role in roles):
            keys.append(org.key)
    return keys


def _opening_role(org_key: str) -> Role:
    """The role of the organisation's demo members who open cases (staff get the same)."""
    for user in USERS:
        for key, role in user.memberships:
            if key == org_key and role_can(role, Perm.CASE_OPEN):
                return role
    raise ValueError(f"{org_key} opens no cases")


# --- the lifecycle, as the simulation needs it -----------------------------------------------


@dataclass(frozen=True)
class PlanStage:
    key: str
    status: str
    closed: bool
    next: str
    minimum_days: int
    decision_positive: str = ""
    decision_negative: str = ""
    decides: bool = False


@dataclass
class Plan:
    """The stages of the lifecycle in force and its deadline arithmetic (cached per day)."""

    entry: str
    closure: str
    reasons: tuple[str, ...]
    reminder_days: int
    stages: dict[str, PlanStage]
    deadlines_for: Callable[[str, datetime.date], list[tuple[str, datetime.date]]]
    deciding: list[str] = field(default_factory=list)

    @classmethod
    def in_force(cls) -> Plan:
        from palermo.cases.lifecycle import lifecycle_for

        lifecycle = lifecycle_for(HOST_COUNTRY)
        stages = {
            s.key: PlanStage(
                key=s.key,
                status=s.status,
                closed=s.is_closed,
                next=s.next,
                minimum_days=s.minimum_days,
                decision_positive=s.decision.positive if s.decision else "",
                decision_negative=s.decision.negative if s.decision else "",
                decides=s.decision is not None,
            )
            for s in lifecycle.stages
        }

        @functools.cache
        def deadlines(key: str, day: datetime.date) -> list[tuple[str, datetime.date]]:
            stage = lifecycle.stage(key)
            return lifecycle.deadlines_on_entry(stage, day) if stage is not None else []

        return cls(
            entry=lifecycle.entry_stage,
            closure=lifecycle.closure.stage,
            reasons=tuple(lifecycle.closure.reasons),
            reminder_days=lifecycle.reminder_days,
            stages=stages,
            deadlines_for=deadlines,
            deciding=[s.key for s in lifecycle.deciding_stages()],
        )


# --- what the simulation makes ---------------------------------------------------------------


@dataclass(slots=True)
class PersonRow:
    pk: int
    owner_id: int
    created_at: datetime.datetime
    birthdate: datetime.date | None


@dataclass
class Batch:
    cases: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Cast:
    """The organisations and users the cases refer to, by catalogue key and username."""

    organisations: dict[str, Organisation]
    workers: dict[int, list[int]]  # organisation id → user ids that are case workers there
    users: dict[str, User]
    decider: tuple[int, int]  # (user id, organisation id) of the competent authority
    receivers: dict[str, tuple[int, int | None]]  # key → (organisation id, case worker id)


class CaseSimulator:
    """Makes the rows of one batch of cases."""

    def __init__(
        self, seed: int, total: int, plan: Plan, cast: Cast, now: datetime.datetime
    ) -> None:
        self.seed = seed
        self.total = total
        self.plan = plan
        self.cast = cast
        self.now = now
        self.today = now.date()
        self.org_key = {org.pk: key for key, org in cast.organisations.items()}
        reasons = [(r, w) for r, w in CLOSURE_REASONS if r in plan.reasons] or [
            (ClosureReason(plan.reasons[0]), 1.0)
        ]
        self.closure_reasons = [str(r) for r, _ in reasons]
        self.closure_weights = [w for _, w in reasons]

    def batch(self, index: int, items: list[tuple[int, PersonRow, int]]) -> Batch:
        """Rows for cases `items`: (case index, person, how many earlier cases the person has)."""
        rng = random.Random(f"palermo-demo:{self.seed}:cases:{index}")  # noqa: S311
        out = Batch()
        for case_index, person, earlier in items:
            self._case(rng, out, case_index, person, earlier)
        return out

    # -- one case --

    def _case(
        self, rng: random.Random, out: Batch, index: int, person: PersonRow, earlier: int
    ) -> None:
        plan = self.plan
        owner_id = person.owner_id
        workers = self.cast.workers[owner_id]
        worker: int | None = workers[int(rng.random() * len(workers))]
        # Most cases open within days of the registration; a second case of the same person
        # opens months later.
        opened = person.created_at + datetime.timedelta(
            seconds=rng.expovariate(1 / (4 * 86400)) + earlier * rng.uniform(90, 400) * 86400
        )
        latest = self.now - datetime.timedelta(hours=1)
        if opened > latest:
            opened = latest - datetime.timedelta(seconds=rng.random() * 86400 * 3)
        birthdate = person.birthdate
        is_child = birthdate is not None and (opened.date() - birthdate).days < 18 * 365.25
        case_id = index  # replaced by the reserved id later
        case: dict[str, Any] = {
            "_index": index,
            "public_id": case_public_id(self.seed, index, self.total),
            "person_id": person.pk,
            "owner_organisation_id": owner_id,
            # The competent authority takes the decisions and sees the case for them.
            "competent_organisation_id": self.cast.decider[1],
            "case_worker_id": worker,
            "country": HOST_COUNTRY,
            "is_child": is_child,
            "opened_by_id": worker,
            "opened_at": opened,
            "closed_at": None,
            "closure_reason": "",
            "summary": SUMMARIES[int(rng.random() * len(SUMMARIES))]
            if rng.random() < 0.4
            else None,
            "screening_id": None,
            "situation_id": None,
        }
        stalled = rng.random() < 0.04  # a decision that takes months: overdue if still open
        stage_key = plan.entry
        entered = opened
        decisions_at: list[datetime.datetime] = []
        closure_reason = ""
        unmet: list[datetime.date] = []
        while True:
            stage = plan.stages[stage_key]
            deadlines = plan.deadlines_for(stage_key, entered.date()) if not stage.closed else []
            if stage.closed:
                break
            next_key, leave = self._leave(rng, stage, entered, deadlines, stalled)
            if leave > self.now:
                unmet = self._deadlines(out, case_id, stage_key, deadlines, None)
                break
            self._deadlines(out, case_id, stage_key, deadlines, leave)
            if stage.decides:
                positive = next_key == stage.decision_positive
                decider_id, decider_org = self.cast.decider
                out.decisions.append(
                    {
                        "_case": case_id,
                        "public_id": _uuid(rng),
                        "stage": stage_key,
                        "outcome": DecisionOutcome.POSITIVE
                        if positive
                        else DecisionOutcome.NEGATIVE,
                        "decided_by_id": decider_id,
                        "decided_by_organisation_id": decider_org,
                        "reason": DECISION_REASONS[int(rng.random() * len(DECISION_REASONS))],
                        "decided_at": leave,
                    }
                )
                decisions_at.append(leave)
                if not positive and plan.stages[next_key].closed:
                    closure_reason = ClosureReason.NEGATIVE_DECISION
            if plan.stages[next_key].closed and not closure_reason:
                closure_reason = self._closure_reason(rng)
            stage_key, entered = next_key, leave
        stage = plan.stages[stage_key]
        case["stage"] = stage_key
        case["stage_entered_at"] = entered
        if stage.closed:
            reason = closure_reason or self._closure_reason(rng)
            case["closure_reason"] = reason
            case["closed_at"] = entered
            case["status"] = (
                CaseStatus.CLOSED_REFERRED if reason == ClosureReason.REFERRED else stage.status
            )
            case["next_deadline"] = None
        else:
            case["status"] = stage.status
            case["next_deadline"] = min(unmet) if unmet else None
            if stage_key == plan.entry and rng.random() < 0.05:
                case["case_worker_id"] = None  # new, not yet assigned
        case["updated_at"] = max([entered, *decisions_at])
        out.cases.append(case)
        self._referrals(rng, out, case, decisions_at)

    def _leave(
        self,
        rng: random.Random,
        stage: PlanStage,
        entered: datetime.datetime,
        deadlines: list[tuple[str, datetime.date]],
        stalled: bool,
    ) -> tuple[str, datetime.datetime]:
        """Which stage comes next, and when the case leaves this one."""
        plan = self.plan
        due = min((d for kind, d in deadlines if kind == "due"), default=None)
        period_end = max((d for kind, d in deadlines if kind == "period_end"), default=None)
        if stage.decides:
            # Not before the end of a minimum period (recovery); by the due date, mostly.
            floor = (period_end - entered.date()).days if period_end else 0
            allowed = (due - entered.date()).days if due else floor + 14
            if stalled:
                days = allowed + rng.uniform(20, 200)
            elif rng.random() < 0.8:
                days = rng.uniform(floor + 0.3, max(allowed, floor + 1))
            else:
                days = floor + (allowed - floor) * rng.uniform(1.05, 2.5)
            positive = rng.random() < (0.88 if stage.key == plan.entry else 0.8)
            next_key = stage.decision_positive if positive else stage.decision_negative
        elif period_end is not None or stage.minimum_days:
            start = period_end or (entered.date() + stage.minimum_days * DAY)
            days = (start - entered.date()).days + rng.uniform(0, 15)
            if stalled:
                days += rng.uniform(20, 120)
            next_key = stage.next or plan.closure
        elif stage.next:
            days = rng.lognormvariate(math.log(30), 0.6)
            next_key = stage.next
        else:  # the last open stage (assistance, follow-up): it ends with the case
            days = rng.lognormvariate(math.log(200), 0.7)
            next_key = plan.closure
        if rng.random() < 0.02:  # contact lost, or the person stops, at any stage
            days *= rng.random()
            next_key = plan.closure
        return next_key, entered + datetime.timedelta(days=days)

    def _closure_reason(self, rng: random.Random) -> str:
        return rng.choices(self.closure_reasons, self.closure_weights)[0]

    def _deadlines(
        self,
        out: Batch,
        case_id: int,
        stage_key: str,
        deadlines: list[tuple[str, datetime.date]],
        left: datetime.datetime | None,
    ) -> list[datetime.date]:
        """Add the rows of a stage's deadlines; return the due dates not met."""
        remind = self.plan.reminder_days * DAY
        unmet = []
        for kind, due in deadlines:
            met: datetime.datetime | None
            if left is None:
                met = None
            elif kind == "period_end":
                met = max(left, _at(due))
            else:
                met = left
            reminded = (
                _at(due - remind) if remind and _at(due - remind) <= (met or self.now) else None
            )
            overdue = (
                _at(due + DAY)
                if kind == "due"
                and _at(due + DAY) <= (met or self.now)
                and (met is None or met.date() > due)
                else None
            )
            out.deadlines.append(
                {
                    "_case": case_id,
                    "stage": stage_key,
                    "kind": kind,
                    "due_on": due,
                    "met_at": met,
                    "reminded_at": reminded,
                    "overdue_notified_at": overdue,
                }
            )
            if met is None:
                unmet.append(due)
        return unmet

    # -- referrals --

    def _referrals(
        self,
        rng: random.Random,
        out: Batch,
        case: dict[str, Any],
        decisions_at: list[datetime.datetime],
    ) -> None:
        opened: datetime.datetime = case["opened_at"]
        ends: datetime.datetime | None = case["closed_at"]
        owner_key = self.org_key[case["owner_organisation_id"]]
        wanted: list[tuple[str, datetime.datetime, datetime.datetime | None]] = []
        if owner_key in FIRST_CONTACT_OWNERS and rng.random() < 0.4:
            wanted.append(("shelter", opened + DAY * rng.uniform(0, 3), None))
        start = decisions_at[0] if decisions_at else opened
        for key, share in SERVICE_REFERRALS:
            if key != owner_key and rng.random() < share:
                wanted.append((key, start + DAY * rng.uniform(0, 20), None))
        for key, created, finished in wanted:
            if created >= self.now or (ends is not None and created >= ends):
                continue
            self._referral(rng, out, case, key, created, finished, ends)

    def _referral(
        self,
        rng: random.Random,
        out: Batch,
        case: dict[str, Any],
        key: str,
        created: datetime.datetime,
        finished: datetime.datetime | None,
        case_closed: datetime.datetime | None,
    ) -> None:
        reason, groups = RECEIVERS[key]
        receiver_org, receiver_worker = self.cast.receivers[key]
        sender = case["case_worker_id"]
        owner = case["owner_organisation_id"]
        if case["is_child"]:
            basis = ConsentBasis.BEST_INTEREST
        else:
            basis = ConsentBasis.OVERRIDE if rng.random() < 0.01 else ConsentBasis.CONSENT
        referral_id = len(out.referrals)  # replaced by the reserved id later
        events: list[tuple[str, str, datetime.datetime, bool]] = [
            ("", ReferralState.PENDING, created, True)
        ]
        answered = created + DAY * rng.uniform(0.1, 6)
        roll = rng.random()
        state: str = ReferralState.PENDING
        responded: datetime.datetime | None = None
        worker: int | None = None
        if case_closed is not None and answered >= case_closed:
            answered = case_closed  # the sender withdraws what is left open at closure
            roll = 0.99
        if answered <= self.now:
            if roll < 0.85:
                state, responded, worker = ReferralState.ACCEPTED, answered, receiver_worker
                events.append((ReferralState.PENDING, ReferralState.ACCEPTED, answered, False))
                started = answered + DAY * rng.uniform(0, 2)
                if started <= self.now:
                    state = ReferralState.IN_PROGRESS
                    events.append(
                        (ReferralState.ACCEPTED, ReferralState.IN_PROGRESS, started, False)
                    )
                    done = finished or started + DAY * rng.lognormvariate(math.log(60), 0.6)
                    if case_closed is not None:
                        done = min(done, case_closed)
                    if done <= self.now:
                        state = ReferralState.DONE
                        events.append(
                            (
                                ReferralState.IN_PROGRESS,
                                ReferralState.DONE,
                                max(done, started),
                                False,
                            )
                        )
            elif roll < 0.95:
                state, responded = ReferralState.DECLINED, answered
                events.append((ReferralState.PENDING, ReferralState.DECLINED, answered, False))
            else:
                state = ReferralState.REVOKED
                events.append((ReferralState.PENDING, ReferralState.REVOKED, answered, True))
        out.referrals.append(
            {
                "_case": case["_index"],
                "_referral": referral_id,
                "public_id": _uuid(rng),
                "kind": ReferralKind.REFERRAL,
                "state": state,
                "sending_organisation_id": owner,
                "sent_by_id": sender,
                "receiving_organisation_id": receiver_org,
                "partner_id": None,
                "external_organisation_name": "",
                "service_id": None,
                "reason": reason,
                "details": "Please see the shared details; interpreter needed."
                if rng.random() < 0.5
                else None,
                "shared_groups": groups,
                "consent_basis": basis,
                "override_reason": "Immediate risk to life; consent could not be asked."
                if basis == ConsentBasis.OVERRIDE
                else None,
                "respond_by": (created + 5 * DAY).date(),
                # Copies of the case's list columns (referrals.models.case_column_copies).
                **{f"case_{name}": case[name] for name in REFERRAL_CASE_COLUMNS},
                "receiving_case_worker_id": worker,
                "response_note": None,
                "created_at": created,
                "responded_at": responded,
                "updated_at": events[-1][2],
            }
        )
        for from_state, to_state, at, by_sender in events:
            out.events.append(
                {
                    "_referral": referral_id,
                    "from_state": from_state,
                    "to_state": to_state,
                    "actor_user_id": sender if by_sender else receiver_worker,
                    "actor_organisation_id": owner if by_sender else receiver_org,
                    "actor_label": "",
                    "consent_basis": basis if to_state == ReferralState.PENDING else "",
                    "shared_groups": groups if to_state == ReferralState.PENDING else [],
                    "note": None,
                    "at": at,
                }
            )


def _at(day: datetime.date) -> datetime.datetime:
    """Nine in the morning, UTC, of a day (when reminders go out)."""
    return datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)


# --- loading ---------------------------------------------------------------------------------


def eligible_persons(organisations: dict[str, Organisation], persons: int) -> list[PersonRow]:
    """The generated demo persons (the first `persons` of the demo organisations, as loaded)
    owned by organisations that open cases, in the order they were loaded. Persons the other
    apps' demos add later are left out, so a resumed load sees the same list."""
    owners = {organisations[key].pk for key in case_owner_keys()}
    rows = (
        Person.objects.filter(owner_organisation_id__in=[o.pk for o in organisations.values()])
        .order_by("pk")
        .values_list("pk", "owner_organisation_id", "created_at", "birthdate")[:persons]
    )
    return [
        PersonRow(pk, owner_id, created_at, birthdate)  # type: ignore[arg-type]  # decrypted date
        for pk, owner_id, created_at, birthdate in rows.iterator(chunk_size=20_000)
        if owner_id in owners
    ]


def _staff_size(persons: list[PersonRow], total: int, org_id: int) -> int:
    share = sum(1 for p in persons if p.owner_id == org_id) / max(len(persons), 1)
    return max(1, round(share * total / CASES_PER_WORKER))


@transaction.atomic
def ensure_staff(
    organisations: dict[str, Organisation], persons: list[PersonRow], total: int
) -> dict[int, list[int]]:
    """Case workers of each case-owning organisation: its demo members and generated staff.

    Staff users cannot sign in with a password (unusable); they have a confirmed authenticator
    so that a session made for them server-side (the web benchmark does) is fully signed in.
    """
    workers: dict[int, list[int]] = {}
    for key in case_owner_keys():
        org = organisations[key]
        role = _opening_role(key)
        wanted = [
            f"{STAFF_PREFIX}{key}-{n:04d}" for n in range(1, _staff_size(persons, total, org.pk))
        ]
        existing = {u.username: u for u in User.objects.filter(username__in=wanted)}
        missing = [
            User(
                username=name,
                first_name="Staff",
                last_name=f"{key.title()} {name.rsplit('-', 1)[1]}",
                email=f"{name}@{DEMO_EMAIL_DOMAIN}",
                password=make_password(None),
                preferred_language="ro",
            )
            for name in wanted
            if name not in existing
        ]
        User.objects.bulk_create(missing, batch_size=1000)
        staff = list(User.objects.filter(username__in=wanted).order_by("username"))
        have = set(
            Membership.objects.filter(user__in=staff, organisation=org, role=role).values_list(
                "user_id", flat=True
            )
        )
        Membership.objects.bulk_create(
            [Membership(user=u, organisation=org, role=role) for u in staff if u.pk not in have],
            batch_size=1000,
        )
        if requires_second_factor({role}):
            with_device = set(
                TOTPDevice.objects.filter(user__in=staff).values_list("user_id", flat=True)
            )
            TOTPDevice.objects.bulk_create(
                [
                    TOTPDevice(
                        user=u,
                        name="Authenticator app (demo staff)",
                        confirmed=True,
                        key=hashlib.sha256(f"palermo-demo-staff:{u.username}".encode()).hexdigest()[
                            :40
                        ],
                    )
                    for u in staff
                    if u.pk not in with_device
                ],
                batch_size=1000,
            )
        demo_members = sorted(
            user.username
            for user in USERS
            for org_key, member_role in user.memberships
            if org_key == key and role_can(member_role, Perm.CASE_OPEN)
        )
        demo_ids = list(
            User.objects.filter(username__in=demo_members)
            .order_by("username")
            .values_list("pk", flat=True)
        )
        workers[org.pk] = demo_ids + [u.pk for u in staff]
    return workers


def _cast(organisations: dict[str, Organisation], workers: dict[int, list[int]]) -> Cast:
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in USERS])}

    def member(org_key: str, permission: Perm) -> int | None:
        for spec in USERS:
            for key, role in spec.memberships:
                if key == org_key and role_can(role, permission) and spec.username in users:
                    return users[spec.username].pk
        return None

    decider_key = "ministry"
    decider = member(decider_key, Perm.CASE_DECIDE)
    return Cast(
        organisations=organisations,
        workers=workers,
        users=users,
        decider=(decider or 0, organisations[decider_key].pk),
        receivers={
            key: (organisations[key].pk, member(key, Perm.REFERRAL_RESPOND)) for key in RECEIVERS
        },
    )


def assignments(persons: list[PersonRow], total: int) -> Iterator[tuple[int, PersonRow, int]]:
    """(case index, person, earlier cases of that person) for cases 0 … total-1."""
    if not persons:
        return
    previous = -1
    earlier = 0
    for index in range(total):
        position = index * len(persons) // total
        earlier = earlier + 1 if position == previous else 0
        previous = position
        yield index, persons[position], earlier


def loaded_batches(seed: int, total: int) -> int:
    """How many whole batches of this load are already in the database."""
    batches = (total + BATCH - 1) // BATCH
    low, high = 0, batches  # batches are written in order: find the first missing one
    while low < high:
        middle = (low + high) // 2
        if Case.objects.filter(public_id=case_public_id(seed, middle * BATCH, total)).exists():
            low = middle + 1
        else:
            high = middle
    return low


def generated_cases_count(seed: int, total: int) -> int:
    return min(total, loaded_batches(seed, total) * BATCH)


def load_cases(
    seed: int,
    total: int,
    organisations: dict[str, Organisation],
    persons_loaded: int,
    progress: TextIO | None = None,
) -> dict[str, int]:
    """Insert generated cases 0 … total-1 that are not there yet; return counts of rows."""
    counts = {"cases": 0, "decisions": 0, "deadlines": 0, "referrals": 0, "referral_events": 0}
    if total <= 0:
        return counts
    persons = eligible_persons(organisations, persons_loaded)
    if not persons:
        raise ValueError("There are no demo persons to open cases for: load persons first.")
    workers = ensure_staff(organisations, persons, total)
    simulator = CaseSimulator(
        seed, total, Plan.in_force(), _cast(organisations, workers), timezone.now()
    )
    writer = BulkWriter()
    done = loaded_batches(seed, total)
    items = list(assignments(persons, total))
    with tqdm(
        total=total,
        initial=min(total, done * BATCH),
        unit=" cases",
        desc="Cases",
        file=progress,
        disable=progress is None,
        smoothing=0.1,
    ) as bar:
        for index in range(done, (total + BATCH - 1) // BATCH):
            chunk = items[index * BATCH : (index + 1) * BATCH]
            batch = simulator.batch(index, chunk)
            with transaction.atomic():
                written = write_batch(writer, batch)
            for key, value in written.items():
                counts[key] += value
            bar.update(len(chunk))
    return counts


def write_batch(writer: BulkWriter, batch: Batch) -> dict[str, int]:
    """Give the rows their ids and insert them (inside the caller's transaction)."""
    case_ids = dict(
        zip(
            (row["_index"] for row in batch.cases),
            writer.reserve_ids(Case, len(batch.cases)),
            strict=True,
        )
    )
    for row in batch.cases:
        row["id"] = case_ids[row.pop("_index")]
    for rows in (batch.decisions, batch.deadlines):
        for row in rows:
            row["case_id"] = case_ids[row.pop("_case")]
    referral_ids = dict(
        zip(
            (row["_referral"] for row in batch.referrals),
            writer.reserve_ids(Referral, len(batch.referrals)),
            strict=True,
        )
    )
    for row in batch.referrals:
        row["id"] = referral_ids[row.pop("_referral")]
        row["case_id"] = case_ids[row.pop("_case")]
    for row in batch.events:
        row["referral_id"] = referral_ids[row.pop("_referral")]
    for model, rows in ((CaseDecision, batch.decisions), (CaseDeadline, batch.deadlines)):
        for row, pk in zip(rows, writer.reserve_ids(model, len(rows)), strict=True):
            row["id"] = pk
    for row, pk in zip(
        batch.events, writer.reserve_ids(ReferralEvent, len(batch.events)), strict=True
    ):
        row["id"] = pk
    return {
        "cases": writer.insert(Case, batch.cases),
        "decisions": writer.insert(CaseDecision, batch.decisions),
        "deadlines": writer.insert(CaseDeadline, batch.deadlines),
        "referrals": writer.insert(Referral, batch.referrals),
        "referral_events": writer.insert(ReferralEvent, batch.events),
    }


def reset_cases(organisations: list[Organisation], progress: TextIO | None = None) -> int:
    """Delete every case of the demo persons (with their referrals, decisions, deadlines)."""
    queryset = Case.objects.filter(person__owner_organisation__in=organisations)
    deleted = 0
    with tqdm(
        total=queryset.count(), unit=" cases", desc="Deleting cases", file=progress,
        disable=progress is None,
    ) as bar:  # fmt: skip
        while ids := list(queryset.order_by().values_list("pk", flat=True)[:BATCH]):
            with transaction.atomic():
                Case.objects.filter(pk__in=ids).only("pk").delete()
            deleted += len(ids)
            bar.update(len(ids))
    return deleted
