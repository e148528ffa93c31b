"""What each gateway sends and expects: authenticity, inbound messages, delivery reports.

One class per channel type. Each checks a request's authenticity with the channel's secret,
turns its body into an ``InboundSms`` or a ``DeliveryReport`` (``MalformedWebhook`` with a
clear message otherwise), and says how to acknowledge it.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import parse_qs, parse_qsl, urlsplit

from django.utils.translation import gettext as _

from .models import Channel, ChannelType, MessageStatus
from .signatures import (
    AFRICASTALKING_SECRET_PARAM,
    GENERIC_SIGNATURE_HEADER,
    TWILIO_SIGNATURE_HEADER,
    generic_valid,
    twilio_valid,
    url_secret_valid,
)
from .webhooks import WebhookRequest

MAX_ID_CHARS = 64
MAX_TEXT_CHARS = 10_000
MAX_ADDRESS_CHARS = 64
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class MalformedWebhook(Exception):
    """The body cannot be understood; the message says why (it is shown to the caller)."""


@dataclass(frozen=True)
class InboundSms:
    provider_message_id: str
    sender: str
    recipient: str
    text: str


@dataclass(frozen=True)
class DeliveryReport:
    provider_message_id: str
    status: MessageStatus | None  # None: a step Palermo does not track (queued, sending …)
    error: str = ""


@dataclass(frozen=True)
class Acknowledgement:
    status: int
    content_type: str
    body: bytes


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedWebhook(_("The body is not valid UTF-8 JSON.")) from exc
    if not isinstance(data, dict):
        raise MalformedWebhook(_("The body is not a JSON object."))
    return data


def _form_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedWebhook(_("The body is not a valid UTF-8 form.")) from exc


def _text_field(
    data: dict[str, Any], name: str, *, required: bool = True, max_chars: int = MAX_ID_CHARS
) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise MalformedWebhook(_("The field “%(name)s” is missing.") % {"name": name})
        return ""
    if not isinstance(value, str):
        raise MalformedWebhook(_("The field “%(name)s” must be text.") % {"name": name})
    if len(value) > max_chars:
        raise MalformedWebhook(
            _("The field “%(name)s” is longer than %(max)d characters.")
            % {"name": name, "max": max_chars}
        )
    if "\x00" in value:
        raise MalformedWebhook(_("The field “%(name)s” contains a NUL byte.") % {"name": name})
    return value


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in pairs:
        values.setdefault(name, value)
    return values


class Gateway(ABC):
    type: str = ""

    @abstractmethod
    def authentic(self, channel: Channel, webhook: WebhookRequest) -> bool: ...

    @abstractmethod
    def parse_inbound(self, webhook: WebhookRequest) -> InboundSms: ...

    @abstractmethod
    def parse_status(self, webhook: WebhookRequest) -> DeliveryReport: ...

    def acknowledge(self, *, stored_id: str, duplicate: bool) -> Acknowledgement:
        body = json.dumps({"status": "duplicate" if duplicate else "stored", "id": stored_id})
        return Acknowledgement(200, JSON, body.encode())


class TwilioGateway(Gateway):
    """Form POSTs (or JSON with ``bodySHA256``) signed with ``X-Twilio-Signature``."""

    type = ChannelType.TWILIO
    STATUSES = {
        "sent": MessageStatus.SENT,
        "delivered": MessageStatus.DELIVERED,
        "read": MessageStatus.DELIVERED,
        "undelivered": MessageStatus.FAILED,
        "failed": MessageStatus.FAILED,
        "canceled": MessageStatus.FAILED,
    }

    def authentic(self, channel: Channel, webhook: WebhookRequest) -> bool:
        json_body = webhook.content_type == JSON
        try:
            params = [] if json_body else _form_pairs(webhook.body)
        except MalformedWebhook:
            return False
        return twilio_valid(
            url=webhook.url,
            params=params,
            body=webhook.body,
            json_body=json_body,
            signature=webhook.header(TWILIO_SIGNATURE_HEADER),
            auth_token=str(channel.secret or ""),
        )

    def _data(self, webhook: WebhookRequest) -> dict[str, Any]:
        if webhook.content_type == JSON:
            return _json_object(webhook.body)
        return _first_values(_form_pairs(webhook.body))

    def parse_inbound(self, webhook: WebhookRequest) -> InboundSms:
        data = self._data(webhook)
        if not data.get("MessageSid") and data.get("SmsSid"):
            data["MessageSid"] = data["SmsSid"]
        return InboundSms(
            provider_message_id=_text_field(data, "MessageSid"),
            sender=_text_field(data, "From", max_chars=MAX_ADDRESS_CHARS),
            recipient=_text_field(data, "To", required=False, max_chars=MAX_ADDRESS_CHARS),
            text=_text_field(data, "Body", required=False, max_chars=MAX_TEXT_CHARS),
        )

    def parse_status(self, webhook: WebhookRequest) -> DeliveryReport:
        data = self._data(webhook)
        sid = data.get("MessageSid") or data.get("SmsSid")
        status = _text_field(data, "MessageStatus").lower()
        return DeliveryReport(
            provider_message_id=_text_field({"MessageSid": sid}, "MessageSid"),
            status=self.STATUSES.get(status),
            error=_text_field(data, "ErrorCode", required=False),
        )

    def acknowledge(self, *, stored_id: str, duplicate: bool) -> Acknowledgement:
        # An empty TwiML answer: Twilio sends no reply of its own; ours go out through the API.
        return Acknowledgement(
            200, "text/xml", b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
        )


class AfricasTalkingGateway(Gateway):
    """Unsigned form POSTs; the callback URL carries the channel's secret."""

    type = ChannelType.AFRICASTALKING
    STATUSES = {
        "sent": MessageStatus.SENT,
        "submitted": MessageStatus.SENT,
        "buffered": MessageStatus.SENT,
        "success": MessageStatus.DELIVERED,
        "rejected": MessageStatus.FAILED,
        "failed": MessageStatus.FAILED,
        "absentsubscriber": MessageStatus.FAILED,
        "expired": MessageStatus.FAILED,
    }

    def authentic(self, channel: Channel, webhook: WebhookRequest) -> bool:
        query = parse_qs(urlsplit(webhook.url).query)
        given = query.get(AFRICASTALKING_SECRET_PARAM, [""])[0]
        return url_secret_valid(given=given, secret=str(channel.secret or ""))

    def parse_inbound(self, webhook: WebhookRequest) -> InboundSms:
        data = _first_values(_form_pairs(webhook.body))
        return InboundSms(
            provider_message_id=_text_field(data, "id"),
            sender=_text_field(data, "from", max_chars=MAX_ADDRESS_CHARS),
            recipient=_text_field(data, "to", required=False, max_chars=MAX_ADDRESS_CHARS),
            text=_text_field(data, "text", required=False, max_chars=MAX_TEXT_CHARS),
        )

    def parse_status(self, webhook: WebhookRequest) -> DeliveryReport:
        data = _first_values(_form_pairs(webhook.body))
        status = _text_field(data, "status").lower()
        return DeliveryReport(
            provider_message_id=_text_field(data, "id"),
            status=self.STATUSES.get(status),
            error=_text_field(data, "failureReason", required=False),
        )


