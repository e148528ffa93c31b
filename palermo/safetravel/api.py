"""The safe-travel API: the hotline's alerts queue, for operators' own tools.

Same selectors and access rules as the pages: a role without travel_alert.view, or an alert
of another organisation, is a 404. Reading an alert is audited as on the page.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import NotFound
from palermo.people.schemas import ErrorOut

from . import selectors

router = Router(tags=["safetravel"])


class AlertFilter(Schema):
    status: str = Field("open", pattern="^(open|closed|all)$")
    page: int = Field(1, ge=1, le=100000)


class AlertSummary(Schema):
    id: str
    reference: str
    kind: str
    status: str
    test: bool
    raised_at: datetime.datetime
    cleared_at: datetime.datetime | None
    traveller_name: str
    destination: str


class AlertPage(Schema):
    count: int
    page: int
    pages: int
    results: list[AlertSummary]


class AlertDetail(AlertSummary):
    snapshot: dict[str, Any]
    intake_reference: str
    person: str | None


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


def _summary(view: selectors.AlertView) -> dict[str, Any]:
    alert = view.alert
    return {
        "id": str(alert.public_id),
        "reference": alert.reference,
        "kind": alert.kind,
        "status": alert.status,
        "test": alert.is_test,
        "raised_at": alert.raised_at,
        "cleared_at": alert.cleared_at,
        "traveller_name": view.traveller_name,
        "destination": view.destination,
    }


@router.get(
    "/alerts",
    response={200: AlertPage, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    summary="The travel alerts queue",
)
def list_alerts(request: HttpRequest, filters: Query[AlertFilter]) -> dict[str, Any]:
    actor = _actor(request)
    if not actor.can(Perm.TRAVEL_ALERT_VIEW) or actor.organisation is None:
        raise NotFound()
    page = selectors.travel_alert_list(actor=actor, status=filters.status, page_number=filters.page)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": [_summary(view) for view in page.object_list],
    }


@router.get(
    "/alerts/{alert_id}",
    response={200: AlertDetail, 401: ErrorOut, 404: ErrorOut},
    summary="One travel alert with the trip attached (audited)",
)
def get_alert(request: HttpRequest, alert_id: str) -> dict[str, Any]:
    actor = _actor(request)
    if not actor.can(Perm.TRAVEL_ALERT_VIEW) or actor.organisation is None:
        raise NotFound()
    view = selectors.travel_alert_detail(actor=actor, public_id=alert_id)
    return {
        **_summary(view),
        "snapshot": view.snapshot,
        "intake_reference": view.alert.intake_reference,
        "person": str(view.alert.person.public_id) if view.alert.person else None,
    }
