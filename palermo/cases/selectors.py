"""Reads of cases for pages and the API: access-checked, built for a million cases, audited.

The case list is paged by keyset (a cursor after the last row shown), not by offset, and runs
one small index-backed query per way a case can be visible to the actor (see
`access.visibility_branches`) and per status, merging their first rows: an OR of the branches
would make PostgreSQL read and sort every visible case. The number of queries depends on the
filters, never on the number of cases. Counts are capped at COUNT_CAP per branch (the page says
"more than 1,000"), so no page pays for an unbounded COUNT.

Names are read only for the rows shown, and only when the actor may see the person's identity
group (role, consent and any referral narrowing, as on the person pages); each page that shows
names writes one audit event, as the person list does.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast
from uuid import UUID

from django.db import connection
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation, User
from palermo.accounts.roles import Perm
from palermo.audit.services import audit_read
from palermo.consent.access import consent_states
from palermo.errors import invalid
from palermo.fastsql import (
    Selected,
    build_row,
    column,
    placeholders,
    quoted,
    rows,
    selected,
    table,
)
from palermo.people.models import Person
from palermo.people.selectors import PersonView
from palermo.referrals.access import live_referrals_to, referral_grants
from palermo.referrals.models import RECEIVED_LIVE, RECEIVED_LIVE_OPEN, Referral

from .access import (
    case_for_actor,
    case_groups_seen,
    require_permission,
    visibility_branches,
)
from .lifecycle import PERIOD_END, Lifecycle, Stage, lifecycle_for, lifecycle_in_force
from .models import (
    OPEN_CONDITION,
    OPEN_STATUSES,
    AnonymousNotification,
    Case,
    CaseDeadline,
    CaseDecision,
    CaseStatus,
)

PER_PAGE = 25
MAX_PER_PAGE = 100
COUNT_CAP = 1000
STATUS_FILTERS = ("open", "all", *CaseStatus.values)
_CURSOR = re.compile(r"^([od])(-?\d{1,20})\.(\d{1,19})$")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_URL_PLACEHOLDER = UUID(int=0)
# What a list row reads of the case and of the records it names. Of the person only the name,
# the date of birth (a child is decided by it) and what access needs: nothing else is read, so
# nothing else is decrypted.
_LIST_CASE_FIELDS = (
    "public_id",
    "person",
    "owner_organisation",
    "case_worker",
    "competent_organisation",
    "country",
    "stage",
    "stage_entered_at",
    "status",
    "closure_reason",
    "is_child",
    "next_deadline",
    "opened_at",
    "closed_at",
)
_LIST_PERSON_FIELDS = ("public_id", "owner_organisation", "first_name", "second_name", "birthdate")
_LIST_ORGANISATION_FIELDS = ("name", "public_id")
_LIST_USER_FIELDS = ("username", "first_name", "last_name")


@dataclass(frozen=True)
class CaseFilters:
    status: str = "open"
    stage: str = ""
    mine: bool = False
    overdue: bool = False
    # Only cases whose next deadline falls before this date (the dashboard: before tomorrow).
    deadline_before: datetime.date | None = None


def clean_filters(data: Any) -> CaseFilters:
    """Filters from a query string or the API; 400 naming the field for anything unknown."""
    status = str(data.get("status") or "open")
    if status not in STATUS_FILTERS:
        raise invalid({"status": [_("Choose one of the listed options.")]})
    stage = str(data.get("stage") or "")
    if stage and (len(stage) > 40 or lifecycle_in_force().stage(stage) is None):
        raise invalid({"stage": [_("Choose one of the listed options.")]})
    return CaseFilters(
        status=status,
        stage=stage,
        mine=_flag(data.get("mine")),
        overdue=_flag(data.get("overdue")),
    )


def _flag(value: Any) -> bool:
    return value in (True, "1", "true", "on", "yes")


@dataclass
class CaseRow:
    """One case as a list shows it."""

    case: Case
    person_name: str  # the person's name, or the person's reference when identity is withheld
    name_shown: bool
    stage_label: str
    overdue: bool
    # Worked out once per page rather than by the template for every row.
    url: str = ""
    status_label: str = ""

    @property
    def reference(self) -> str:
        return self.case.reference


@dataclass
class CasePage:
    rows: list[CaseRow]
    next_cursor: str
    count: int
    count_capped: bool
    filters: CaseFilters
    cursor: str = ""

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)


def _status_condition(filters: CaseFilters) -> Q:
    """One condition per branch: the open statuses together (the partial indexes on open
    cases serve them in order), one status, or none."""
    if filters.status == "open":
        return OPEN_CONDITION
    if filters.status == "all":
        return Q()
    return Q(status=filters.status)


def _deadline_mode(filters: CaseFilters) -> bool:
    return filters.overdue or filters.deadline_before is not None


def _encode(case_id: int, value: Any, deadline_mode: bool) -> str:
    if deadline_mode:
        return f"d{value.toordinal()}.{case_id}"
    micros = (value - _EPOCH) // datetime.timedelta(microseconds=1)
    return f"o{micros}.{case_id}"


def _decode(cursor: str, deadline_mode: bool) -> tuple[Any, int] | None:
    if not cursor:
        return None
    match = _CURSOR.match(cursor)
    if match is None or (match.group(1) == "d") != deadline_mode:
        raise invalid(
            {"cursor": [_("This page link is not valid. Start again from the first page.")]}
        )
    number, case_id = int(match.group(2)), int(match.group(3))
    try:
        if deadline_mode:
            return datetime.date.fromordinal(number), case_id
        return _EPOCH + datetime.timedelta(microseconds=number), case_id
    except (ValueError, OverflowError) as exc:
        raise invalid(
            {"cursor": [_("This page link is not valid. Start again from the first page.")]}
        ) from exc


@dataclass
class _Branches:
    direct: list[QuerySet[Case]]  # one query per branch that an index serves in order
    # The live referrals to the actor's organisation whose case passes the filters, in the
    # referrals' copies of the case columns (None for "mine"): the referral branch.
    referred: QuerySet[Referral] | None


def _referred_status_condition(filters: CaseFilters) -> Q:
    """`_status_condition` in the referrals' copies of the case columns, in the form of the
    conditions of their partial indexes (referrals.models.RECEIVED_LIVE[_OPEN])."""
    if filters.status == "open":
        return RECEIVED_LIVE_OPEN
    if filters.status == "all":
        return RECEIVED_LIVE
    return RECEIVED_LIVE & Q(case_status=filters.status)


def _branches(actor: Actor, filters: CaseFilters, today: datetime.date) -> _Branches:
    common = _status_condition(filters)
    referred = _referred_status_condition(filters)
    if filters.stage:
        common &= Q(stage=filters.stage)
        referred &= Q(case_stage=filters.stage)
    if filters.overdue:
        common &= Q(next_deadline__lt=today)
        referred &= Q(case_next_deadline__lt=today)
    if filters.deadline_before is not None:
        common &= Q(next_deadline__lt=filters.deadline_before)
        referred &= Q(case_next_deadline__lt=filters.deadline_before)
    if filters.mine and actor.user is not None:
        return _Branches([Case.objects.filter(Q(case_worker_id=actor.user.pk) & common)], None)
    direct = [Case.objects.filter(b & common) for b in visibility_branches(actor)[1:-1]]
    return _Branches(direct, Referral.objects.filter(live_referrals_to(actor) & referred))


def _sql(queryset: QuerySet[Any]) -> tuple[str, list[Any]]:
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    return sql, list(params)


def _referred_column(column: str) -> str:
    """The referral's column for a case column of the list's order and keyset: its copy
    (`case_opened_at`, `case_next_deadline`) or the case's id (`case_id`)."""
    return "case_" + column


