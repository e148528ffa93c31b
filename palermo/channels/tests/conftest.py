"""Fixtures for the channels' tests: channels, signed webhook requests, a private spool."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from palermo.accounts.actors import Actor
from palermo.channels import ingestion, rate_limits
from palermo.channels.models import Channel
from palermo.channels.providers import RecordingProvider
from palermo.channels.services import channel_create
from palermo.channels.signatures import generic_signature_header

TWILIO_TOKEN = "twilio-auth-token-0123456789abcdef"
GENERIC_SECRET = "generic-hmac-key-0123456789abcdef"
AT_SECRET = "africastalking-url-secret-0123456789"


@pytest.fixture(autouse=True)
def channel_state(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """A spool of the test's own, and no cached channel or rate bucket from another test."""
    spool = tmp_path / "spool"
    settings.PALERMO_CHANNELS = {
        **settings.PALERMO_CHANNELS,
        "SPOOL_DIR": spool,
        "PUBLIC_URL": "",
    }
    settings.PALERMO_SMS_PROVIDER = "palermo.channels.providers.RecordingProvider"
    ingestion.forget_cached_channels()
    rate_limits.accepted.clear()
    rate_limits.refused.clear()
    RecordingProvider.clear()
    yield spool
    ingestion.forget_cached_channels()
    RecordingProvider.clear()


def make_channel(channel_type: str, **fields: Any) -> Channel:
    secrets = {"twilio": TWILIO_TOKEN, "generic": GENERIC_SECRET, "africastalking": AT_SECRET}
    data = {
        "type": channel_type,
        "address": fields.pop("address", "+37322123456"),
        "country": fields.pop("country", "MD"),
        "secret": fields.pop("secret", secrets[channel_type]),
        "language": fields.pop("language", "ro"),
        **fields,
    }
    return channel_create(actor=Actor.system("test"), data=data)


@pytest.fixture
def twilio_channel(db: None) -> Channel:
    return make_channel("twilio", account="AC0123456789abcdef0123456789abcdef")


@pytest.fixture
def generic_channel(db: None) -> Channel:
    return make_channel("generic", address="527")


@pytest.fixture
def at_channel(db: None) -> Channel:
    return make_channel("africastalking", address="+254711000111", country="KE", language="en")


def url_of(channel: Channel, kind: str = "receive", host: str = "http://testserver") -> str:
    return f"{host}/c/{channel.type}/{channel.public_id}/{kind}"


def twilio_post(
    client: Client,
    channel: Channel,
    params: dict[str, str],
    *,
    kind: str = "receive",
    token: str | None = None,
    signature: str | None = None,
) -> Any:
    """POST a form the way Twilio does, signed by the official validator."""
    url = url_of(channel, kind)
    if signature is None:
        signature = RequestValidator(token or TWILIO_TOKEN).compute_signature(url, params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return client.post(
        url,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def twilio_sms(message_id: str, sender: str = "+37369123456", body: str = "Ajutor") -> dict:
    return {
        "MessageSid": message_id,
        "SmsSid": message_id,
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "From": sender,
        "To": "+37322123456",
        "Body": body,
        "NumMedia": "0",
    }


def generic_post(
    client: Client,
    channel: Channel,
    payload: Any,
    *,
    kind: str = "receive",
    secret: str = GENERIC_SECRET,
    raw: bytes | None = None,
    sign: bool = True,
) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"X-Palermo-Signature": generic_signature_header(secret, body)} if sign else {}
    return client.post(
        url_of(channel, kind), data=body, content_type="application/json", headers=headers
    )


def at_post(
    client: Client,
    channel: Channel,
    params: dict[str, str],
    *,
    kind: str = "receive",
    secret: str | None = AT_SECRET,
) -> Any:
    url = url_of(channel, kind) + (f"?{urlencode({'secret': secret})}" if secret else "")
    return client.post(
        url, data=urlencode(params), content_type="application/x-www-form-urlencoded"
    )
