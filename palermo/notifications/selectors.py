"""Reads of a user's own notifications (nobody reads anyone else's)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection

from palermo.fastsql import column, rows, table

from .kinds import text_for
from .models import Notification


@dataclass(frozen=True)
class NotificationView:
    notification: Notification

    @property
    def id(self) -> int:
        return self.notification.pk

    @property
    def text(self) -> str:
        return text_for(self.notification.kind, self.notification.reference)

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None

    def as_dict(self) -> dict[str, Any]:
        n = self.notification
        return {
            "id": n.pk,
            "kind": n.kind,
            "text": self.text,
            "reference": n.reference,
            "object_type": n.object_type,
            "object_id": n.object_id,
            "url": n.url,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }


def notification_page(
    *, user: Any, unread_only: bool = False, page_number: int | str = 1, per_page: int = 25
) -> Page[NotificationView]:
    rows = Notification.objects.filter(recipient=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    paginator = Paginator(rows.order_by("-created_at", "-id"), per_page)
    page = paginator.get_page(page_number)
    return Page(
        [NotificationView(n) for n in page.object_list],
        page.number,
        paginator,  # type: ignore[arg-type]
    )


def unread_count(user: Any) -> int:
    """The badge in every page's header: SQL built once (palermo.fastsql), not a compiled
    ORM count on every page."""
    return int(rows(_unread_sql(connection.vendor), [user.pk])[0][0])


@cache
def _unread_sql(vendor: str) -> str:
    return (
        f"SELECT COUNT(*) FROM {table(Notification)} "  # noqa: S608 - from model metadata
        f"WHERE {column(Notification, 'recipient')} = %s "
        f"AND {column(Notification, 'read_at')} IS NULL"
    )