def _on_referrals(condition: Q) -> Q:
    """A keyset condition on the case columns, on the referrals' copies of them instead."""
    mapped = Q()
    mapped.connector, mapped.negated = condition.connector, condition.negated
    for child in condition.children:
        if isinstance(child, Q):
            mapped.children.append(_on_referrals(child))
        else:
            lookup, value = cast(tuple[str, Any], child)
            column, _sep, rest = lookup.partition("__")
            mapped.children.append((_referred_column(column) + _sep + rest, value))
    return mapped


def _first_rows_and_count(
    branches: _Branches,
    keyset: Q,
    order: tuple[str, ...],
    sort_field: str,
    limit: int,
    count: bool,
) -> tuple[dict[int, Any], int]:
    """The first `limit` rows (id → sort value) of every branch and, when `count`, how many
    cases the branches hold together, each counted up to COUNT_CAP + 1: one query, every part
    of which an index serves in the list's order, so that its cost is bounded by the page size
    and the cap, never by the number of cases.

    The direct branches do not overlap; the referral branch may meet them (a case of the
    organisation's own that was also referred to it): rows are merged by id and counted once.
    """
    selects: list[str] = []
    select_params: list[Any] = []
    counted: list[str] = []
    counted_params: list[Any] = []
    for number, query in enumerate(branches.direct):
        sql, query_params = _sql(
            query.filter(keyset).order_by(*order).values_list("id", sort_field)[:limit]
        )
        selects.append(f'SELECT 0, "id", "{sort_field}" FROM ({sql}) branch_{number}')  # noqa: S608 - our SQL
        select_params += query_params
        if count:
            sql, query_params = _sql(query.order_by().values("id")[: COUNT_CAP + 1])
            counted.append(f'SELECT "id" FROM ({sql}) counted_{number}')  # noqa: S608 - our SQL
            counted_params += query_params
    if branches.referred is not None:
        referred_order = tuple(
            ("-" if o.startswith("-") else "") + _referred_column(o.lstrip("-")) for o in order
        )
        sort_copy = _referred_column(sort_field)
        sql, query_params = _sql(
            branches.referred.filter(_on_referrals(keyset))
            .order_by(*referred_order)
            .values_list("case_id", sort_copy)[:limit]
        )
        selects.append(f'SELECT 0, "case_id", "{sort_copy}" FROM ({sql}) referred')  # noqa: S608 - our SQL
        select_params += query_params
        if count:
            sql, query_params = _sql(
                branches.referred.order_by().values("case_id")[: COUNT_CAP + 1]
            )
            counted.append(f'SELECT "case_id" FROM ({sql}) counted_referred')  # noqa: S608 - our SQL
            counted_params += query_params
    if counted:
        # UNION, not UNION ALL: a case both in a direct branch and referred counts once.
        selects.append(
            "SELECT 1, COUNT(*), NULL FROM (" + " UNION ".join(counted) + ") counted"  # noqa: S608 - our SQL
        )
        select_params += counted_params
    sql = " UNION ALL ".join(selects)
    field = Case._meta.get_field(sort_field)
    column = field.get_col(Case._meta.db_table)  # type: ignore[union-attr]
    converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)  # type: ignore[union-attr]
    found: dict[int, Any] = {}
    total = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, select_params)
        for kind, number, value in cursor.fetchall():
            if kind == 1:
                total = int(number)
                continue
            for converter in converters:
                value = converter(value, column, connection)
            found[int(number)] = value
    return found, total


