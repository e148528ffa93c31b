"""The caller's own notifications."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from palermo.accounts.actors import Actor
from palermo.errors import NotFound
from palermo.people.schemas import ErrorOut

from . import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    reference: str
    object_type: str
    object_id: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class NotificationPage(Schema):
    count: int
    page: int
    pages: int
    unread: int
    items: list[NotificationOut]


class NotificationFilter(Schema):
    unread: bool = False
    page: int = Field(1, ge=1, le=100000)


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


@router.get("", response={200: NotificationPage, 401: ErrorOut})
def list_notifications(request: HttpRequest, filters: Query[NotificationFilter]) -> dict:
    """The caller's notifications, newest first (in the caller's language)."""
    user = _actor(request).user
    page = selectors.notification_page(
        user=user, unread_only=filters.unread, page_number=filters.page
    )
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "unread": selectors.unread_count(user),
        "items": [v.as_dict() for v in page.object_list],
    }


@router.post("/{notification_id}/read", response={204: None, 401: ErrorOut, 404: ErrorOut})
def read_notification(request: HttpRequest, notification_id: int) -> Status:
    """Mark one of the caller's notifications read."""
    if not services.mark_read(user=_actor(request).user, notification_id=notification_id):
        raise NotFound()
    return Status(204, None)


@router.post("/read-all", response={200: dict, 401: ErrorOut})
def read_all(request: HttpRequest) -> dict:
    """Mark all the caller's notifications read; returns how many changed."""
    return {"marked": services.mark_all_read(user=_actor(request).user)}
