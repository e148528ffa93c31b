"""A basic phone texting a coalition number: every message goes through a real Twilio channel
webhook (signed with the official validator), is stored by the channels module, dispatched to
Safe Travel, and answered on the same channel — exactly the way a gateway delivers it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import LazySettings
from django.core.cache import cache
from django.test import Client, TestCase
from twilio.request_validator import RequestValidator

from palermo.accounts.actors import Actor
from palermo.channels import ingestion, rate_limits
from palermo.channels.models import Channel, Direction, Message
from palermo.channels.providers import RecordingProvider
from palermo.channels.services import channel_create
from palermo.testing import OrganisationFactory

TWILIO_TOKEN = "twilio-auth-token-for-safe-travel-0123"
TWILIO_ACCOUNT = "AC0123456789abcdef0123456789abcdef"
AUTO_REPLY_PREFIX = "auto-reply:"
TRAVEL_REPLY_PREFIX = "travel-reply:"


@pytest.fixture
def sms_gateway(settings: LazySettings, tmp_path: Path) -> Iterator[None]:
    """Channels write to a spool of the test's own and send through the recording provider;
    no cached channel, rate bucket or Safe Travel limit from another test."""
    settings.PALERMO_CHANNELS = {
        **settings.PALERMO_CHANNELS,
        "SPOOL_DIR": tmp_path / "spool",
        "PUBLIC_URL": "",
    }
    settings.PALERMO_SMS_PROVIDER = "palermo.channels.providers.RecordingProvider"
    settings.PALERMO_BASE_URL = "https://palermo.example"
    ingestion.forget_cached_channels()
    rate_limits.accepted.clear()
    rate_limits.refused.clear()
    RecordingProvider.clear()
    cache.clear()
    yield
    ingestion.forget_cached_channels()
    RecordingProvider.clear()
    cache.clear()


def twilio_channel(*, country: str, language: str, address: str = "+37322123456") -> Channel:
    """A Twilio number of the demo hotline (its messages that are not Safe Travel's are filed
    with the hotline by intake)."""
    hotline = OrganisationFactory(name=f"Hotline {address}", country=country)
    return channel_create(
        actor=Actor.system("test"),
        data={
            "type": "twilio",
            "address": address,
            "country": country,
            "secret": TWILIO_TOKEN,
            "language": language,
            "account": TWILIO_ACCOUNT,
        },
        organisation=hotline,
    )


class Phone:
    """One phone number texting one channel; `send` returns what comes back."""

    def __init__(self, client: Client, channel: Channel, number: str) -> None:
        self.client, self.channel, self.number = client, channel, number

    def post(self, text: str) -> Message:
        sid = "SM" + uuid.uuid4().hex
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": TWILIO_ACCOUNT,
            "From": self.number,
            "To": self.channel.address,
            "Body": text,
            "NumMedia": "0",
        }
        url = f"http://testserver/c/twilio/{self.channel.public_id}/receive"
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                url,
                data=urlencode(params),
                content_type="application/x-www-form-urlencoded",
                headers={"X-Twilio-Signature": signature},
            )
        assert response.status_code == 200, response.content[:300]
        return Message.objects.get(
            channel=self.channel, direction=Direction.INBOUND, provider_message_id=sid
        )

    def exchange(self, text: str) -> tuple[str, str]:
        """('travel' | 'hotline' | '', the reply's text) for one message sent."""
        inbound = self.post(text)
        for kind, prefix in (("travel", TRAVEL_REPLY_PREFIX), ("hotline", AUTO_REPLY_PREFIX)):
            reply = Message.objects.filter(
                direction=Direction.OUTBOUND, idempotency_key=f"{prefix}{inbound.public_id}"
            ).first()
            if reply is not None:
                return kind, str(reply.text or "")
        return "", ""

    def send(self, text: str) -> str:
        """Safe Travel's reply to `text` (the test fails if Safe Travel did not answer)."""
        kind, reply = self.exchange(text)
        assert kind == "travel", (text, kind, reply)
        return reply
