"""The ingestion hot path's writes, in as few statements as the database allows.

Measured: the ORM's get-then-insert-then-read took eight round trips and most of the request's
CPU in query compilation. Here an inbound message costs one statement on PostgreSQL and two or
three on SQLite (3.35 and later), in SQL both run alike:

* the conversation is read (a known sender: no write at all), or created with ``INSERT … ON
  CONFLICT (channel, urn index) DO NOTHING RETURNING …``;
* the message: ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` stores it unless its gateway
  id is already there (a retry), in which case it returns nothing and one read finds the
  stored one. Concurrent retries cannot both insert: the unique index decides.

On PostgreSQL both are one statement (data-modifying common table expressions). If a first
message of a new sender races another one, the statement sees neither the conversation (not
yet committed when it started) nor a row of its own (the other insert won): it then stores
nothing, and is simply run again.

On PostgreSQL the statement also returns the stored message when the gateway's id is already
there (a retry finds it without a second query), and it is a prepared statement (server-side
binding, ``PREPARE`` once per connection): the server plans it once instead of on every message,
which measured a fifth of the server's work per message. ``PALERMO_CHANNEL_PREPARED_STATEMENTS=0``
turns that off (for a pooler that cannot keep prepared statements, such as PgBouncer before
1.21 in transaction mode).

Values go through each model field's ``get_db_prep_save`` where the driver would not take them
as they are, so encryption, UUIDs and dates are exactly what the ORM would have written.
"""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Model
from django.utils.dateparse import parse_datetime

from palermo.vault.fields import EncryptedField

from .conf import channel_settings
from .models import Conversation, Direction, Message, MessageStatus


@dataclass(frozen=True)
class ConversationRow:
    id: int
    public_id: uuid.UUID
    language: str
    last_auto_reply_at: datetime.datetime | None
    created: bool


@dataclass(frozen=True)
class StoredInbound:
    conversation: ConversationRow
    message_id: int
    message_public_id: uuid.UUID
    created: bool


class RaceLost(OperationalError):
    """Three runs in a row met a conversation being created and not yet visible: treated as
    the database being unavailable (the request is spooled and replayed later)."""


CONVERSATION_FIELDS = (
    "public_id",
    "channel",
    "urn",
    "urn_index",
    "language",
    "created_at",
)
MESSAGE_FIELDS = (
    "public_id",
    "channel",
    "conversation",
    "provider_message_id",
    "text",
    "language",
    "handed_off",
    "received_at",
    "created_at",
)
# The same for every inbound message: written into the statement, not sent as parameters.
MESSAGE_CONSTANTS = {
    "direction": f"'{Direction.INBOUND.value}'",
    "idempotency_key": "''",
    "status": f"'{MessageStatus.RECEIVED.value}'",
    "error": "''",
    "attempts": "0",
    "status_changed_at": "NULL",
}
RETURNED = ("id", "public_id", "language", "last_auto_reply_at")


@lru_cache(maxsize=4)
def _columns(
    model: type[Model], names: tuple[str, ...], vendor: str
) -> tuple[list[Any], list[bool], str]:
    """The fields of an INSERT, which of them need converting, and the quoted column list.

    Plain values (text, numbers, booleans, ids) go to the driver as they are; encrypted
    fields always go through the field, and UUIDs and dates wherever the database has no
    native type for them (SQLite).
    """
    fields: list[Any] = [model._meta.get_field(name) for name in names]
    native = vendor == "postgresql"
    convert = [
        isinstance(f, EncryptedField)
        or (not native and isinstance(f, models.UUIDField | models.DateTimeField))
        for f in fields
    ]
    quoted = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    return fields, convert, quoted


def _params(
    model: type[Model], names: tuple[str, ...], values: tuple[Any, ...], db: BaseDatabaseWrapper
) -> list[Any]:
    fields, convert, _quoted = _columns(model, names, db.vendor)
    return [
        field.get_db_prep_save(value, db) if needed else value
        for field, needed, value in zip(fields, convert, values, strict=True)
    ]