def case_list(
    *,
    actor: Actor,
    filters: CaseFilters | None = None,
    cursor: str = "",
    per_page: int = PER_PAGE,
    count: bool = True,
    audit: bool = True,
) -> CasePage:
    """A page of the cases the actor sees, newest first (or soonest deadline first when
    filtering by deadline), with the person's name where the actor may see it."""
    require_permission(actor, Perm.CASE_VIEW)
    filters = filters or CaseFilters()
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    today = timezone.localdate()
    deadline_mode = _deadline_mode(filters)
    after = _decode(cursor, deadline_mode)
    order = ("next_deadline", "id") if deadline_mode else ("-opened_at", "-id")
    sort_field = "next_deadline" if deadline_mode else "opened_at"
    keyset = Q()
    if after is not None:
        value, last_id = after
        if deadline_mode:
            keyset = Q(next_deadline__gt=value) | Q(next_deadline=value, id__gt=last_id)
        else:
            keyset = Q(opened_at__lt=value) | Q(opened_at=value, id__lt=last_id)
    counting = count and not cursor
    candidates, total = _first_rows_and_count(
        _branches(actor, filters, today), keyset, order, sort_field, per_page + 1, counting
    )
    capped = total > COUNT_CAP
    if deadline_mode:
        ordered = sorted(candidates.items(), key=lambda item: (item[1], item[0]))
    else:
        ordered = sorted(candidates.items(), key=lambda item: (item[1], item[0]), reverse=True)
    page_ids = ordered[:per_page]
    next_cursor = ""
    if len(ordered) > per_page:
        last_id, last_value = page_ids[-1]
        next_cursor = _encode(last_id, last_value, deadline_mode)
    page_rows = _rows(actor, [case_id for case_id, _ in page_ids], today, audit=audit)
    if capped:
        total = COUNT_CAP
    return CasePage(
        rows=page_rows,
        next_cursor=next_cursor,
        count=total,
        count_capped=capped,
        filters=filters,
        cursor=cursor,
    )


