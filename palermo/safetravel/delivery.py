"""Handing messages to providers: SMS through the channels module, email through Django.

A provider takes an `Outgoing` message with its idempotency key and returns its own id for it.
Every provider here is idempotent by key: asked twice with one key, it delivers once and
returns the same id. That is what lets the sender retry after a crash without duplicates
(see `scheduler.deliver_pending`).

SMS providers (`settings.PALERMO_TRAVEL_SMS_PROVIDER`, a dotted path; empty chooses):
- `ChannelsSmsProvider`: `palermo.channels.outbound.send_text`, which records the message in
  the caller's transaction under the key and sends it after commit — the default whenever the
  channels module is installed.
- `RecordingProvider`: sends nothing, records each hand-off (tests, demo, benchmark). In
  memory, or in a SQLite file shared by processes when PALERMO_TRAVEL_RECORDING_LOG is set.
Email: `EmailProvider`, Django's mail (locmem in tests); the key travels as a header and as
the Message-ID, so a mail system that de-duplicates by Message-ID drops a repeat.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

CHANNELS_SEND_TEXT = "palermo.channels.outbound.send_text"


@dataclass(frozen=True)
class Outgoing:
    channel: str  # "sms" or "email"
    to: str
    subject: str
    body: str
    language: str
    idempotency_key: str


class DeliveryError(Exception):
    """The provider refused; `permanent` when a retry cannot help (a bad address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Provider(Protocol):
    def send(self, message: Outgoing) -> str:
        """Hand the message over (idempotently by its key); return the provider's id."""
        ...


class ChannelsSmsProvider:
    """SMS through the channels module's outbound queue (its own idempotency by key)."""

    def send(self, message: Outgoing) -> str:
        from palermo.errors import ApplicationError

        send_text = import_string(CHANNELS_SEND_TEXT)
        try:
            recorded = send_text(
                to=message.to,
                body=message.body,
                idempotency_key=message.idempotency_key,
                language=message.language,
            )
        except ApplicationError as exc:
            # No active channel is an operator's problem that may be fixed: retry later.
            raise DeliveryError(str(exc.message), permanent=exc.code == "invalid") from exc
        return str(recorded.public_id)


@dataclass(frozen=True)
class Recorded:
    idempotency_key: str
    channel: str
    to: str
    subject: str
    body: str
    language: str
    handed_at: float
    calls: int


class RecordingProvider:
    """Records what it is asked to send, once per idempotency key, and how often it was asked.

    Without PALERMO_TRAVEL_RECORDING_LOG the record is this process's memory (`outbox`); with
    it, a SQLite file that every process (workers, the benchmark) shares.
    """

    outbox: ClassVar[dict[str, Recorded]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.path: str = getattr(settings, "PALERMO_TRAVEL_RECORDING_LOG", "")

    def send(self, message: Outgoing) -> str:
        provider_id = "rec-" + hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:24]
        now = time.time()
        if self.path:
            record_to_file(self.path, message, now)
            return provider_id
        with self._lock:
            seen = self.outbox.get(message.idempotency_key)
            if seen is None:
                self.outbox[message.idempotency_key] = Recorded(
                    message.idempotency_key,
                    message.channel,
                    message.to,
                    message.subject,
                    message.body,
                    message.language,
                    now,
                    1,
                )
            else:
                self.outbox[message.idempotency_key] = Recorded(
                    **{**seen.__dict__, "calls": seen.calls + 1}
                )
        return provider_id

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls.outbox.clear()

    @classmethod
    def sent_to(cls, address: str) -> list[Recorded]:
        return [r for r in cls.outbox.values() if r.to == address]


_LOG_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS handed_over ("
    " idempotency_key TEXT PRIMARY KEY, channel TEXT, recipient TEXT, language TEXT,"
    " body_chars INTEGER, first_at REAL, last_at REAL, calls INTEGER)"
)


def _log_connection(path: str) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(_LOG_SCHEMA)
    return connection


_local = threading.local()


def record_to_file(path: str, message: Outgoing, now: float) -> None:
    """One hand-off in the shared log: a new key is a delivery, a known one only counts."""
    connections: dict[str, sqlite3.Connection] = getattr(_local, "connections", {})
    _local.connections = connections
    connection = connections.get(path)
    if connection is None:
        connection = connections[path] = _log_connection(path)
    connection.execute(
        "INSERT INTO handed_over VALUES (?, ?, ?, ?, ?, ?, ?, 1) "
        "ON CONFLICT(idempotency_key) DO UPDATE SET calls = calls + 1, last_at = excluded.last_at",
        (
            message.idempotency_key,
            message.channel,
            message.to,
            message.language,
            len(message.body),
            now,
            now,
        ),
    )


def read_log(path: str) -> list[dict[str, Any]]:
    """Every key in a recording log, with its first hand-off time and how often it was asked."""
    connection = _log_connection(path)
    try:
        rows = connection.execute(
            "SELECT idempotency_key, channel, recipient, first_at, calls FROM handed_over"
        ).fetchall()
    finally:
        connection.close()
    return [{"key": k, "channel": c, "to": r, "first_at": f, "calls": n} for k, c, r, f, n in rows]


class EmailProvider:
    """Email through Django's configured backend."""

    def send(self, message: Outgoing) -> str:
        digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
        message_id = f"<{digest}@safe-travel.palermo>"
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            headers={
                "Message-ID": message_id,
                "X-Palermo-Idempotency-Key": message.idempotency_key,
            },
        )
        try:
            email.send(fail_silently=False)
        except (OSError, ValueError) as exc:
            raise DeliveryError(str(exc)[:200]) from exc
        return message_id


def _channels_available() -> bool:
    try:
        import_string(CHANNELS_SEND_TEXT)
    except ImportError:
        return False
    return True


def sms_provider() -> Provider:
    path: str = getattr(settings, "PALERMO_TRAVEL_SMS_PROVIDER", "")
    if path:
        provider: Provider = import_string(path)()
        return provider
    if _channels_available():
        return ChannelsSmsProvider()
    return RecordingProvider()


def provider_for(channel: str) -> Provider:
    return EmailProvider() if channel == "email" else sms_provider()


def hand_over(message: Outgoing) -> str:
    """Send one message through the provider for its channel; returns the provider's id."""
    return provider_for(message.channel).send(message)
