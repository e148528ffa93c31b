"""Reads of the audit log for the audit page: scoped by access.py, filtered, newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from palermo.accounts.actors import Actor

from .access import audit_events_visible_to
from .models import AuditEvent

PER_PAGE = 50


@dataclass(frozen=True)
class AuditFilters:
    """What the audit page can narrow events by; empty values do not filter."""

    action: str = ""
    actor_username: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the current time zone, the one the page shows."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _record_condition(object_id: str) -> Q:
    condition = Q(object_id=object_id)
    try:
        public_id = str(uuid.UUID(object_id))
    except ValueError:
        return condition
    # List pages record the persons they showed in details["persons"], not in object_id:
    # "who saw this person" must find those reads too.
    return Q(object_id=public_id) | Q(details__persons__icontains=public_id)


def audit_events_for(actor: Actor, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The events the actor may read that match `filters`, newest first (see access.py: its
    organisation's and those about its organisation's records).

    An action matches itself and its family ("person" matches "person.read"); a user
    matches by current username or by the name recorded at the time; dates are whole
    days in the current time zone, both ends included.
    """
    events = audit_events_visible_to(actor)
    if filters.action:
        events = events.filter(
            Q(action=filters.action) | Q(action__startswith=f"{filters.action}.")
        )
    if filters.actor_username:
        events = events.filter(
            Q(actor__username__iexact=filters.actor_username)
            | Q(actor_label__iexact=filters.actor_username)
        )
    if filters.object_id:
        events = events.filter(_record_condition(filters.object_id))
    if filters.date_from is not None:
        events = events.filter(occurred_at__gte=_start_of(filters.date_from))
    if filters.date_to is not None:
        events = events.filter(occurred_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    # The page names the organisation of events caused elsewhere: fetched in the same query.
    return events.select_related("organisation").order_by("-sequence")


def audit_page(
    *, actor: Actor, filters: AuditFilters, page_number: int | str = 1, per_page: int = PER_PAGE
) -> Page[AuditEvent]:
    """One page of `audit_events_for`: two queries (count and rows), whatever the page."""
    return Paginator(audit_events_for(actor, filters), per_page).get_page(page_number)