def _grants_beyond_own(actor: Actor, persons: list[Any]) -> dict[int, Any]:
    """`referral_grants` of the persons another organisation owns: the only ones a referral
    can narrow (people.selectors._field_access); no query when the actor's own all."""
    others = [p.pk for p in persons if p.owner_organisation_id != actor.organisation_id]
    return referral_grants(actor, others) if others else {}


def _list_parts() -> tuple[Selected, Selected, Selected, Selected, Selected]:
    return (
        selected(Case, "c", _LIST_CASE_FIELDS),
        selected(Person, "p", _LIST_PERSON_FIELDS),
        selected(Organisation, "o", _LIST_ORGANISATION_FIELDS),
        selected(User, "w", _LIST_USER_FIELDS),
        selected(Organisation, "k", _LIST_ORGANISATION_FIELDS),
    )


@cache
def _list_cases_sql(vendor: str, count: int) -> str:
    """The page's cases by id with their person, owner, case worker and competent
    organisation: the ORM's select_related, as SQL built once per page size (palermo.fastsql;
    compiling it was a fifth of the list's CPU)."""
    case, person, owner, worker, competent = _list_parts()
    c, p, o, w, k = (quoted(alias) for alias in ("c", "p", "o", "w", "k"))

    def on(alias: str, field: str, model: Any, other: str) -> str:
        return f"{other}.{column(model, 'id')} = {alias}.{column(Case, field)}"

    return (
        f"SELECT {case.sql()}, {person.sql()}, {owner.sql()}, {worker.sql()}, "  # noqa: S608 - from model metadata
        f"{competent.sql()} FROM {table(Case)} {c} "
        f"INNER JOIN {table(Person)} {p} ON {on(c, 'person', Person, p)} "
        f"INNER JOIN {table(Organisation)} {o} ON {on(c, 'owner_organisation', Organisation, o)} "
        f"LEFT JOIN {table(User)} {w} ON {on(c, 'case_worker', User, w)} "
        f"LEFT JOIN {table(Organisation)} {k} "
        f"ON {on(c, 'competent_organisation', Organisation, k)} "
        f"WHERE {c}.{column(Case, 'id')} IN ({placeholders(count)})"
    )


def _list_cases(case_ids: list[int]) -> dict[int, Case]:
    """The cases by id, each with its person, owner organisation, case worker and competent
    organisation attached (only the list's fields loaded; any other is read on access)."""
    parts = _list_parts()
    found: dict[int, Case] = {}
    for row in rows(_list_cases_sql(connection.vendor, len(case_ids)), case_ids):
        case, person, owner, worker, competent = build_row(parts, row)
        assert isinstance(case, Case)  # noqa: S101 - the FROM table
        case.person = cast(Person, person)
        case.owner_organisation = cast(Organisation, owner)
        case.case_worker = cast(User | None, worker)
        case.competent_organisation = cast(Organisation | None, competent)
        found[case.pk] = case
    return found