class GenericGateway(Gateway):
    """JSON bodies signed with ``X-Palermo-Signature: sha256=<hex>`` (see the docs)."""

    type = ChannelType.GENERIC
    STATUSES = {
        "sent": MessageStatus.SENT,
        "delivered": MessageStatus.DELIVERED,
        "failed": MessageStatus.FAILED,
        "undelivered": MessageStatus.FAILED,
    }

    def authentic(self, channel: Channel, webhook: WebhookRequest) -> bool:
        return generic_valid(
            body=webhook.body,
            header=webhook.header(GENERIC_SIGNATURE_HEADER),
            secret=str(channel.secret or ""),
        )

    def parse_inbound(self, webhook: WebhookRequest) -> InboundSms:
        data = _json_object(webhook.body)
        return InboundSms(
            provider_message_id=_text_field(data, "id"),
            sender=_text_field(data, "from", max_chars=MAX_ADDRESS_CHARS),
            recipient=_text_field(data, "to", required=False, max_chars=MAX_ADDRESS_CHARS),
            text=_text_field(data, "text", required=False, max_chars=MAX_TEXT_CHARS),
        )

    def parse_status(self, webhook: WebhookRequest) -> DeliveryReport:
        data = _json_object(webhook.body)
        status = _text_field(data, "status").lower()
        if status not in self.STATUSES and status not in ("queued", "sending", "accepted"):
            raise MalformedWebhook(_("Unknown status “%(status)s”.") % {"status": status[:20]})
        return DeliveryReport(
            provider_message_id=_text_field(data, "id"),
            status=self.STATUSES.get(status),
            error=_text_field(data, "error", required=False, max_chars=200),
        )


GATEWAYS: dict[str, Gateway] = {
    ChannelType.TWILIO: TwilioGateway(),
    ChannelType.AFRICASTALKING: AfricasTalkingGateway(),
    ChannelType.GENERIC: GenericGateway(),
}
