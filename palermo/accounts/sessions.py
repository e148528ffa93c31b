"""Django's database sessions, read with SQL built once per process (palermo.fastsql): the
session is the first thing every signed-in request reads. Writing is Django's own."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from palermo.fastsql import column, quoted, rows, selected, table


@cache
def _sql(vendor: str) -> str:
    s = quoted("s")
    return (
        f"SELECT {selected(Session, 's').sql()} FROM {table(Session)} {s} "  # noqa: S608 - from model metadata
        f"WHERE {s}.{column(Session, 'session_key')} = %s "
        f"AND {s}.{column(Session, 'expire_date')} > %s"
    )


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        found = None
        if key is not None:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            found = rows(_sql(connection.vendor), [key, now])
        if not found:
            # As Django's: an unknown or expired key is forgotten (a new one is made on save).
            self._session_key = None
            return None
        return selected(Session, "s").build(found[0], 0)