def _rows(actor: Actor, case_ids: list[int], today: datetime.date, *, audit: bool) -> list[CaseRow]:
    if not case_ids:
        return []
    cases = _list_cases(case_ids)
    ordered = [cases[pk] for pk in case_ids if pk in cases]
    persons = [c.person for c in ordered]
    states = consent_states(persons, today)
    grants = _grants_beyond_own(actor, persons)
    rows = []
    shown: list[str] = []
    statuses = {value: str(label) for value, label in CaseStatus.choices}
    # The detail address of every row from one reverse(): the id is the only part that varies.
    url_of = reverse("cases:detail", args=[_URL_PLACEHOLDER]).replace(str(_URL_PLACEHOLDER), "{}")
    identity = frozenset({"identity"})
    for case in ordered:
        person = case.person
        groups = case_groups_seen(actor, case, states[person.pk], grants)
        view = PersonView(person, groups & identity)
        name_shown = "identity" in view.visible_groups
        if name_shown:
            shown.append(str(person.public_id))
        lifecycle = lifecycle_for(case.country)
        rows.append(
            CaseRow(
                case=case,
                person_name=view.display_name,
                name_shown=name_shown,
                stage_label=lifecycle.stage_label(case.stage),
                overdue=case.next_deadline is not None
                and case.next_deadline < today
                and case.status in OPEN_STATUSES,
                url=url_of.format(case.public_id),
                status_label=statuses.get(case.status, case.status),
            )
        )
    if shown and audit:
        audit_read(
            actor=actor,
            action="case.list",
            object_type="case",
            object_id="",
            field_groups=["identity"],
            details={"persons": shown, "cases": [str(c.public_id) for c in ordered]},
        )
    return rows


# --- one case ----------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    when: datetime.datetime
    kind: str  # "opened", "decision", "stage", "closed"
    label: str
    decision: CaseDecision | None = None


@dataclass
class DeadlineView:
    deadline: CaseDeadline
    label: str
    state: str  # "met", "overdue", "due_today", "upcoming", "ended"


@dataclass
class CaseDetail:
    case: Case
    lifecycle: Lifecycle
    stage: Stage | None
    person: PersonView
    narrative_visible: bool
    decisions: list[CaseDecision]
    deadlines: list[DeadlineView]
    stages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return self.case.reference


def deadline_label(lifecycle: Lifecycle, deadline: CaseDeadline) -> str:
    stage = lifecycle.stage(deadline.stage)
    stage_label = stage.label() if stage else deadline.stage
    if deadline.kind == PERIOD_END:
        return _("End of the minimum %(stage)s") % {"stage": stage_label.lower()}
    if stage is not None and stage.decision is not None:
        return _("%(decision)s due") % {"decision": stage.decision.label()}
    return _("%(stage)s due") % {"stage": stage_label}


def deadline_state(deadline: CaseDeadline, today: datetime.date) -> str:
    if deadline.met_at is not None:
        return "ended" if deadline.kind == PERIOD_END else "met"
    if deadline.due_on < today:
        return "overdue"
    if deadline.due_on == today:
        return "due_today"
    return "upcoming"