def _as_datetime(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    # SQLite hands back naive UTC datetimes (or text); PostgreSQL aware ones.
    parsed = value if isinstance(value, datetime.datetime) else parse_datetime(str(value))
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@lru_cache(maxsize=4)
def _sql(vendor: str) -> dict[str, str]:
    quote = connection.ops.quote_name
    conversations = quote(Conversation._meta.db_table)
    messages = quote(Message._meta.db_table)
    conversation_columns = _columns(Conversation, CONVERSATION_FIELDS, vendor)[2]
    message_columns = _columns(Message, MESSAGE_FIELDS, vendor)[2] + "".join(
        f", {quote(name)}"
        for name in MESSAGE_CONSTANTS  # plain fields: column = name
    )
    constants = "".join(f", {value}" for value in MESSAGE_CONSTANTS.values())
    conversation_values = ", ".join(["%s"] * len(CONVERSATION_FIELDS))
    message_values = ", ".join(["%s"] * len(MESSAGE_FIELDS)) + constants
    returned = ", ".join(quote(name) for name in RETURNED)
    where = f"{quote('channel_id')} = %s AND {quote('urn_index')} = %s"
    find = f"SELECT {returned} FROM {conversations} WHERE {where}"  # noqa: S608
    create = (
        f"INSERT INTO {conversations} ({conversation_columns}) "  # noqa: S608
        f"VALUES ({conversation_values}) "
        f"ON CONFLICT ({quote('channel_id')}, {quote('urn_index')}) DO NOTHING "
        f"RETURNING {returned}"
    )
    insert = (
        f"INSERT INTO {messages} ({message_columns}) VALUES ({message_values}) "  # noqa: S608
        f"ON CONFLICT DO NOTHING RETURNING {quote('id')}"
    )
    # PostgreSQL: one statement. Parameters: the two of `find`, the conversation's, then
    # the message's without its conversation id (taken from `c`).
    conversation_id_at = MESSAGE_FIELDS.index("conversation")
    selected = (
        ", ".join(
            "c.id" if index == conversation_id_at else "%s" for index in range(len(MESSAGE_FIELDS))
        )
        + constants
    )
    create_if_new = (
        f"INSERT INTO {conversations} ({conversation_columns}) "  # noqa: S608
        f"SELECT {conversation_values} WHERE NOT EXISTS (SELECT 1 FROM found) "
        f"ON CONFLICT ({quote('channel_id')}, {quote('urn_index')}) DO NOTHING "
        f"RETURNING {returned}"
    )
    # `stored`: the message a retry finds (same snapshot: it sees what committed before the
    # statement began, which a retry's original has). Parameters at the end: channel, id.
    stored = (
        f"SELECT {quote('id')}, {quote('public_id')} FROM {messages} "  # noqa: S608
        f"WHERE {quote('channel_id')} = %s AND {quote('direction')} = "
        f"'{Direction.INBOUND.value}' AND {quote('provider_message_id')} = %s "
        f"AND {quote('provider_message_id')} <> ''"
    )
    combined = (
        f"WITH found AS ({find}), made AS ({create_if_new}), "  # noqa: S608
        "c AS (SELECT *, FALSE AS created FROM found "
        "UNION ALL SELECT *, TRUE AS created FROM made), "
        f"m AS (INSERT INTO {messages} ({message_columns}) SELECT {selected} FROM c "
        f"ON CONFLICT DO NOTHING RETURNING {quote('id')}), "
        f"s AS ({stored}) "
        "SELECT c.id, c.public_id, c.language, c.last_auto_reply_at, c.created, m.id, "
        "s.id, s.public_id FROM c LEFT JOIN m ON TRUE LEFT JOIN s ON m.id IS NULL"
    )
    return {"find": find, "create": create, "insert": insert, "combined": combined}


def store_inbound_rows(
    *,
    channel_id: int,
    urn: str,
    urn_index: str,
    conversation_language: str,
    provider_message_id: str,
    text: str,
    language: str,
    handed_off: bool,
    received_at: datetime.datetime,
    now: datetime.datetime,
) -> StoredInbound:
    """Find or create the conversation and store the message once.

    One statement on PostgreSQL (atomic by itself); on SQLite run it in a transaction.
    A new conversation has had no automatic reply yet: dispatching its first message sends it.
    """
    # The connection itself, not the per-thread proxy every attribute of which is a lookup.
    db = connections[DEFAULT_DB_ALIAS]
    conversation_params = _params(
        Conversation,
        CONVERSATION_FIELDS,
        (uuid.uuid4(), channel_id, urn, urn_index, conversation_language, now),
        db,
    )
    message_public_id = uuid.uuid4()
    message_params = _params(
        Message,
        MESSAGE_FIELDS,
        (
            message_public_id,
            channel_id,
            0,  # the conversation's id, filled in below
            provider_message_id,
            text or None,
            language,
            handed_off,
            received_at,
            now,
        ),
        db,
    )
    statements = _sql(db.vendor)
    conversation_at = MESSAGE_FIELDS.index("conversation")
    found_stored: tuple[Any, Any] | None = None
    if db.vendor == "postgresql":
        without_conversation = (
            message_params[:conversation_at] + message_params[conversation_at + 1 :]
        )
        params = [
            channel_id,
            urn_index,
            *conversation_params,
            *without_conversation,
            channel_id,
            provider_message_id,
        ]
        for _attempt in range(3):
            with _hot_cursor(db) as cursor:
                cursor.execute(statements["combined"], params)
                row = cursor.fetchone()
            if row is not None:
                break
        else:
            raise RaceLost("The conversation could not be found or created.")
        conversation_row, message_id = row[:5], row[5]
        if message_id is None and row[6] is not None:
            found_stored = (row[6], row[7])
    else:
        with db.cursor() as cursor:
            cursor.execute(statements["find"], [channel_id, urn_index])
            found = cursor.fetchone()
            if found is None:
                cursor.execute(statements["create"], conversation_params)
                found = cursor.fetchone()
                if found is None:  # SQLite writes one at a time: only if raced outside us
                    cursor.execute(statements["find"], [channel_id, urn_index])
                    found = cursor.fetchone()
                    conversation_row = (*found, False)
                else:
                    conversation_row = (*found, True)
            else:
                conversation_row = (*found, False)
            message_params[conversation_at] = conversation_row[0]
            cursor.execute(statements["insert"], message_params)
            inserted = cursor.fetchone()
            message_id = inserted[0] if inserted is not None else None
    conversation = ConversationRow(
        id=int(conversation_row[0]),
        public_id=_as_uuid(conversation_row[1]),
        language=str(conversation_row[2] or ""),
        last_auto_reply_at=_as_datetime(conversation_row[3]),
        created=bool(conversation_row[4]),
    )
    if message_id is not None:
        return StoredInbound(conversation, int(message_id), message_public_id, True)
    if found_stored is None:
        # SQLite; or a retry racing its original, whose row the statement could not yet see
        # (its insert waited for that commit): visible now.
        found_stored = Message.objects.values_list("id", "public_id").get(
            channel_id=channel_id,
            direction=Direction.INBOUND,
            provider_message_id=provider_message_id,
        )
    stored_id, stored_public_id = found_stored
    return StoredInbound(conversation, int(stored_id), _as_uuid(stored_public_id), False)


def _hot_cursor(db: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor for the ingestion statement: on PostgreSQL, with server-side binding and the
    statement prepared once per connection (unless switched off); else Django's own.

    Made the way Django makes its cursors (health check, connection, error wrapping, query
    logging), only with psycopg's server-binding cursor class.
    """
    if db.vendor != "postgresql" or not channel_settings().prepared_statements:
        return db.cursor()
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    with db.wrap_database_errors:
        raw = _PreparedCursor(db.connection)
    if db.queries_logged:
        return _LoggedCursor(raw, db)
    return db.make_cursor(raw)  # type: ignore[arg-type]


class _LoggedCursor(CursorWrapper):
    """Records its statements in ``connection.queries`` (DEBUG, tests' query counts) as
    Django's debug cursor does; Django's own cannot show a prepared statement's text."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        start = time.monotonic()
        try:
            return super().execute(sql, params)
        finally:
            self.db.queries_log.append(
                {
                    "sql": self.db.ops.compose_sql(sql, params),
                    "time": f"{time.monotonic() - start:.3f}",
                }
            )


class _PreparedCursor(psycopg.Cursor):  # type: ignore[type-arg]
    """Prepares what it executes, once per connection.

    Django opens its connections with preparing off (``prepare_threshold=None``), which
    psycopg applies even to ``prepare=True``: it is switched on for this cursor's statements
    only, and back off after each, so no other query on the connection is ever prepared.
    """

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("prepare", True)
        raw = self.connection
        threshold = raw.prepare_threshold
        if threshold is None:
            raw.prepare_threshold = _ONLY_WHEN_ASKED
        try:
            return super().execute(query, params, **kwargs)
        finally:
            raw.prepare_threshold = threshold


# A threshold no query reaches by repetition: only prepare=True statements are prepared.
_ONLY_WHEN_ASKED = 2**31 - 1
