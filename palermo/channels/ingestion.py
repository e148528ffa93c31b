"""Ingesting a gateway's webhook: authenticate, parse, store once, acknowledge.

The path of every inbound SMS and delivery report, whether it comes live from a gateway or is
replayed from the spool:

1. find the channel (cached per process for a few seconds; a cached channel still answers
   while the database is down);
2. check the request's authenticity with the channel's secret (403, nothing stored);
3. parse the body (400 with a clear message, nothing stored);
4. store it — on PostgreSQL in a single statement (storage.py): the message, keyed by the
   gateway's message id, so a retry finds the message already there and stores nothing more
   (``INSERT … ON CONFLICT DO NOTHING``: concurrent retries cannot both insert), in the
   conversation of its sender. Nothing else happens in the request: the message waits in the
   outbox for the worker to dispatch it (dispatch.py: Safe Travel, the automatic reply,
   intake's filing), or is dispatched on commit where tasks do not go through the database;
5. acknowledge only then. If the database is unavailable the request is spooled to disk
   (encrypted, fsynced) and acknowledged once the spool file is durable; if that fails too,
   503 so the gateway tries again.

The store skips Django's per-request connection health check (a ``SELECT 1`` round trip
before the first query of every request, with ``CONN_HEALTH_CHECKS``): on a connection kept
from an earlier request that has died meanwhile (a database restart), the store fails at once,
and is run again on a fresh connection. Running it twice is harmless: the gateway's message id
makes the second run find the first one's message if that one was stored after all.

A provider is not an actor: ingestion writes no audit event per message (the messages table
is the record of receipt). What people do with a message later is audited by intake.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .conf import channel_settings
from .dispatch import reply_language
from .gateways import GATEWAYS, Acknowledgement, DeliveryReport, InboundSms, MalformedWebhook
from .handoff import DISPATCH_INBOUND, dispatch_uses_outbox, enqueue_with_transaction
from .languages import guess_language
from .models import Channel, Direction, Message, statuses_below
from .storage import store_inbound_rows
from .threads import urn_index
from .urns import InvalidAddress, tel_urn
from .webhooks import RECEIVE, STATUS, WebhookRequest

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
T = TypeVar("T")


class DatabaseUnavailable(Exception):
    """The database could not be reached or written to."""


@dataclass
class _CachedChannel:
    channel: Channel
    fetched: float


_channel_cache: dict[tuple[str, str], _CachedChannel] = {}
_cache_lock = threading.Lock()


def forget_cached_channels() -> None:
    """Drop this process's cached channels (after a channel changes)."""
    with _cache_lock:
        _channel_cache.clear()


def lookup_channel(channel_type: str, channel_id: str) -> Channel | None:
    """The active channel of that type and id, or None; DatabaseUnavailable if the database
    cannot say and the channel is not cached."""
    try:
        channel_id = str(uuid.UUID(channel_id))
    except ValueError:
        return None
    key = (channel_type, channel_id)
    cached = _channel_cache.get(key)
    if cached is not None and time.monotonic() - cached.fetched < (
        channel_settings().channel_cache_seconds
    ):
        return cached.channel
    try:
        channel = Channel.objects.filter(
            public_id=channel_id, type=channel_type, active=True
        ).first()
    except DATABASE_ERRORS as exc:
        if cached is not None:
            return cached.channel  # stale, but known good: enough to check a signature
        raise DatabaseUnavailable(str(exc)) from exc
    with _cache_lock:
        if channel is None:
            _channel_cache.pop(key, None)
        else:
            if len(_channel_cache) > 10_000:
                _channel_cache.clear()
            _channel_cache[key] = _CachedChannel(channel, time.monotonic())
    return channel


@dataclass(frozen=True)
class Stored:
    message_id: int
    public_id: str
    duplicate: bool


def store_inbound(channel: Channel, sms: InboundSms, received_at: datetime.datetime) -> Stored:
    """Store an inbound SMS once in its conversation, and have it dispatched after commit.

    Everything that follows — the Safe Travel check-in handler, the automatic reply, intake's
    filing — runs in the worker (see dispatch.py), never in the gateway's request.
    """
    try:
        urn = tel_urn(sms.sender, channel.country)
    except InvalidAddress as exc:
        raise MalformedWebhook(_("The sender is not a phone number or short code.")) from exc
    now = timezone.now()
    guessed = guess_language(sms.text, (code for code, _name in settings.LANGUAGES))
    outbox = dispatch_uses_outbox()
    row = partial(
        store_inbound_rows,
        channel_id=channel.pk,
        urn=urn,
        urn_index=urn_index(urn),
        conversation_language=reply_language("", guessed, channel),
        provider_message_id=sms.provider_message_id,
        text=sms.text,
        language=guessed or "",
        handed_off=not outbox,
        received_at=received_at,
        now=now,
    )
    if connection.vendor == "postgresql" and outbox:
        stored = row()  # one statement: its own transaction, no BEGIN/COMMIT round trips
    else:
        with transaction.atomic():
            stored = row()
            if stored.created and not outbox:
                enqueue_with_transaction(DISPATCH_INBOUND, stored.message_id)
    return Stored(stored.message_id, str(stored.message_public_id), duplicate=not stored.created)