def case_detail(*, actor: Actor, public_id: str | UUID) -> CaseDetail:
    """One case as the actor may see it; the read of the person's shown groups is audited.

    A fixed number of queries whatever the number of decisions and deadlines.
    """
    case = case_for_actor(actor, public_id, "view")
    today = timezone.localdate()
    lifecycle = lifecycle_for(case.country)
    person = case.person
    states = consent_states([person], today)
    grants = _grants_beyond_own(actor, [person])
    groups = case_groups_seen(actor, case, states[person.pk], grants)
    decisions = list(
        CaseDecision.objects.filter(case=case).select_related(
            "decided_by", "decided_by_organisation"
        )
    )
    deadlines = [
        DeadlineView(d, deadline_label(lifecycle, d), deadline_state(d, today))
        for d in CaseDeadline.objects.filter(case=case)
    ]
    narrative = "narrative" in groups
    shown = set(groups & {"identity"})
    if narrative and (decisions or case.summary):
        shown.add("narrative")
    audit_read(
        actor=actor,
        object_type="case",
        object_id=str(case.public_id),
        field_groups=shown,
        details={"person": str(person.public_id)},
        subject_organisation=case.owner_organisation,
    )
    stage = lifecycle.stage(case.stage)
    return CaseDetail(
        case=case,
        lifecycle=lifecycle,
        stage=stage,
        person=PersonView(person, frozenset(shown)),
        narrative_visible=narrative,
        decisions=decisions,
        deadlines=deadlines,
        stages=_stage_track(lifecycle, case, decisions),
    )


def _stage_track(
    lifecycle: Lifecycle, case: Case, decisions: list[CaseDecision]
) -> list[dict[str, Any]]:
    """The stages the case went through (from its decisions) and the one it is at."""
    visited = {d.stage for d in decisions} | {case.stage}
    track = []
    for stage in lifecycle.ordered_stages():
        if stage.key in visited or stage.key == lifecycle.entry_stage:
            track.append(
                {
                    "key": stage.key,
                    "label": stage.label(),
                    "current": stage.key == case.stage,
                    "done": stage.key != case.stage,
                }
            )
    return track


def timeline(detail: CaseDetail) -> list[TimelineEntry]:
    """What happened, in order: the opening, each decision, the closure."""
    case = detail.case
    entries = [TimelineEntry(case.opened_at, "opened", _("Referred into the mechanism"))]
    for decision in detail.decisions:
        stage = detail.lifecycle.stage(decision.stage)
        label = stage.decision.label() if stage and stage.decision else decision.stage
        entries.append(TimelineEntry(decision.decided_at, "decision", label, decision))
    if case.closed_at:
        entries.append(TimelineEntry(case.closed_at, "closed", _("Closed")))
    return sorted(entries, key=lambda e: e.when)


# --- deadlines across cases ----------------------------------------------------------------


@dataclass
class OverdueRow:
    deadline: CaseDeadline
    label: str
    days_overdue: int


def overdue_deadlines(*, actor: Actor, limit: int = 200) -> tuple[list[OverdueRow], bool]:
    """Unmet deadlines past their day on open cases the actor's organisation owns or decides.

    At most `limit` rows, oldest first; the boolean says whether there were more.
    """
    require_permission(actor, Perm.CASE_VIEW)
    today = timezone.localdate()
    organisation = Q(case__owner_organisation_id=actor.organisation_id)
    if actor.can(Perm.CASE_DECIDE):
        organisation |= Q(case__competent_organisation_id=actor.organisation_id)
    rows = list(
        CaseDeadline.objects.filter(
            organisation,
            met_at__isnull=True,
            due_on__lt=today,
            case__status__in=OPEN_STATUSES,
        )
        .exclude(kind=PERIOD_END)
        .select_related("case", "case__case_worker", "case__owner_organisation")
        .defer("case__summary")
        .order_by("due_on", "id")[: limit + 1]
    )
    more = len(rows) > limit
    result = [
        OverdueRow(d, deadline_label(lifecycle_for(d.case.country), d), (today - d.due_on).days)
        for d in rows[:limit]
    ]
    return result, more


def anonymous_notifications(*, actor: Actor, limit: int = 100) -> list[AnonymousNotification]:
    """The actor's organisation's anonymous notifications, newest first (contact not read)."""
    require_permission(actor, Perm.CASE_VIEW)
    return list(
        AnonymousNotification.objects.filter(organisation_id=actor.organisation_id or 0)
        .defer("contact")
        .select_related("notified_by")[:limit]
    )
