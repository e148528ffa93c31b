"""Outbound SMS providers: one interface, a recording provider, and the real gateways.

``settings.PALERMO_SMS_PROVIDER`` names the provider class by dotted path. The default,
:class:`RecordingProvider`, sends nothing: it keeps what it was asked to send (tests and the
demo read it). Production sets :class:`GatewayProvider`, which sends through each channel's
own gateway: Twilio's REST API, Africa's Talking's messaging API, or the generic channel's
outbound URL. The gateway classes speak plain HTTP(S) with the standard library; tests never
call a real gateway.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .signatures import GENERIC_SIGNATURE_HEADER, generic_signature_header

if TYPE_CHECKING:
    from .models import Channel

logger = logging.getLogger(__name__)

RECORDING = "palermo.channels.providers.RecordingProvider"
HTTP_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class OutboundSms:
    """What a provider is asked to send. ``reference`` is Palermo's id of the message."""

    channel: Channel
    to: str
    body: str
    reference: str
    status_callback_url: str = ""


@dataclass(frozen=True)
class SendResult:
    """The gateway's answer: its id for the message and whether it took it (sent) or not."""

    provider_message_id: str
    status: str = "sent"  # "sent" or "failed"
    error: str = ""


class ProviderError(Exception):
    """The gateway refused or could not be reached; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsProvider(Protocol):
    def send(self, sms: OutboundSms) -> SendResult: ...


@dataclass
class RecordedSms:
    channel_id: int
    to: str
    body: str
    reference: str
    provider_message_id: str


class RecordingProvider:
    """Sends nothing; records every message in ``RecordingProvider.outbox`` (per process)."""

    outbox: list[RecordedSms] = []  # noqa: RUF012 - shared on purpose: one outbox per process
    _lock = threading.Lock()

    def send(self, sms: OutboundSms) -> SendResult:
        provider_id = f"rec-{uuid.uuid4().hex}"
        with self._lock:
            RecordingProvider.outbox.append(
                RecordedSms(
                    channel_id=sms.channel.pk,
                    to=sms.to,
                    body=sms.body,
                    reference=sms.reference,
                    provider_message_id=provider_id,
                )
            )
        logger.info("Recorded outbound SMS %s on channel %s", sms.reference, sms.channel.public_id)
        return SendResult(provider_message_id=provider_id)

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls.outbox.clear()


def _post(
    url: str, *, data: bytes, headers: dict[str, str], timeout: float = HTTP_TIMEOUT_SECONDS
) -> tuple[int, Any]:
    """POST and decode a JSON answer; ProviderError for transport errors and 4xx/5xx."""
    if not url.startswith(("https://", "http://")):
        raise ProviderError(f"Refusing to call a non-HTTP URL: {url!r}", permanent=True)
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = int(response.status)
            raw = response.read(1024 * 1024)
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace")
        # 4xx (bad number, bad credentials) will not get better by retrying; 5xx and 429 may.
        permanent = 400 <= exc.code < 500 and exc.code != 429
        raise ProviderError(f"HTTP {exc.code}: {detail[:300]}", permanent=permanent) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ProviderError(f"Gateway unreachable: {exc}") from exc
    try:
        return status, json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except ValueError:
        return status, {}


@dataclass
class TwilioProvider:
    """Twilio's Messages resource: POST /2010-04-01/Accounts/{sid}/Messages.json."""

    base_url: str = field(
        default_factory=lambda: (
            getattr(settings, "PALERMO_TWILIO_API_URL", "") or "https://api.twilio.com"
        )
    )

    def send(self, sms: OutboundSms) -> SendResult:
        channel = sms.channel
        if not channel.account:
            raise ProviderError("The Twilio channel has no account SID.", permanent=True)
        form = {"From": channel.address, "To": sms.to, "Body": sms.body}
        if sms.status_callback_url:
            form["StatusCallback"] = sms.status_callback_url
        credentials = f"{channel.account}:{channel.secret}".encode()
        account = urllib.parse.quote(channel.account, safe="")
        _, answer = _post(
            f"{self.base_url}/2010-04-01/Accounts/{account}/Messages.json",
            data=urllib.parse.urlencode(form).encode(),
            headers={
                "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        sid = str(answer.get("sid") or "")
        if not sid:
            raise ProviderError("Twilio answered without a message SID.")
        if answer.get("status") == "failed":
            return SendResult(sid, "failed", str(answer.get("error_code") or "failed"))
        return SendResult(sid)


@dataclass
class AfricasTalkingProvider:
    """Africa's Talking: POST /version1/messaging with the username and the apiKey header."""

    base_url: str = field(
        default_factory=lambda: (
            getattr(settings, "PALERMO_AFRICASTALKING_API_URL", "")
            or "https://api.africastalking.com"
        )
    )

    def send(self, sms: OutboundSms) -> SendResult:
        channel = sms.channel
        if not channel.account or not channel.api_key:
            raise ProviderError(
                "The Africa's Talking channel needs a username and an API key.", permanent=True
            )
        form = {"username": channel.account, "to": sms.to, "message": sms.body}
        if channel.address:
            form["from"] = channel.address
        _, answer = _post(
            f"{self.base_url}/version1/messaging",
            data=urllib.parse.urlencode(form).encode(),
            headers={
                "apiKey": str(channel.api_key),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        recipients = (answer.get("SMSMessageData") or {}).get("Recipients") or []
        if not recipients:
            raise ProviderError("Africa's Talking accepted no recipient.", permanent=True)
        first = recipients[0]
        message_id = str(first.get("messageId") or "")
        if first.get("status") not in ("Success", "Sent", "Submitted", "Buffered"):
            return SendResult(message_id or f"at-{sms.reference}", "failed", str(first)[:200])
        return SendResult(message_id)


class GenericWebhookProvider:
    """POSTs signed JSON to the channel's outbound URL (same signature as inbound webhooks)."""

    def send(self, sms: OutboundSms) -> SendResult:
        channel = sms.channel
        if not channel.outbound_url:
            raise ProviderError("The generic channel has no outbound URL.", permanent=True)
        body = json.dumps(
            {
                "id": sms.reference,
                "from": channel.address,
                "to": sms.to,
                "text": sms.body,
                "status_url": sms.status_callback_url,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        _, answer = _post(
            channel.outbound_url,
            data=body,
            headers={
                "Content-Type": "application/json",
                GENERIC_SIGNATURE_HEADER: generic_signature_header(str(channel.secret), body),
            },
        )
        provider_id = str(answer.get("id") or sms.reference) if isinstance(answer, dict) else ""
        return SendResult(provider_id or sms.reference)


class GatewayProvider:
    """Sends through the gateway of each message's channel."""

    def send(self, sms: OutboundSms) -> SendResult:
        gateway: SmsProvider
        if sms.channel.type == "twilio":
            gateway = TwilioProvider()
        elif sms.channel.type == "africastalking":
            gateway = AfricasTalkingProvider()
        else:
            gateway = GenericWebhookProvider()
        return gateway.send(sms)


@lru_cache(maxsize=4)
def _provider_class(path: str) -> type:
    provider = import_string(path)
    if not callable(getattr(provider, "send", None)):
        raise TypeError(f"{path} has no send() method: it is not an SMS provider.")
    return provider  # type: ignore[no-any-return]


def get_provider() -> SmsProvider:
    """An instance of the configured provider (settings.PALERMO_SMS_PROVIDER)."""
    path = getattr(settings, "PALERMO_SMS_PROVIDER", "") or RECORDING
    return _provider_class(path)()  # type: ignore[no-any-return]


def provider_is_recording() -> bool:
    path = getattr(settings, "PALERMO_SMS_PROVIDER", "") or RECORDING
    return issubclass(_provider_class(path), RecordingProvider)