def _on_live_connection(write: Callable[[], T]) -> T:
    """Run an idempotent write without the per-request health check; retry it once on a
    fresh connection if the connection it found open turns out to be dead.

    Inside a transaction (tests, callers with their own) nothing changes: a failure there is
    the caller's to handle.
    """
    reused = connection.connection is not None and not connection.in_atomic_block
    if reused:
        # Django checks the connection before the request's first query (CONN_HEALTH_CHECKS);
        # the write itself is the check here.
        connection.health_check_done = True  # type: ignore[attr-defined]
    try:
        return write()
    except DATABASE_ERRORS:
        if not reused:
            raise
        _discard_broken_connection()
    return write()


def apply_delivery_report(channel: Channel, report: DeliveryReport) -> str:
    """Move an outbound message's status up (never back); idempotent. Returns the outcome."""
    if report.status is None:
        return "ignored"
    updated = Message.objects.filter(
        channel=channel,
        direction=Direction.OUTBOUND,
        provider_message_id=report.provider_message_id,
        status__in=statuses_below(report.status),
    ).update(status=report.status, error=report.error[:200], status_changed_at=timezone.now())
    return "updated" if updated else "unchanged"


def error_response(status: int, code: str, message: str) -> Acknowledgement:
    body = {"error": {"code": code, "message": message, "fields": {}}}
    return Acknowledgement(status, "application/json", json.dumps(body).encode())


def _json_ack(payload: dict[str, str]) -> Acknowledgement:
    return Acknowledgement(200, "application/json", json.dumps(payload).encode())


@dataclass(frozen=True)
class Outcome:
    """What became of a webhook: the answer to give, and a word for logs and the spool."""

    response: Acknowledgement
    result: str  # stored, duplicate, spooled, updated, unchanged, ignored, or the refusal
    verified: bool = False


def _refusal(status: int, code: str, message: str) -> Outcome:
    return Outcome(error_response(status, code, message), code)


def process(webhook: WebhookRequest, *, verified: bool = False) -> Outcome:
    """Authenticate, parse and store a webhook; DatabaseUnavailable if the database fails.

    `verified` skips the signature check for a request already checked when it was spooled.
    """
    gateway = GATEWAYS.get(webhook.channel_type)
    if gateway is None or webhook.kind not in (RECEIVE, STATUS):
        return _refusal(404, "not_found", _("Not found."))
    channel = lookup_channel(webhook.channel_type, webhook.channel_id)
    if channel is None:
        return _refusal(404, "not_found", _("Not found."))
    if not verified and not gateway.authentic(channel, webhook):
        return _refusal(403, "bad_signature", _("The request's signature is missing or wrong."))
    try:
        if webhook.kind == RECEIVE:
            sms = gateway.parse_inbound(webhook)
            try:
                stored = _on_live_connection(
                    partial(store_inbound, channel, sms, webhook.received_at)
                )
            except DATABASE_ERRORS as exc:
                raise DatabaseUnavailable(str(exc)) from exc
            result = "duplicate" if stored.duplicate else "stored"
            return Outcome(
                gateway.acknowledge(stored_id=stored.public_id, duplicate=stored.duplicate),
                result,
                verified=True,
            )
        report = gateway.parse_status(webhook)
        try:
            result = _on_live_connection(partial(apply_delivery_report, channel, report))
        except DATABASE_ERRORS as exc:
            raise DatabaseUnavailable(str(exc)) from exc
        return Outcome(_json_ack({"status": result}), result, verified=True)
    except MalformedWebhook as exc:
        return _refusal(400, "malformed", str(exc))


def handle(webhook: WebhookRequest) -> Outcome:
    """Process a live webhook; while the database is unavailable, spool it and acknowledge it
    once the spool file is durable (503 when even that fails, so the gateway retries)."""
    from . import spool

    verified = False
    try:
        return process(webhook)
    except DatabaseUnavailable as exc:
        # Was the channel known (cached) and the signature good? Then spool it as verified.
        channel = _channel_cache.get((webhook.channel_type, _normalised(webhook.channel_id)))
        gateway = GATEWAYS[webhook.channel_type]
        if channel is not None:
            if not gateway.authentic(channel.channel, webhook):
                return _refusal(
                    403, "bad_signature", _("The request's signature is missing or wrong.")
                )
            verified = True
        _discard_broken_connection()
        logger.warning(
            "Database unavailable (%s): spooling a %s webhook for channel %s",
            exc,
            webhook.kind,
            webhook.channel_id,
        )
    try:
        spool.write(webhook, verified=verified)
    except Exception:
        logger.exception("Could not spool a webhook for channel %s", webhook.channel_id)
        return _refusal(
            503, "unavailable", _("The service is briefly unavailable. Please try again.")
        )
    if webhook.kind == RECEIVE:
        if webhook.channel_type == "twilio":
            return Outcome(GATEWAYS["twilio"].acknowledge(stored_id="", duplicate=False), "spooled")
        return Outcome(_json_ack({"status": "spooled"}), "spooled", verified=verified)
    return Outcome(_json_ack({"status": "spooled"}), "spooled", verified=verified)


def _normalised(channel_id: str) -> str:
    try:
        return str(uuid.UUID(channel_id))
    except ValueError:
        return channel_id


def _discard_broken_connection() -> None:
    """After a failed query, give the connection back so the next request opens a fresh one."""
    try:
        if not connection.in_atomic_block:
            connection.close()
    except DATABASE_ERRORS:
        pass
